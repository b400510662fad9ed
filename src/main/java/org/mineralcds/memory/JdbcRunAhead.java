package org.mineralcds.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run-ahead state in the memory database (table order_run_ahead, migration V3). Rows expire
 * after {@link #EXPIRY} (an order is selected and signed within minutes; a day covers a long
 * session) and are purged at most once a minute; the table is bounded to {@link #MAX_ROWS} rows
 * (the oldest go first), and one call remembers at most {@link #MAX_PER_CALL} rows.
 */
public final class JdbcRunAhead implements RunAheadStore {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcRunAhead.class);

  static final Duration EXPIRY = Duration.ofHours(24);
  static final int MAX_ROWS = 200_000;
  static final int MAX_PER_CALL = 100;
  private static final long PURGE_EVERY_MS = 60_000;

  private final JdbcMemory memory;
  private final Object purgeLock = new Object();
  private long lastPurgeMs = Long.MIN_VALUE;

  public JdbcRunAhead(JdbcMemory memory) {
    this.memory = memory;
  }

  @Override
  public void remember(String scope, Map<String, Set<String>> findingsByDraft, Instant now) {
    if (findingsByDraft.isEmpty()) {
      return;
    }
    long at = now.toEpochMilli();
    try (Connection c = memory.connection()) {
      RememberedKeys bits = memory.runAheadKeys();
      if (bits != null) {
        // Before the rows can be read: order-sign is never told "nothing shown" for them.
        findingsByDraft.keySet().forEach(draft -> bits.add(scope, draft));
      }
      // Update then insert (portable across SQLite and PostgreSQL): a finding shown again is
      // dated anew, so it lives another day.
      try (PreparedStatement update =
              c.prepareStatement(
                  "UPDATE order_run_ahead SET created_at = ?"
                      + " WHERE scope = ? AND draft_key = ? AND finding = ?");
          PreparedStatement insert =
              c.prepareStatement(
                  "INSERT INTO order_run_ahead (scope, draft_key, finding, created_at)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
        int rows = 0;
        for (Map.Entry<String, Set<String>> e : findingsByDraft.entrySet()) {
          for (String finding : e.getValue()) {
            if (rows++ >= MAX_PER_CALL) {
              break;
            }
            update.setLong(1, at);
            update.setString(2, scope);
            update.setString(3, e.getKey());
            update.setString(4, finding);
            if (update.executeUpdate() == 0) {
              insert.setString(1, scope);
              insert.setString(2, e.getKey());
              insert.setString(3, finding);
              insert.setLong(4, at);
              insert.executeUpdate();
            }
          }
        }
      }
      purgeWhenDue(c, at);
    } catch (SQLException e) {
      throw new MemoryUnavailableException("cannot store the run-ahead state", e);
    }
  }

  @Override
  public Map<String, Set<String>> shown(String scope, Set<String> draftKeys, Instant now) {
    Map<String, Set<String>> result = new LinkedHashMap<>();
    if (draftKeys.isEmpty()) {
      return result;
    }
    RememberedKeys bits = memory.runAheadKeys();
    if (bits != null && draftKeys.stream().noneMatch(draft -> bits.mayHave(scope, draft))) {
      return result; // none of these drafts was shown at order-select: no read
    }
    long since = now.minus(EXPIRY).toEpochMilli();
    try (Connection c = memory.connection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT finding FROM order_run_ahead"
                    + " WHERE scope = ? AND draft_key = ? AND created_at >= ?")) {
      for (String draft : draftKeys) {
        s.setString(1, scope);
        s.setString(2, draft);
        s.setLong(3, since);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            result.computeIfAbsent(draft, k -> new LinkedHashSet<>()).add(r.getString(1));
          }
        }
      }
      return result;
    } catch (SQLException e) {
      throw new MemoryUnavailableException("cannot read the run-ahead state", e);
    }
  }

  /** Expired rows, then the oldest beyond the bound; at most once a minute. */
  private void purgeWhenDue(Connection c, long nowMs) {
    synchronized (purgeLock) {
      if (lastPurgeMs != Long.MIN_VALUE && nowMs - lastPurgeMs < PURGE_EVERY_MS) {
        return;
      }
      lastPurgeMs = nowMs;
    }
    try (PreparedStatement expired =
        c.prepareStatement("DELETE FROM order_run_ahead WHERE created_at < ?")) {
      expired.setLong(1, nowMs - EXPIRY.toMillis());
      expired.executeUpdate();
      long rows;
      try (PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM order_run_ahead");
          ResultSet r = count.executeQuery()) {
        rows = r.next() ? r.getLong(1) : 0;
      }
      if (rows > MAX_ROWS) {
        long cutoff;
        try (PreparedStatement oldest =
            c.prepareStatement(
                "SELECT created_at FROM order_run_ahead ORDER BY created_at DESC"
                    + " LIMIT 1 OFFSET ?")) {
          oldest.setLong(1, MAX_ROWS);
          try (ResultSet r = oldest.executeQuery()) {
            cutoff = r.next() ? r.getLong(1) : Long.MIN_VALUE;
          }
        }
        try (PreparedStatement trim =
            c.prepareStatement("DELETE FROM order_run_ahead WHERE created_at <= ?")) {
          trim.setLong(1, cutoff);
          trim.executeUpdate();
        }
      }
    } catch (SQLException e) {
      LOG.warn("run-ahead purge failed: {}", e.getMessage());
    }
  }
}
