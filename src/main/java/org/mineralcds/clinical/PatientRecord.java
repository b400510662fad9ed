package org.mineralcds.clinical;

import java.util.List;
import java.util.Set;

/**
 * Everything the rules see about one patient: plain values, no FHIR types.
 *
 * @param pastMedications ended orders (completed, stopped), each dated when it was written: at
 *     prescribing time a draft of a drug among them within the renewal gap is a renewal, not a
 *     start
 */
public record PatientRecord(
    String patientId,
    Demographics demographics,
    List<LabResult> labs,
    List<MedicationExposure> medications,
    List<ConditionRecord> conditions,
    List<PendingOrder> pendingOrders,
    Set<DataGap> gaps,
    List<MedicationExposure> pastMedications) {

  public PatientRecord {
    demographics = demographics == null ? new Demographics(null, null) : demographics;
    labs = List.copyOf(labs);
    medications = List.copyOf(medications);
    conditions = List.copyOf(conditions);
    pendingOrders = List.copyOf(pendingOrders);
    gaps = Set.copyOf(gaps);
    pastMedications = pastMedications == null ? List.of() : List.copyOf(pastMedications);
  }

  /** A record without the history of ended orders. */
  public PatientRecord(
      String patientId,
      Demographics demographics,
      List<LabResult> labs,
      List<MedicationExposure> medications,
      List<ConditionRecord> conditions,
      List<PendingOrder> pendingOrders,
      Set<DataGap> gaps) {
    this(patientId, demographics, labs, medications, conditions, pendingOrders, gaps, List.of());
  }
}
