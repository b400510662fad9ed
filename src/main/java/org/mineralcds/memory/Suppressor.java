package org.mineralcds.memory;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The card contract's suppression rules, with no database: an overridden card's problem stays away
 * unless it became more urgent, and an accepted test is not offered again until it results or its
 * window passes.
 */
public final class Suppressor {

  private Suppressor() {}

  /** The override that keeps this card away, or null when it must be shown. */
  public static PatientMemory.Override suppressing(
      CardFacts card, List<PatientMemory.Override> overrides, Instant now) {
    for (PatientMemory.Override o : overrides) {
      if (!o.topic().equals(card.topic()) || !o.until().isAfter(now)) {
        continue;
      }
      boolean sameResult = card.resultRef() != null && card.resultRef().equals(o.resultRef());
      if (o.resultOnly()) {
        // "Result not trusted": that result only; a new result of the same kind is shown.
        if (sameResult) {
          return o;
        }
        continue;
      }
      if (card.critical() && !sameResult) {
        continue; // a new result past a critical limit always shows
      }
      if (card.indicator() < o.indicator()) {
        continue; // more urgent than when overridden
      }
      if (card.deviation() != null
          && o.deviation() != null
          && card.deviation() > o.deviation() + 1e-9) {
        continue; // further from normal than the result overridden
      }
      return o;
    }
    return null;
  }

  /**
   * LOINC codes accepted as orders that must not be offered again now: within their window and no
   * result collected since they were accepted.
   *
   * @param latestResult the newest result's collection time for a LOINC code's analyte, or null
   */
  public static Set<String> pendingTests(
      List<PatientMemory.AcceptedTest> accepted,
      Function<String, Instant> latestResult,
      Instant now) {
    Set<String> pending = new HashSet<>();
    for (PatientMemory.AcceptedTest a : accepted) {
      if (!a.until().isAfter(now) || a.resultedAt() != null) {
        continue;
      }
      Instant latest = latestResult.apply(a.loinc());
      if (latest == null || latest.isBefore(a.acceptedAt())) {
        pending.add(a.loinc());
      }
    }
    return pending;
  }

  /** Accepted tests (not yet marked resulted) whose result has arrived. */
  public static List<PatientMemory.AcceptedTest> resulted(
      List<PatientMemory.AcceptedTest> accepted, Function<String, Instant> latestResult) {
    return accepted.stream()
        .filter(a -> a.resultedAt() == null)
        .filter(
            a -> {
              Instant latest = latestResult.apply(a.loinc());
              return latest != null && !latest.isBefore(a.acceptedAt());
            })
        .map(
            a ->
                new PatientMemory.AcceptedTest(
                    a.suggestionUuid(),
                    a.loinc(),
                    a.acceptedAt(),
                    a.until(),
                    Objects.requireNonNull(latestResult.apply(a.loinc()))))
        .toList();
  }
}
