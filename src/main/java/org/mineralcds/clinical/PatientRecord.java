package org.mineralcds.clinical;

import java.util.List;
import java.util.Set;

/** Everything the rules see about one patient: plain values, no FHIR types. */
public record PatientRecord(
    String patientId,
    Demographics demographics,
    List<LabResult> labs,
    List<MedicationExposure> medications,
    List<ConditionRecord> conditions,
    List<PendingOrder> pendingOrders,
    Set<DataGap> gaps) {

  public PatientRecord {
    demographics = demographics == null ? new Demographics(null, null) : demographics;
    labs = List.copyOf(labs);
    medications = List.copyOf(medications);
    conditions = List.copyOf(conditions);
    pendingOrders = List.copyOf(pendingOrders);
    gaps = Set.copyOf(gaps);
  }
}
