package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.config.MemorySettings;

/**
 * Start-up skips Flyway only when the schema history holds exactly this release's migrations, as
 * Flyway itself would find them (its own class path scan and checksums); anything else runs Flyway,
 * which migrates or refuses. On the embedded database and PostgreSQL.
 */
class MigrationsTest {

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  private static Connection connect(MemorySettings settings) throws SQLException {
    if (settings.databaseUrl() == null) {
      return DriverManager.getConnection(JdbcMemory.jdbcUrl(settings));
    }
    return DriverManager.getConnection(
        settings.databaseUrl(), TestDatabases.user(), TestDatabases.password());
  }

  private static JdbcMemory open(MemorySettings settings) {
    return JdbcMemoryTest.open(settings, new ArrayList<>());
  }

  private static void execute(MemorySettings settings, String sql) throws SQLException {
    try (Connection c = connect(settings);
        Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
  }

  private static boolean current(MemorySettings settings) throws SQLException {
    try (Connection c = connect(settings)) {
      return Migrations.current(c);
    }
  }

  @Test
  void theListedMigrationsAreTheFilesInTheSourceTree() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("src/main/resources", Migrations.LOCATION))) {
      assertThat(files.map(f -> f.getFileName().toString()).sorted())
          .containsExactlyElementsOf(Migrations.FILES.stream().sorted().toList());
    }
    // In version order.
    assertThat(Migrations.FILES.stream().map(f -> Integer.parseInt(Migrations.version(f))))
        .isSorted();
  }

  @ParameterizedTest
  @MethodSource("databases")
  void theListAndChecksumsAreWhatFlywaysOwnScanFinds(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    if (settings.databaseUrl() == null) {
      Files.createDirectories(settings.dataDir());
    }
    Flyway scanning =
        Flyway.configure()
            .dataSource(
                JdbcMemory.jdbcUrl(settings),
                settings.databaseUrl() == null ? null : TestDatabases.user(),
                settings.databaseUrl() == null ? null : TestDatabases.password())
            .locations("classpath:" + Migrations.LOCATION)
            .load();
    MigrationInfo[] found = scanning.info().all();
    assertThat(Arrays.stream(found).map(MigrationInfo::getScript))
        .containsExactlyElementsOf(Migrations.FILES);
    for (MigrationInfo m : found) {
      assertThat(Migrations.version(m.getScript())).isEqualTo(m.getVersion().getVersion());
      assertThat(Migrations.description(m.getScript())).isEqualTo(m.getDescription());
      assertThat(Migrations.checksum(m.getScript())).isEqualTo(m.getChecksum());
      assertThat(m.getType().name()).isEqualTo("SQL");
    }
    // Flyway over the named files migrates to the same schema as its scan would.
    scanning.migrate();
    try (Connection c = connect(settings)) {
      assertThat(Migrations.current(c)).isTrue();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aNewDatabaseIsMigratedByFlywayThenOpenedWithoutIt(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    try (JdbcMemory memory = open(settings)) {
      assertThat(memory.schemaOutcome()).isEqualTo(Migrations.Outcome.FLYWAY);
      assertThat(memory.ready()).isTrue();
    }
    assertThat(current(settings)).isTrue();
    try (JdbcMemory memory = open(settings)) {
      assertThat(memory.schemaOutcome()).isEqualTo(Migrations.Outcome.CURRENT);
      assertThat(memory.ready()).isTrue();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aChangedMigrationIsRefusedAsFlywayRefusesIt(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    open(settings).close();
    // The database was migrated with a V3 whose text differs from this release's.
    execute(
        settings, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '3'");
    assertThat(current(settings)).isFalse();
    try (JdbcMemory memory = open(settings)) {
      // Flyway's validation refused it: the memory did not start.
      assertThat(memory.schemaOutcome()).isNull();
      assertThat(memory.ready()).isFalse();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aPendingFailedOrNewerMigrationIsLeftToFlyway(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    open(settings).close();
    assertThat(current(settings)).isTrue();

    // A failed migration recorded.
    execute(settings, "UPDATE flyway_schema_history SET success = false WHERE version = '6'");
    assertThat(current(settings)).isFalse();
    execute(settings, "UPDATE flyway_schema_history SET success = true WHERE version = '6'");
    assertThat(current(settings)).isTrue();

    // A migration from a newer release (the database was opened by one).
    execute(
        settings,
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
            + " checksum, installed_by, installed_on, execution_time, success) VALUES (99, '99',"
            + " 'newer', 'SQL', 'V99__newer.sql', 1, 'test', CURRENT_TIMESTAMP, 1, true)");
    assertThat(current(settings)).isFalse();
    execute(settings, "DELETE FROM flyway_schema_history WHERE version = '99'");
    assertThat(current(settings)).isTrue();

    // A migration recorded without a checksum (as a baseline row is).
    execute(settings, "UPDATE flyway_schema_history SET checksum = NULL WHERE version = '4'");
    assertThat(current(settings)).isFalse();
    try (JdbcMemory memory = open(settings)) {
      // Not trusted as current: start-up goes through Flyway, whose validation accepts it.
      assertThat(memory.schemaOutcome()).isEqualTo(Migrations.Outcome.FLYWAY);
    }
    execute(
        settings,
        "UPDATE flyway_schema_history SET checksum = "
            + Migrations.checksum(Migrations.FILES.get(3))
            + " WHERE version = '4'");
    assertThat(current(settings)).isTrue();

    // A renamed migration (same version, another description).
    execute(
        settings, "UPDATE flyway_schema_history SET description = 'renamed' WHERE version = '2'");
    assertThat(current(settings)).isFalse();
    execute(
        settings,
        "UPDATE flyway_schema_history SET description = 'jwt replay' WHERE version = '2'");
    assertThat(current(settings)).isTrue();

    // This release's last migration still to apply: Flyway applies it.
    execute(settings, "DELETE FROM flyway_schema_history WHERE version = '6'");
    execute(settings, "ALTER TABLE card_log DROP COLUMN suggestions");
    assertThat(current(settings)).isFalse();
    try (JdbcMemory memory = open(settings)) {
      assertThat(memory.schemaOutcome()).isEqualTo(Migrations.Outcome.FLYWAY);
      assertThat(memory.ready()).isTrue();
    }
    assertThat(current(settings)).isTrue();
  }

  /**
   * On a busy machine the first connection can take longer than the pool's one-second wait:
   * start-up waits for it (no failed attempt: slow, not down) instead of going on without the
   * memory.
   */
  @Test
  void aSlowFirstConnectionIsWaitedForAtStart() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(TestDatabases.postgresUrl() != null);
    String url = TestDatabases.freshPostgresUrl();
    java.net.URI target = java.net.URI.create(url.substring("jdbc:".length()));
    try (java.net.ServerSocket relay =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      java.util.concurrent.atomic.AtomicBoolean first =
          new java.util.concurrent.atomic.AtomicBoolean(true);
      Thread accept =
          new Thread(
              () -> {
                while (!relay.isClosed()) {
                  try {
                    java.net.Socket client = relay.accept();
                    boolean slow = first.getAndSet(false);
                    Thread t =
                        new Thread(
                            () -> {
                              try {
                                if (slow) {
                                  Thread.sleep(2500); // the server starting a backend, slowly
                                }
                                java.net.Socket server =
                                    new java.net.Socket(target.getHost(), target.getPort());
                                pump(client, server);
                                pump(server, client);
                              } catch (Exception e) {
                                // the test ended
                              }
                            });
                    t.setDaemon(true);
                    t.start();
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              });
      accept.setDaemon(true);
      accept.start();
      String relayed = "jdbc:postgresql://127.0.0.1:" + relay.getLocalPort() + target.getPath();
      MemorySettings settings =
          MemorySettings.postgres(relayed, TestDatabases.user(), TestDatabases.password());
      long t0 = System.nanoTime();
      try (JdbcMemory memory = open(settings)) {
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThan(2000);
        // Migrated before start() returned.
        assertThat(memory.schemaOutcome()).isEqualTo(Migrations.Outcome.FLYWAY);
        assertThat(memory.ready()).isTrue();
      }
    }
  }

  private static void pump(java.net.Socket from, java.net.Socket to) {
    Thread t =
        new Thread(
            () -> {
              try {
                from.getInputStream().transferTo(to.getOutputStream());
              } catch (java.io.IOException e) {
                // closed
              } finally {
                try {
                  to.close();
                  from.close();
                } catch (java.io.IOException e) {
                  // closed
                }
              }
            });
    t.setDaemon(true);
    t.start();
  }
}
