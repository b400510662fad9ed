package org.mineralcds.memory;

import java.time.Instant;
import java.util.List;

/**
 * The service's memory, as the service sees it: recall what clinicians said about a patient, log
 * the cards of a call, store feedback, report analytics. Implemented over JDBC by {@link
 * JdbcMemory}; {@link #none()} keeps nothing.
 */
public interface Memory extends AutoCloseable {

  /** The patient pseudonym: a keyed hash of the FHIR server and the patient id. */
  String pseudonym(String fhirServer, String patientId);

  /**
   * Overrides and accepted tests in force for this patient and caller.
   *
   * @throws MemoryUnavailableException when the database cannot answer now
   */
  PatientMemory recall(PatientKey key, Instant now);

  /** Queues a call's cards for the card log; never blocks, never throws. */
  void log(CallRecord call);

  /**
   * Stores feedback from {@code issuer}, durably, before returning. Items naming cards never logged
   * are ignored; duplicates are stored once.
   *
   * @throws FeedbackRejectedException for another caller's card or a suggestion not on the card
   *     (nothing is stored)
   * @throws MemoryUnavailableException when the database cannot store it now
   */
  FeedbackResult store(String issuer, List<FeedbackItem> items, Instant now);

  /** How many items were stored, were already stored, or named no logged card. */
  record FeedbackResult(int stored, int duplicates, int unknownCards) {}

  /**
   * Counts over the cards logged in [from, to), for one issuer or all (null).
   *
   * @throws MemoryUnavailableException when the database cannot answer now
   */
  AnalyticsReport analytics(Instant from, Instant to, String issuer);

  /** The memory can store feedback now. */
  boolean ready();

  /** Whether this memory keeps anything (false for {@link #none()}). */
  default boolean enabled() {
    return true;
  }

  @Override
  void close();

  /** A memory that keeps nothing: nothing is suppressed, feedback is only validated. */
  static Memory none() {
    return new Memory() {
      @Override
      public String pseudonym(String fhirServer, String patientId) {
        return "";
      }

      @Override
      public PatientMemory recall(PatientKey key, Instant now) {
        return PatientMemory.EMPTY;
      }

      @Override
      public void log(CallRecord call) {}

      @Override
      public FeedbackResult store(String issuer, List<FeedbackItem> items, Instant now) {
        return new FeedbackResult(0, 0, items.size());
      }

      @Override
      public AnalyticsReport analytics(Instant from, Instant to, String issuer) {
        return AnalyticsReport.empty(from, to, issuer);
      }

      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public boolean enabled() {
        return false;
      }

      @Override
      public void close() {}
    };
  }
}
