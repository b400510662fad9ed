package org.mineralcds.fhir;

import java.util.List;
import org.mineralcds.clinical.PatientRecord;

/**
 * The patient's record and where it came from, for the hook log line.
 *
 * @param prefetched keys the EHR supplied
 * @param fetched keys the service fetched from fhirServer
 */
public record PatientData(PatientRecord record, List<String> prefetched, List<String> fetched) {}
