package org.mineralcds.fhir;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.PatientRecord;

/**
 * The patient's record and how it was obtained.
 *
 * @param prefetched keys the EHR supplied
 * @param fetched keys the service fetched from fhirServer
 * @param failures keys that could not be obtained, with the reason (no patient data in reasons)
 * @param patientFound a Patient resource with the requested id was among the data
 * @param report what the mapper could not use
 * @param deferred keys neither prefetched nor fetched yet, because the service fetches them only
 *     when a card is about to suggest a test ({@link PatientDataLoader#completeForSuggestions})
 * @param deadlineNanos the hook call's deadline for FHIR requests ({@link System#nanoTime()})
 * @param fhirRequests HTTP requests sent to the FHIR server for this call
 * @param fhirBytes bytes of FHIR answers read for this call
 */
public record PatientData(
    PatientRecord record,
    List<String> prefetched,
    List<String> fetched,
    Map<String, String> failures,
    boolean patientFound,
    MappingReport report,
    Set<String> deferred,
    long deadlineNanos,
    int fhirRequests,
    long fhirBytes) {

  public PatientData {
    prefetched = List.copyOf(prefetched);
    fetched = List.copyOf(fetched);
    failures = Map.copyOf(failures);
    deferred = Set.copyOf(deferred);
  }
}
