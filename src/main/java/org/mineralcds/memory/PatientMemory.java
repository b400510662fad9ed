package org.mineralcds.memory;

import java.time.Instant;
import java.util.List;

/** What the memory holds for one patient and caller, still in force. */
public record PatientMemory(List<Override> overrides, List<AcceptedTest> acceptedTests) {

  public static final PatientMemory EMPTY = new PatientMemory(List.of(), List.of());

  public PatientMemory {
    overrides = List.copyOf(overrides);
    acceptedTests = List.copyOf(acceptedTests);
  }

  /**
   * A card overridden: its problem stays away until {@code until} unless it becomes more urgent.
   *
   * @param resultOnly the override said the result was not trusted: it applies to that result only
   */
  public record Override(
      String cardUuid,
      String topic,
      int indicator,
      Double deviation,
      String resultRef,
      boolean resultOnly,
      Instant until) {}

  /** A test accepted as an order: not offered again until a result arrives or {@code until}. */
  public record AcceptedTest(
      String suggestionUuid, String loinc, Instant acceptedAt, Instant until, Instant resultedAt) {}
}
