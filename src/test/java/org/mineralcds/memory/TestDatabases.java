package org.mineralcds.memory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.mineralcds.config.MemorySettings;

/**
 * The databases the memory tests run on: the embedded one always, and PostgreSQL when
 * MINERALCDS_TEST_DATABASE_URL (or the system property mineralcds.test.database.url) names one, as
 * {@code .ci/postgres} starts it. With CI=true a missing PostgreSQL fails the tests instead.
 */
public final class TestDatabases {

  private TestDatabases() {}

  public static String postgresUrl() {
    String url = System.getProperty("mineralcds.test.database.url");
    if (url == null || url.isBlank()) {
      url = System.getenv("MINERALCDS_TEST_DATABASE_URL");
    }
    if ((url == null || url.isBlank()) && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "CI=true but no PostgreSQL for the memory tests: set MINERALCDS_TEST_DATABASE_URL"
              + " (.ci/postgres start prints it)");
    }
    return url == null || url.isBlank() ? null : url;
  }

  public static String user() {
    String u = System.getenv("MINERALCDS_TEST_DATABASE_USER");
    return u == null ? "mineralcds" : u;
  }

  public static String password() {
    String p = System.getenv("MINERALCDS_TEST_DATABASE_PASSWORD");
    return p == null ? "mineralcds" : p;
  }

  /** "embedded" and, when available, "postgresql". */
  public static List<String> kinds() {
    List<String> kinds = new ArrayList<>(List.of("embedded"));
    if (postgresUrl() != null) {
      kinds.add("postgresql");
    }
    return kinds;
  }

  /** Fresh, empty memory settings of that kind: a new directory or a new PostgreSQL database. */
  public static MemorySettings fresh(String kind, Path tmp) {
    if (kind.equals("embedded")) {
      return MemorySettings.embedded(tmp.resolve("data-" + UUID.randomUUID()));
    }
    return MemorySettings.postgres(freshPostgresUrl(), user(), password());
  }

  /** The databases this test JVM created, dropped when it exits. */
  private static final List<String> CREATED = new ArrayList<>();

  /** A new database on the test PostgreSQL server; its URL. */
  public static String freshPostgresUrl() {
    String base = postgresUrl();
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection(base, user(), password());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database: " + e.getMessage(), e);
    }
    synchronized (CREATED) {
      if (CREATED.isEmpty()) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> dropCreated(base), "drop-test-dbs"));
      }
      CREATED.add(name);
    }
    return base.substring(0, base.lastIndexOf('/') + 1) + name;
  }

  /**
   * A developer's PostgreSQL cluster would otherwise keep every test database (hundreds after a day
   * of runs, with autovacuum visiting each). FORCE ends the sessions a test left open.
   */
  private static void dropCreated(String base) {
    List<String> names;
    synchronized (CREATED) {
      names = List.copyOf(CREATED);
    }
    try (Connection c = DriverManager.getConnection(base, user(), password());
        Statement s = c.createStatement()) {
      for (String name : names) {
        try {
          s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
          System.err.println("test database " + name + " not dropped: " + e.getMessage());
        }
      }
    } catch (SQLException e) {
      System.err.println("test databases not dropped: " + e.getMessage());
    }
  }
}
