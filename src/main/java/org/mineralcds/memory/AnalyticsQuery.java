package org.mineralcds.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** The analytics of one period: a few grouped queries, folded into rows per rule, topic, issuer. */
final class AnalyticsQuery {

  /** Rules need this many cards shown before their override rate can flag them. */
  static final int MIN_CARDS_TO_FLAG = 5;

  private final Connection c;
  private final Instant from;
  private final Instant to;
  private final String issuer;
  private final int flagPercent;

  AnalyticsQuery(Connection c, Instant from, Instant to, String issuer, int flagPercent) {
    this.c = c;
    this.from = from;
    this.to = to;
    this.issuer = issuer;
    this.flagPercent = flagPercent;
  }

  /** Counts of one group. */
  private static final class Acc {
    long shown;
    long silent;
    long accepted;
    long overridden;
    final Map<String, Long> reasons = new TreeMap<>();
    final List<Long> hoursToResult = new ArrayList<>();
  }

  AnalyticsReport run() throws SQLException {
    return run(true);
  }

  /**
   * @param rollups read whole days from the daily roll-ups (false: every count from the card log,
   *     as the roll-ups' own tests compare)
   */
  AnalyticsReport run(boolean rollups) throws SQLException {
    Counts counts = new Counts();
    long fromMs = from.toEpochMilli();
    long toMs = to.toEpochMilli();
    long firstWholeDay =
        Math.floorDiv(fromMs + DailyRollups.DAY_MILLIS - 1, DailyRollups.DAY_MILLIS);
    long endWholeDays = Math.floorDiv(toMs, DailyRollups.DAY_MILLIS);
    if (rollups && firstWholeDay < endWholeDays) {
      fromRollups(counts, firstWholeDay, endWholeDays);
      fromCardLog(counts, fromMs, firstWholeDay * DailyRollups.DAY_MILLIS);
      fromCardLog(counts, endWholeDays * DailyRollups.DAY_MILLIS, toMs);
    } else {
      fromCardLog(counts, fromMs, toMs);
    }
    timesToResult(counts, fromMs, toMs);
    Map<String, Long> openings = counts.openings;
    long total = openings.values().stream().mapToLong(x -> x).sum();
    Function<String, Long> allOpenings = k -> total;
    return new AnalyticsReport(
        from.toString(),
        to.toString(),
        issuer,
        total,
        flagPercent,
        rows(counts.rules, allOpenings),
        rows(counts.topics, allOpenings),
        rows(counts.issuers, k -> openings.getOrDefault(k, 0L)));
  }

  /** What a period adds up to, per rule, topic and issuer. */
  private static final class Counts {
    final Map<String, Long> openings = new HashMap<>();
    final Map<String, Acc> rules = new TreeMap<>();
    final Map<String, Acc> topics = new TreeMap<>();
    final Map<String, Acc> issuers = new TreeMap<>();

    List<Acc> accs(String rule, String topic, String issuer) {
      return AnalyticsQuery.accs(rules, topics, issuers, rule, topic, issuer);
    }

    void cards(String rule, String topic, String issuer, boolean silent, long n) {
      for (Acc a : accs(rule, topic, issuer)) {
        if (silent) {
          a.silent += n;
        } else {
          a.shown += n;
        }
      }
    }

    /** A row (issuer, chart openings). */
    void openings(ResultSet r) throws SQLException {
      openings.merge(r.getString(1), r.getLong(2), Long::sum);
    }

    /** A row (lead rule, topic, issuer, silent, cards). */
    void cards(ResultSet r) throws SQLException {
      cards(r.getString(1), r.getString(2), r.getString(3), r.getBoolean(4), r.getLong(5));
    }

    /** A row (lead rule, topic, issuer, outcome, override reason, cards). */
    void feedback(ResultSet r) throws SQLException {
      feedback(
          r.getString(1),
          r.getString(2),
          r.getString(3),
          r.getString(4),
          r.getString(5),
          r.getLong(6));
    }

    void feedback(String rule, String topic, String issuer, String outcome, String reason, long n) {
      for (Acc a : accs(rule, topic, issuer)) {
        if (outcome.equals("accepted")) {
          a.accepted += n;
        } else {
          a.overridden += n;
          a.reasons.merge(reason == null || reason.isEmpty() ? "none" : reason, n, Long::sum);
        }
      }
    }
  }

  /** Whole UTC days [firstDay, endDay) from the roll-ups. */
  private void fromRollups(Counts counts, long firstDay, long endDay) throws SQLException {
    String where =
        " WHERE day_number >= ? AND day_number < ?" + (issuer == null ? "" : " AND issuer = ?");
    each(
        "SELECT issuer, SUM(openings) FROM call_day" + where + " GROUP BY issuer",
        firstDay,
        endDay,
        counts::openings);
    each(
        "SELECT lead_rule, topic, issuer, silent, SUM(cards) FROM card_day"
            + where
            + " GROUP BY lead_rule, topic, issuer, silent",
        firstDay,
        endDay,
        counts::cards);
    each(
        "SELECT lead_rule, topic, issuer, outcome, reason, SUM(cards) FROM feedback_day"
            + where
            + " GROUP BY lead_rule, topic, issuer, outcome, reason",
        firstDay,
        endDay,
        counts::feedback);
  }

