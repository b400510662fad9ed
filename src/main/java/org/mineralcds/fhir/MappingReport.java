package org.mineralcds.fhir;

import java.util.Map;
import java.util.TreeMap;
import org.mineralcds.clinical.Analyte;

/**
 * What the mapper could not use, for people checking a FHIR server's data (the {@code check}
 * command): unknown units, Observations with no known LOINC code, results skipped and why,
 * medications no drug was recognised in. Counts only; one report per evaluation, not thread-safe.
 */
public final class MappingReport {

  private final Map<String, Integer> unknownUnits = new TreeMap<>();
  private final Map<String, Integer> unrecognisedCodes = new TreeMap<>();
  private final Map<String, Integer> skipped = new TreeMap<>();
  private final Map<String, Integer> unrecognisedMedications = new TreeMap<>();

  void unknownUnit(Analyte analyte, String unit) {
    unknownUnits.merge(
        analyte.key() + " '" + (unit == null ? "(no unit)" : unit) + "'", 1, Integer::sum);
  }

  void unrecognisedCode(String code) {
    unrecognisedCodes.merge(code, 1, Integer::sum);
  }

  void skipped(String reason) {
    skipped.merge(reason, 1, Integer::sum);
  }

  void unrecognisedMedication(String description) {
    unrecognisedMedications.merge(description, 1, Integer::sum);
  }

  /** "analyte 'unit'" to the number of results dropped for it. */
  public Map<String, Integer> unknownUnits() {
    return Map.copyOf(unknownUnits);
  }

  /** Observation codes (system|code) that belong to no analyte family. */
  public Map<String, Integer> unrecognisedCodes() {
    return Map.copyOf(unrecognisedCodes);
  }

  /** Why results were not used (status, no value, future date) to counts. */
  public Map<String, Integer> skipped() {
    return Map.copyOf(skipped);
  }

  public Map<String, Integer> unrecognisedMedications() {
    return Map.copyOf(unrecognisedMedications);
  }
}
