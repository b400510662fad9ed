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
    String where =
        " WHERE created_at >= ? AND created_at < ?" + (issuer == null ? "" : " AND issuer = ?");
    Map<String, Long> openings = new HashMap<>();
    long total = 0;
    try (PreparedStatement s =
        prepare("SELECT issuer, COUNT(*) FROM call_log" + where + " GROUP BY issuer")) {
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          openings.put(r.getString(1), r.getLong(2));
          total += r.getLong(2);
        }
      }
    }
    Map<String, Acc> rules = new TreeMap<>();
    Map<String, Acc> topics = new TreeMap<>();
    Map<String, Acc> issuers = new TreeMap<>();
    try (PreparedStatement s =
        prepare(
            "SELECT lead_rule, topic, issuer, silent, COUNT(*) FROM card_log"
                + where
                + " GROUP BY lead_rule, topic, issuer, silent")) {
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          long n = r.getLong(5);
          boolean silent = r.getBoolean(4);
          for (Acc a :
              accs(rules, topics, issuers, r.getString(1), r.getString(2), r.getString(3))) {
            if (silent) {
              a.silent += n;
            } else {
              a.shown += n;
            }
          }
        }
      }
    }
    String cardWhere =
        " WHERE l.created_at >= ? AND l.created_at < ?"
            + (issuer == null ? "" : " AND l.issuer = ?");
    try (PreparedStatement s =
        prepare(
            "SELECT l.lead_rule, l.topic, l.issuer, f.outcome, f.override_reason,"
                + " COUNT(DISTINCT f.card_uuid) FROM feedback f JOIN card_log l"
                + " ON l.card_uuid = f.card_uuid"
                + cardWhere
                + " GROUP BY l.lead_rule, l.topic, l.issuer, f.outcome, f.override_reason")) {
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          long n = r.getLong(6);
          boolean accepted = r.getString(4).equals("accepted");
          String reason = r.getString(5) == null ? "none" : r.getString(5);
          for (Acc a :
              accs(rules, topics, issuers, r.getString(1), r.getString(2), r.getString(3))) {
            if (accepted) {
              a.accepted += n;
            } else {
              a.overridden += n;
              a.reasons.merge(reason, n, Long::sum);
            }
          }
        }
      }
    }
    try (PreparedStatement s =
        prepare(
            "SELECT l.lead_rule, l.topic, l.issuer, a.accepted_at, a.resulted_at"
                + " FROM accepted_test a JOIN card_log l ON l.card_uuid = a.card_uuid"
                + cardWhere
                + " AND a.resulted_at IS NOT NULL")) {
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          long ms = r.getLong(5) - r.getLong(4);
          for (Acc a :
              accs(rules, topics, issuers, r.getString(1), r.getString(2), r.getString(3))) {
            a.hoursToResult.add(ms);
          }
        }
      }
    }
    Function<String, Long> allOpenings = k -> openings.values().stream().mapToLong(x -> x).sum();
    return new AnalyticsReport(
        from.toString(),
        to.toString(),
        issuer,
        total,
        flagPercent,
        rows(rules, allOpenings),
        rows(topics, allOpenings),
        rows(issuers, k -> openings.getOrDefault(k, 0L)));
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    s.setLong(1, from.toEpochMilli());
    s.setLong(2, to.toEpochMilli());
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
