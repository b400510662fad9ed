package org.mineralcds.memory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.mineralcds.auth.ReplayCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JWT replay cache in the memory database (table {@code jwt_replay}, migration V2): one row per
 * accepted token, keyed by a hash of issuer and jti, so a jti is refused on every replica sharing
 * the database and after a restart, until its token expires.
 *
 * <p>The check is one statement: an insert that does nothing when a live row exists (and takes over
 * an expired one). PostgreSQL and SQLite both serialise it on the primary key, so of two replicas
 * racing on one token exactly one sees an inserted row. When the database cannot answer, {@link
 * ReplayCache.Unavailable} is thrown and the token is refused (fail closed, 503). Expired rows are
 * deleted by {@link #purgeExpired()} in batches, so no statement holds locks for long.
 */
final class JdbcReplayCache implements ReplayCache {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcReplayCache.class);
  static final int PURGE_BATCH = 1000;
  private static final int PURGE_BATCHES_PER_RUN = 50;

  private final DataSource pool;
  private final BooleanSupplier available;
  private final Runnable markDown;
  private final Clock clock;

  JdbcReplayCache(DataSource pool, BooleanSupplier available, Runnable markDown, Clock clock) {
    this.pool = pool;
    this.available = available;
    this.markDown = markDown;
    this.clock = clock;
  }

  @Override
  public Use record(String issuer, String jti, Instant rememberUntil, Instant now) {
    if (!available.getAsBoolean()) {
      throw new Unavailable("the memory database is unavailable", null);
    }
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO jwt_replay (jti_key, expires_at) VALUES (?, ?)"
                    + " ON CONFLICT (jti_key) DO UPDATE SET expires_at = excluded.expires_at"
                    + " WHERE jwt_replay.expires_at < ?")) {
      s.setString(1, key(issuer, jti));
      s.setLong(2, rememberUntil.toEpochMilli());
      s.setLong(3, now.toEpochMilli());
      return s.executeUpdate() == 1 ? Use.FIRST : Use.REPLAYED;
    } catch (SQLException e) {
      markDown.run();
      throw new Unavailable("the memory database failed: " + e.getSQLState(), e);
    }
  }

  /** The stored key: hex SHA-256 of issuer, NUL, jti (neither can be shifted into the other). */
  static String key(String issuer, String jti) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(issuer.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(jti.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Deletes rows whose token has expired, {@value #PURGE_BATCH} at a time (each batch its own
   * statement, so replicas purging at once only wait for each other briefly).
   *
   * @return rows deleted
   */
  int purgeExpired() {
    if (!available.getAsBoolean()) {
      return 0;
    }
    int total = 0;
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "DELETE FROM jwt_replay WHERE jti_key IN (SELECT jti_key FROM jwt_replay"
                    + " WHERE expires_at < ? ORDER BY expires_at LIMIT "
                    + PURGE_BATCH
                    + ")")) {
      for (int i = 0; i < PURGE_BATCHES_PER_RUN; i++) {
        s.setLong(1, clock.millis());
        int deleted = s.executeUpdate();
        total += deleted;
        if (deleted < PURGE_BATCH) {
          break;
        }
      }
    } catch (SQLException e) {
      LOG.warn("jwt replay purge failed: {}", e.getMessage());
    }
    return total;
  }
}
