package org.mineralcds.memory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.zip.CRC32;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * The memory's schema migrations (Flyway, {@code src/main/resources/db/migration}) and the check
 * that lets start-up skip Flyway when the database is already at this release's schema.
 *
 * <p>Flyway costs about a second of CPU at start-up even when it has nothing to do (its
 * configuration, the scan of the 24,000-entry jar for migrations, validation; BENCHMARKS.md). When
 * the schema history holds exactly this release's migrations, in order, each successful and with
 * the checksum Flyway computes for the file (CRC32 of its lines), Flyway's own validation would
 * pass and it would apply nothing: start-up reads that one table instead. Anything else (an empty
 * database, a pending or failed migration, a changed file, a migration from a newer release) runs
 * Flyway as before, which migrates and validates or refuses. Flyway reads the migrations named here
 * rather than scanning the jar for them; {@code MigrationsTest} checks that this list is what
 * Flyway's scan finds and that the checksums are Flyway's.
 */
final class Migrations {

  /** Where the migration files are on the class path. */
  static final String LOCATION = "db/migration";

  /** This release's migrations, in version order (a new file must be added here: see above). */
  static final List<String> FILES =
      List.of(
          "V1__card_log_feedback_suppression.sql",
          "V2__jwt_replay.sql",
          "V3__order_run_ahead.sql",
          "V4__analytics_daily_rollups.sql",
          "V5__jwt_replay_request_key.sql",
          "V6__card_log_suggestions.sql");

  private Migrations() {}

  /** How start-up found the schema. */
  enum Outcome {
    /** The schema history matched this release's migrations: Flyway not run. */
    CURRENT,
    /** Flyway ran: migrated (or found nothing to apply) and validated. */
    FLYWAY
  }

  /**
   * Brings the schema to this release's version: checks the schema history, and runs Flyway only
   * when it does not match exactly.
   *
   * @throws RuntimeException when the database cannot be reached or Flyway refuses (validation)
   */
  static Outcome migrate(DataSource pool) {
    try (Connection c = pool.getConnection()) {
      if (current(c)) {
        return Outcome.CURRENT;
      }
    } catch (SQLException e) {
      throw new MemoryUnavailableException("cannot read the schema history", e);
    }
    flyway(pool).migrate();
    return Outcome.FLYWAY;
  }

  /** Flyway over this release's migrations (no class path scan). */
  static Flyway flyway(DataSource pool) {
    return Flyway.configure()
        .dataSource(pool)
        .locations("classpath:" + LOCATION)
        .resourceProvider(new Provider())
        .loggers("slf4j")
        .load();
  }

  /**
   * Whether the schema history holds exactly this release's migrations, each successful and
   * unchanged; false when there is no schema history yet.
   */
  static boolean current(Connection c) throws SQLException {
    List<String[]> rows = new ArrayList<>();
    boolean autoCommit = c.getAutoCommit();
    try (PreparedStatement s =
            c.prepareStatement(
                "SELECT version, description, type, checksum, success"
                    + " FROM flyway_schema_history ORDER BY installed_rank");
        ResultSet r = s.executeQuery()) {
      while (r.next()) {
        int checksum = r.getInt(4);
        // wasNull() speaks of the column read last: ask it right after the checksum.
        String checksumText = r.wasNull() ? null : Integer.toString(checksum);
        rows.add(
            new String[] {
              r.getString(1),
              r.getString(2),
              r.getString(3),
              checksumText,
              Boolean.toString(r.getBoolean(5))
            });
      }
    } catch (SQLException e) {
      // No schema history table: a new database (on PostgreSQL, outside a transaction nothing is
      // left aborted). Flyway creates it.
      if (!autoCommit) {
        c.rollback();
      }
      return false;
    }
    if (rows.size() != FILES.size()) {
      return false;
    }
    for (int i = 0; i < FILES.size(); i++) {
      String file = FILES.get(i);
      String[] row = rows.get(i);
      if (!version(file).equals(row[0])
          || !description(file).equals(row[1])
          || !"SQL".equals(row[2])
          || !Integer.toString(checksum(file)).equals(row[3])
          || !"true".equals(row[4])) {
        return false;
      }
    }
    return true;
  }

  /** "V6__card_log_suggestions.sql": "6". */
  static String version(String file) {
    return file.substring(1, file.indexOf("__"));
  }

  /** "V6__card_log_suggestions.sql": "card log suggestions", as Flyway names it. */
  static String description(String file) {
    return file.substring(file.indexOf("__") + 2, file.length() - ".sql".length())
        .replace('_', ' ');
  }

  /**
   * Flyway's checksum of an SQL migration: CRC32 over the UTF-8 bytes of each line without its line
   * break, a byte order mark at the start removed.
   */
  static int checksum(String file) {
    CRC32 crc = new CRC32();
    try (BufferedReader lines = new BufferedReader(reader(file))) {
      String line = lines.readLine();
      if (line != null && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      while (line != null) {
        crc.update(line.getBytes(StandardCharsets.UTF_8));
        line = lines.readLine();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return (int) crc.getValue();
  }

  private static Reader reader(String file) {
    InputStream in = Migrations.class.getClassLoader().getResourceAsStream(LOCATION + "/" + file);
    if (in == null) {
      throw new IllegalStateException("migration " + file + " missing from the class path");
    }
    return new InputStreamReader(in, StandardCharsets.UTF_8);
  }

  /** This release's migration files for Flyway, named rather than found by scanning the jar. */
  private static final class Provider implements ResourceProvider {

    @Override
    public LoadableResource getResource(String name) {
      String file = name.substring(name.lastIndexOf('/') + 1);
      return FILES.contains(file) ? new Resource(file) : null;
    }

    @Override
    public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
      List<LoadableResource> found = new ArrayList<>();
      for (String file : FILES) {
        if (file.startsWith(prefix) && Arrays.stream(suffixes).anyMatch(file::endsWith)) {
          found.add(new Resource(file));
        }
      }
      return found;
    }
  }

  /** One migration file on the class path. */
  private static final class Resource extends LoadableResource {
    private final String file;

    Resource(String file) {
      this.file = file;
    }

    @Override
    public Reader read() {
      return reader(file);
    }

    @Override
    public String getAbsolutePath() {
      return LOCATION + "/" + file;
    }

    @Override
    public String getAbsolutePathOnDisk() {
      return getAbsolutePath();
    }

    @Override
    public String getFilename() {
      return file;
    }

    @Override
    public String getRelativePath() {
      return file;
    }
  }
}
