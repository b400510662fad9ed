package org.mineralcds.memory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
 * The JWT replay cache in the memory database (table {@code jwt_replay}, migrations V2 and V5): one
 * row per accepted token, keyed by a hash of issuer and jti, so a jti is refused on every replica
 * sharing the database and after a restart, until its token expires. The row keeps the request key
 * of the first sighting ({@link org.mineralcds.auth.ProxyRetry}), when there was one, so that the
 * proxy's retry of that same request is accepted on another replica.
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
  public Use record(
      String issuer, String jti, String requestKey, Instant rememberUntil, Instant now) {
    if (!available.getAsBoolean()) {
      throw new Unavailable("the memory database is unavailable", null);
    }
    String key = key(issuer, jti);
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO jwt_replay (jti_key, expires_at, request_key) VALUES (?, ?, ?)"
                  + " ON CONFLICT (jti_key) DO UPDATE SET expires_at = excluded.expires_at,"
                  + " request_key = excluded.request_key WHERE jwt_replay.expires_at < ?")) {
        s.setString(1, key);
        s.setLong(2, rememberUntil.toEpochMilli());
        s.setString(3, requestKey);
        s.setLong(4, now.toEpochMilli());
        if (s.executeUpdate() == 1) {
          return Use.FIRST;
        }
      }
      if (requestKey == null) {
        return Use.REPLAYED;
      }
      // A live row exists. Its request key is written once, with the row, and never changed while
      // the row lives (only an expired row is taken over), so reading it now is as good as
      // reading it in the insert: the proxy's retry of the same request matches, nothing else.
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT 1 FROM jwt_replay WHERE jti_key = ? AND request_key = ?"
                  + " AND expires_at >= ?")) {
        s.setString(1, key);
        s.setString(2, requestKey);
        s.setLong(3, now.toEpochMilli());
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? Use.RETRY : Use.REPLAYED;
        }
      }
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
