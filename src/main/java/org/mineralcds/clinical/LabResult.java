package org.mineralcds.clinical;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * One usable lab result, normalised: the value is in the analyte's canonical unit, the lab's range
 * is converted likewise. The reported value and unit are kept for display.
 *
 * @param reference the source, e.g. "Observation/123", or null when the resource had no id
 * @param effective clinical time (collection), not the report time
 * @param effectiveIsDateOnly the source gave only a date; the instant is the start of that day
 * @param labRange the lab's own reference range in canonical units, or null
 * @param identity stable key used to drop the same result arriving twice
 * @param hemolyzed the lab marked the specimen hemolyzed (Specimen.condition HEM, or its note or
 *     comment says so): a value that hemolysis raises is not trusted
 */
public record LabResult(
    String reference,
    Analyte analyte,
    String loincCode,
    Measurement value,
    String reportedValue,
    String reportedUnit,
    Instant effective,
    boolean effectiveIsDateOnly,
    ResultStatus status,
    ReferenceRange labRange,
    Set<Interpretation> flags,
    String identity,
    boolean hemolyzed) {

  /** A result from a specimen not marked hemolyzed. */
  public LabResult(
      String reference,
      Analyte analyte,
      String loincCode,
      Measurement value,
      String reportedValue,
      String reportedUnit,
      Instant effective,
      boolean effectiveIsDateOnly,
      ResultStatus status,
      ReferenceRange labRange,
      Set<Interpretation> flags,
      String identity) {
    this(
        reference,
        analyte,
        loincCode,
        value,
        reportedValue,
        reportedUnit,
        effective,
        effectiveIsDateOnly,
        status,
        labRange,
        flags,
        identity,
        false);
  }

  public LabResult {
    Objects.requireNonNull(analyte, "analyte");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(effective, "effective");
    Objects.requireNonNull(status, "status");
    flags = ImmutableSets.copyOf(flags);
  }
}
