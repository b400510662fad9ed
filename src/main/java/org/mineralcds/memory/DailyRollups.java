package org.mineralcds.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The analytics' daily roll-ups (schema 4): counts per UTC day kept up to date in the same
 * transaction as the card log and the feedback they count, so analytics over whole days read a few
 * hundred rows instead of every card. Every update is an atomic upsert: replicas writing at once
 * add up.
 */
final class DailyRollups {

  static final long DAY_MILLIS = 86_400_000L;

  /** Rows each count is spread over (see the V4 migration: row locks on PostgreSQL). */
  static final int SHARDS = 16;

  /** Card log rows looked up per statement when a batch re-logs cards. */
  private static final int LOOKUP_CHUNK = 100;

  private DailyRollups() {}

  private static int anyShard() {
    return java.util.concurrent.ThreadLocalRandom.current().nextInt(SHARDS);
  }

  /** The key of a card_day row: day number, issuer, lead rule, topic, silent. */
  static List<Object> cardKey(
      long dayNumber, String issuer, String leadRule, String topic, boolean silent) {
    return List.of(dayNumber, issuer, leadRule, topic, silent);
  }

  /**
   * The rows in one order for every writer: two replicas upserting the same rows in opposite orders
   * would deadlock on PostgreSQL's row locks.
   */
  private static List<Map.Entry<List<Object>, Long>> inLockOrder(Map<List<Object>, Long> rows) {
    List<Map.Entry<List<Object>, Long>> ordered = new ArrayList<>(rows.entrySet());
    ordered.sort(
        Map.Entry.comparingByKey(java.util.Comparator.comparing((List<Object> k) -> k.toString())));
    return ordered;
  }

