package org.mineralcds.fhir;

import java.util.List;
import java.util.Map;
import org.mineralcds.clinical.PatientRecord;

/**
 * The patient's record and how it was obtained.
 *
 * @param prefetched keys the EHR supplied
 * @param fetched keys the service fetched from fhirServer
 * @param failures keys that could not be obtained, with the reason (no patient data in reasons)
 * @param patientFound a Patient resource with the requested id was among the data
 * @param report what the mapper could not use
 */
public record PatientData(
    PatientRecord record,
    List<String> prefetched,
    List<String> fetched,
    Map<String, String> failures,
    boolean patientFound,
    MappingReport report) {

  public PatientData {
    prefetched = List.copyOf(prefetched);
    fetched = List.copyOf(fetched);
    failures = Map.copyOf(failures);
  }
}
