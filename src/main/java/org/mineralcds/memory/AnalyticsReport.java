package org.mineralcds.memory;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a CDS committee reviews: per rule, topic and issuer over a period, how often cards showed,
 * how clinicians answered them, and which rules are overridden too often. No patient identifiers.
 *
 * @param from start of the period (ISO instant, inclusive)
 * @param to end of the period (exclusive)
 * @param issuer the issuer reported on, or null for all
 * @param chartOpenings hook calls answered in the period
 */
public record AnalyticsReport(
    String from,
    String to,
    String issuer,
    long chartOpenings,
    int overrideFlagPercent,
    List<Row> rules,
    List<Row> topics,
    List<Row> issuers) {

  public AnalyticsReport {
    rules = List.copyOf(rules);
    topics = List.copyOf(topics);
    issuers = List.copyOf(issuers);
  }

  public static AnalyticsReport empty(Instant from, Instant to, String issuer) {
    return new AnalyticsReport(
        from.toString(), to.toString(), issuer, 0, 50, List.of(), List.of(), List.of());
  }

  /**
   * Counts for one rule, topic or issuer.
   *
   * @param shown cards returned
   * @param silent cards computed and logged but not returned (silent mode)
   * @param perHundredOpenings cards shown per 100 chart openings (of the issuer, for an issuer row)
   * @param acceptanceRate accepted / shown, 0..1
   * @param overrideRate overridden / shown, 0..1
   * @param overridesByReason override reason code (or "none") to count
   * @param medianHoursToResult median time from an accepted test to its result, or null
   * @param flagged override rate at or above the threshold (with at least 5 cards shown)
   */
  public record Row(
      String key,
      long shown,
      long silent,
      double perHundredOpenings,
      long accepted,
      long overridden,
      double acceptanceRate,
      double overrideRate,
      Map<String, Long> overridesByReason,
      Double medianHoursToResult,
      boolean flagged) {

    public Row {
      overridesByReason = Map.copyOf(overridesByReason);
    }
  }
}