  /** Adds chart openings, keyed by (day number, issuer). */
  static void addOpenings(Connection c, Map<List<Object>, Long> openings) throws SQLException {
    if (openings.isEmpty()) {
      return;
    }
    int shard = anyShard();
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO call_day (day_number, issuer, shard, openings) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (day_number, issuer, shard)"
                + " DO UPDATE SET openings = call_day.openings + excluded.openings")) {
      for (Map.Entry<List<Object>, Long> e : inLockOrder(openings)) {
        s.setLong(1, (Long) e.getKey().get(0));
        s.setString(2, (String) e.getKey().get(1));
        s.setInt(3, shard);
        s.setLong(4, e.getValue());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /**
   * Minus one for each of these cards already in the card log (the batch about to replace them: an
   * EHR that reuses a hookInstance, a proxy retry on another replica), keyed by {@link #cardKey}.
   *
   * @param lockRows lock the rows until the transaction ends (PostgreSQL: another replica replacing
   *     the same card waits, then counts this batch's version out, so each card is counted once;
   *     SQLite has one writer at a time and no FOR UPDATE)
   */
  static Map<List<Object>, Long> loggedBefore(
      Connection c, Collection<String> cardUuids, boolean lockRows) throws SQLException {
    Map<List<Object>, Long> counts = new HashMap<>();
    List<String> uuids = new ArrayList<>(cardUuids);
    for (int from = 0; from < uuids.size(); from += LOOKUP_CHUNK) {
      List<String> chunk = uuids.subList(from, Math.min(uuids.size(), from + LOOKUP_CHUNK));
      String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT created_at, issuer, lead_rule, topic, silent FROM card_log"
                  + " WHERE card_uuid IN ("
                  + marks
                  + ")"
                  + (lockRows ? " ORDER BY card_uuid FOR UPDATE" : ""))) {
        for (int i = 0; i < chunk.size(); i++) {
          s.setString(i + 1, chunk.get(i));
        }
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            counts.merge(
                cardKey(
                    JdbcMemory.dayNumber(r.getLong(1)),
                    r.getString(2),
                    r.getString(3),
                    r.getString(4),
                    r.getBoolean(5)),
                -1L,
                Long::sum);
          }
        }
      }
    }
    return counts;
  }

  /** Adds (or, for negative counts, takes away) cards, keyed by {@link #cardKey}. */
  static void addCards(Connection c, Map<List<Object>, Long> counts) throws SQLException {
    int shard = anyShard();
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO card_day (day_number, issuer, lead_rule, topic, silent, shard, cards)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (day_number, issuer, lead_rule, topic, silent, shard)"
                + " DO UPDATE SET cards = card_day.cards + excluded.cards")) {
      boolean any = false;
      for (Map.Entry<List<Object>, Long> e : inLockOrder(counts)) {
        if (e.getValue() == 0) {
          continue;
        }
        List<Object> k = e.getKey();
        s.setLong(1, (Long) k.get(0));
        s.setString(2, (String) k.get(1));
        s.setString(3, (String) k.get(2));
        s.setString(4, (String) k.get(3));
        s.setBoolean(5, (Boolean) k.get(4));
        s.setInt(6, shard);
        s.setLong(7, e.getValue());
        s.addBatch();
        any = true;
      }
      if (any) {
        s.executeBatch();
      }
    }
  }

  /**
   * A stored feedback item to count on its card's day: its card, outcome and reason (null: none),
   * the card's creation time and its {@link #cardKey} (whose silent flag is not used).
   */
  record FeedbackCount(
      String cardUuid, String outcome, String reason, long cardCreatedAt, List<Object> card) {}

  /**
   * Counts stored feedback items on their cards' days, once per card, outcome and reason: the first
   * to claim the (card, outcome, reason) row counts it, whichever replica or transaction that is.
   * Two batched statements whatever the number of items.
   */
  static void countFeedback(Connection c, List<FeedbackCount> items) throws SQLException {
    if (items.isEmpty()) {
      return;
    }
    // In key order: transactions claiming the same cards at once never deadlock.
    List<FeedbackCount> ordered = new ArrayList<>(items);
    ordered.sort(
        java.util.Comparator.comparing(FeedbackCount::cardUuid)
            .thenComparing(FeedbackCount::outcome)
            .thenComparing(item -> item.reason() == null ? "" : item.reason()));
    int[] claimed;
    try (PreparedStatement claim =
        c.prepareStatement(
            "INSERT INTO feedback_counted (card_uuid, outcome, reason, card_created_at)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      for (FeedbackCount item : ordered) {
        claim.setString(1, item.cardUuid());
        claim.setString(2, item.outcome());
        claim.setString(3, item.reason() == null ? "" : item.reason());
        claim.setLong(4, item.cardCreatedAt());
        claim.addBatch();
      }
      claimed = claim.executeBatch();
    }
    Map<List<Object>, Long> counts = new HashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      if (claimed[i] < 0) {
        throw new IllegalStateException("the JDBC driver did not report the feedback counted");
      }
      if (claimed[i] == 0) {
        continue; // counted already
      }
      FeedbackCount item = ordered.get(i);
      List<Object> card = item.card();
      counts.merge(
          List.of(
              card.get(0),
              card.get(1),
              card.get(2),
              card.get(3),
              item.outcome(),
              item.reason() == null ? "" : item.reason()),
          1L,
          Long::sum);
    }
    if (counts.isEmpty()) {
      return;
    }
    int shard = anyShard();
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO feedback_day (day_number, issuer, lead_rule, topic, outcome, reason,"
                + " shard, cards) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (day_number, issuer, lead_rule, topic, outcome, reason, shard)"
                + " DO UPDATE SET cards = feedback_day.cards + excluded.cards")) {
      for (Map.Entry<List<Object>, Long> e : inLockOrder(counts)) {
        List<Object> k = e.getKey();
        s.setLong(1, (Long) k.get(0));
        s.setString(2, (String) k.get(1));
        s.setString(3, (String) k.get(2));
        s.setString(4, (String) k.get(3));
        s.setString(5, (String) k.get(4));
        s.setString(6, (String) k.get(5));
        s.setInt(7, shard);
        s.setLong(8, e.getValue());
        s.addBatch();
      }
      s.executeBatch();
    }
  }
}
