package org.mineralcds.rules;

import java.time.Instant;
import java.util.List;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;

/**
 * Tests due for one card: the monitoring of one drug family, or the work-up of coded symptoms.
 *
 * @param lead the rule whose wording heads the card (highest indicator, then file order)
 * @param rules every rule that contributed, lead first
 * @param medications the medications that triggered monitoring (empty for work-ups)
 * @param problems the coded problems that triggered a work-up (empty for monitoring)
 * @param reasons why the rules apply or their windows are shorter, in words ("taking digoxin
 *     (digoxin)", "eGFR 24 mL/min/1.73m2 (2026-11-10), below 30")
 */
public record DueTestsFinding(
    DueTestRule lead,
    List<DueTestRule> rules,
    Indicator indicator,
    List<TriggeringMedication> medications,
    List<ConditionRecord> problems,
    List<MissingTest> missing,
    List<String> reasons) {

  public DueTestsFinding {
    rules = List.copyOf(rules);
    medications = List.copyOf(medications);
    problems = List.copyOf(problems);
    missing = List.copyOf(missing);
    reasons = List.copyOf(reasons);
  }

  /**
   * This card, also covering another whose tests it already orders: the other's drugs, problems and
   * reasons are named here so nothing that made a test due goes unmentioned.
   */
  public DueTestsFinding alsoFor(DueTestsFinding other) {
    List<TriggeringMedication> meds = new java.util.ArrayList<>(medications);
    other.medications().stream()
        .filter(
            m -> meds.stream().noneMatch(o -> o.ingredient().name().equals(m.ingredient().name())))
        .forEach(meds::add);
    List<ConditionRecord> coded = new java.util.ArrayList<>(problems);
    other.problems().stream().filter(c -> !coded.contains(c)).forEach(coded::add);
    java.util.Set<String> why = new java.util.LinkedHashSet<>(reasons);
    why.addAll(other.reasons());
    List<DueTestRule> all = new java.util.ArrayList<>(rules);
    other.rules().stream().filter(r -> !all.contains(r)).forEach(all::add);
    return new DueTestsFinding(lead, all, indicator, meds, coded, missing, List.copyOf(why));
  }

  /** The card key: one monitoring card per family, one work-up card. */
  public String key() {
    return "due:" + lead.family();
  }

  public String topic() {
    return lead.topic();
  }

  /**
   * A medication that made tests due.
   *
   * @param start the earliest known start for this ingredient, or null
   * @param daysTaken whole days from the start to the evaluation, or null when the start is unknown
   */
  public record TriggeringMedication(
      MedicationExposure medication, Ingredient ingredient, Instant start, Long daysTaken) {}

  /**
   * A test with no result in its window and not ordered.
   *
   * @param indicator the urgency of the rule that wants it, for this patient
   * @param windowDays the window applied (after any shortening)
   * @param shortened the window was shortened by the rule's circumstances
   * @param lastResult the newest older result, or null when none is on file
   * @param reasonReference what triggered it (MedicationRequest/... or Condition/...), or null
   */
  public record MissingTest(
      TestSpec test,
      String ruleId,
      Indicator indicator,
      int windowDays,
      boolean shortened,
      boolean sinceStart,
      LabResult lastResult,
      String reasonReference,
      String reasonDisplay) {}
}