  /** The card log itself over [fromMs, toMs): the partial days at a period's edges. */
  private void fromCardLog(Counts counts, long fromMs, long toMs) throws SQLException {
    if (fromMs >= toMs) {
      return;
    }
    String where =
        " WHERE created_at >= ? AND created_at < ?" + (issuer == null ? "" : " AND issuer = ?");
    each(
        "SELECT issuer, COUNT(*) FROM call_log" + where + " GROUP BY issuer",
        fromMs,
        toMs,
        counts::openings);
    each(
        "SELECT lead_rule, topic, issuer, silent, COUNT(*) FROM card_log"
            + where
            + " GROUP BY lead_rule, topic, issuer, silent",
        fromMs,
        toMs,
        counts::cards);
    each(
        "SELECT l.lead_rule, l.topic, l.issuer, f.outcome, f.override_reason,"
            + " COUNT(DISTINCT f.card_uuid) FROM feedback f JOIN card_log l"
            + " ON l.card_uuid = f.card_uuid"
            + cardWhere()
            + " GROUP BY l.lead_rule, l.topic, l.issuer, f.outcome, f.override_reason",
        fromMs,
        toMs,
        counts::feedback);
  }

  /** Reads one row of a grouped query. */
  private interface RowReader {
    void read(ResultSet row) throws SQLException;
  }

  /** Runs a query bounded by [lower, upper) (and the issuer) and hands each row to the reader. */
  private void each(String sql, long lower, long upper, RowReader reader) throws SQLException {
    try (PreparedStatement s = prepare(sql, lower, upper);
        ResultSet r = s.executeQuery()) {
      while (r.next()) {
        reader.read(r);
      }
    }
  }

  private String cardWhere() {
    return " WHERE l.created_at >= ? AND l.created_at < ?"
        + (issuer == null ? "" : " AND l.issuer = ?");
  }

  /**
   * Times from an accepted test to its result, for tests accepted from cards of the period: always
   * from the card log (a median needs the times, not a count), so only within its retention.
   */
  private void timesToResult(Counts counts, long fromMs, long toMs) throws SQLException {
    each(
        "SELECT l.lead_rule, l.topic, l.issuer, a.accepted_at, a.resulted_at"
            + " FROM accepted_test a JOIN card_log l ON l.card_uuid = a.card_uuid"
            + cardWhere()
            + " AND a.resulted_at IS NOT NULL",
        fromMs,
        toMs,
        r -> {
          long ms = r.getLong(5) - r.getLong(4);
          for (Acc a : counts.accs(r.getString(1), r.getString(2), r.getString(3))) {
            a.hoursToResult.add(ms);
          }
        });
  }

  private PreparedStatement prepare(String sql, long lower, long upper) throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    s.setLong(1, lower);
    s.setLong(2, upper);
    if (issuer != null) {
      s.setString(3, issuer);
    }
    return s;
  }

  private static List<Acc> accs(
      Map<String, Acc> rules,
      Map<String, Acc> topics,
      Map<String, Acc> issuers,
      String rule,
      String topic,
      String issuer) {
    return List.of(
        rules.computeIfAbsent(rule, k -> new Acc()),
        topics.computeIfAbsent(topic, k -> new Acc()),
        issuers.computeIfAbsent(issuer, k -> new Acc()));
  }

  private List<AnalyticsReport.Row> rows(Map<String, Acc> accs, Function<String, Long> openings) {
    List<AnalyticsReport.Row> rows = new ArrayList<>();
    accs.forEach(
        (key, a) -> {
          long open = openings.apply(key);
          double overrideRate = a.shown == 0 ? 0 : (double) a.overridden / a.shown;
          rows.add(
              new AnalyticsReport.Row(
                  key,
                  a.shown,
                  a.silent,
                  open == 0 ? 0 : round(100.0 * a.shown / open),
                  a.accepted,
                  a.overridden,
                  a.shown == 0 ? 0 : round((double) a.accepted / a.shown),
                  round(overrideRate),
                  a.reasons,
                  median(a.hoursToResult),
                  a.shown >= MIN_CARDS_TO_FLAG && overrideRate * 100 >= flagPercent));
        });
    rows.sort(Comparator.comparingLong(AnalyticsReport.Row::shown).reversed());
    return rows;
  }

  private static Double median(List<Long> millis) {
    if (millis.isEmpty()) {
      return null;
    }
    List<Long> sorted = new ArrayList<>(millis);
    sorted.sort(null);
    int n = sorted.size();
    double ms = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    return round(ms / 3_600_000.0);
  }

  private static double round(double x) {
    return Math.round(x * 1000) / 1000.0;
  }
}
