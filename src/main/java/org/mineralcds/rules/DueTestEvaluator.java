package org.mineralcds.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabHistory;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.rules.DueTestRule.DueTest;
import org.mineralcds.rules.DueTestRule.Trigger;
import org.mineralcds.rules.DueTestsFinding.MissingTest;
import org.mineralcds.rules.DueTestsFinding.TriggeringMedication;

/**
 * Finds tests due for drug monitoring and symptom work-ups, and merges them into one finding per
 * card: per monitoring family, and one for all work-ups.
 */
final class DueTestEvaluator {

  private static final Duration CONTEXT_WINDOW = Duration.ofDays(365);

  private final List<DueTestRule> rules;
  private final LabCatalog catalog;
  private final ValueAssessor assessor;

  DueTestEvaluator(List<DueTestRule> rules, LabCatalog catalog, ValueAssessor assessor) {
    this.rules = rules;
    this.catalog = catalog;
    this.assessor = assessor;
  }

  /**
   * @param alreadySuggested test ids other cards of this response already suggest: not repeated
   * @param handedOver when not null, receives by test id the reasons of the rules that wanted a
   *     test {@code alreadySuggested} holds (the card that orders it names them, so the reason the
   *     test was due is not lost when its own card is not shown)
   */
  List<DueTestsFinding> evaluate(
      PatientRecord patient,
      LabHistory history,
      Instant now,
      Set<String> alreadySuggested,
      Map<String, List<String>> handedOver) {
    Map<String, List<Fired>> byFamily = new LinkedHashMap<>();
    for (DueTestRule rule : rules) {
      fire(rule, patient, history, now, alreadySuggested, handedOver)
          .ifPresent(f -> byFamily.computeIfAbsent(rule.family(), k -> new ArrayList<>()).add(f));
    }
    List<DueTestsFinding> merged = new ArrayList<>();
    for (List<Fired> fired : byFamily.values()) {
      merged.add(merge(fired));
    }
    // A test due for two reasons is suggested once, on the more urgent card (then the earlier
    // family in file order). A rule left with nothing to order is named on the card that took its
    // tests; a card left with nothing to order is dropped, and the indicator is that of the rules
    // still ordering something.
    merged.sort(Comparator.comparing(DueTestsFinding::indicator));
    Map<String, Integer> claimedBy = new HashMap<>();
    List<DueTestsFinding> result = new ArrayList<>();
    for (DueTestsFinding f : merged) {
      int index = result.size();
      List<MissingTest> own =
          f.missing().stream()
              .filter(m -> claimedBy.putIfAbsent(m.test().id(), index) == null)
              .toList();
      List<DueTestRule> contributing = new ArrayList<>();
      for (DueTestRule rule : f.rules()) {
        List<MissingTest> wanted =
            f.missing().stream().filter(m -> m.ruleId().equals(rule.id())).toList();
        if (wanted.isEmpty()) {
          continue; // a sibling rule of the same family orders the same tests on this card
        }
        if (wanted.stream().anyMatch(own::contains)) {
          contributing.add(rule);
        } else {
          int at = claimedBy.get(wanted.get(0).test().id());
          result.set(at, result.get(at).alsoFor(part(f, rule)));
        }
      }
      if (own.isEmpty()) {
        continue;
      }
      Indicator indicator =
          own.stream().map(MissingTest::indicator).min(Comparator.naturalOrder()).orElseThrow();
      result.add(
          new DueTestsFinding(
              contributing.get(0),
              contributing,
              indicator,
              f.medications().stream()
                  .filter(m -> contributing.stream().anyMatch(r -> triggers(r, m)))
                  .toList(),
              f.problems().stream()
                  .filter(c -> contributing.stream().anyMatch(r -> triggers(r, c)))
                  .toList(),
              own,
              f.reasons()));
    }
    return result;
  }

  private static String handoverReason(
      DueTestRule rule, DueTest due, int window, boolean sinceStart, String trigger) {
    String none =
        sinceStart ? "none since it was started" : "none in the last " + Wording.period(window);
    String what =
        rule.trigger() instanceof Trigger.Medication
            ? "for monitoring of " + trigger
            : "for the work-up of " + trigger;
    return capitalise(due.test().label()) + " is also due " + what + " (" + none + ").";
  }

  private static String capitalise(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** What one rule of a finding brought: its drugs or problems, without tests of its own. */
  private static DueTestsFinding part(DueTestsFinding f, DueTestRule rule) {
    return new DueTestsFinding(
        rule,
        List.of(rule),
        f.indicator(),
        f.medications().stream().filter(m -> triggers(rule, m)).toList(),
        f.problems().stream().filter(c -> triggers(rule, c)).toList(),
        List.of(),
        f.reasons());
  }

  private static boolean triggers(DueTestRule rule, TriggeringMedication m) {
    return rule.trigger() instanceof Trigger.Medication drug
        && drug.drugClasses().contains(m.ingredient().drugClass().id())
        && (drug.ingredients().isEmpty()
            || drug.ingredients().contains(m.ingredient().name().toLowerCase(Locale.ROOT)));
  }

  private static boolean triggers(DueTestRule rule, ConditionRecord c) {
    return rule.trigger() instanceof Trigger.Problem problem
        && c.sets().stream().map(ConditionSet::id).anyMatch(problem.conditionSets()::contains);
  }

  private record Fired(
      DueTestRule rule,
      Indicator indicator,
      List<TriggeringMedication> medications,
      List<ConditionRecord> problems,
      List<MissingTest> missing,
      List<String> reasons) {}

  private static DueTestsFinding merge(List<Fired> fired) {
    List<Fired> ordered = new ArrayList<>(fired);
    ordered.sort(Comparator.comparing(Fired::indicator)); // stable: file order within a level
    List<DueTestRule> rules = new ArrayList<>();
    List<TriggeringMedication> medications = new ArrayList<>();
    List<ConditionRecord> problems = new ArrayList<>();
    Map<String, MissingTest> missing = new LinkedHashMap<>();
    Set<String> reasons = new LinkedHashSet<>();
    for (Fired f : ordered) {
      reasons.addAll(f.reasons());
      rules.add(f.rule());
      for (TriggeringMedication m : f.medications()) {
        if (medications.stream()
            .noneMatch(o -> o.ingredient().name().equals(m.ingredient().name()))) {
          medications.add(m);
        }
      }
      for (ConditionRecord c : f.problems()) {
        if (!problems.contains(c)) {
          problems.add(c);
        }
      }
      f.missing().forEach(t -> missing.putIfAbsent(t.test().id(), t));
    }
    return new DueTestsFinding(
        ordered.get(0).rule(),
        rules,
        ordered.get(0).indicator(),
        medications,
        problems,
        List.copyOf(missing.values()),
        List.copyOf(reasons));
  }

  private Optional<Fired> fire(
      DueTestRule rule,
      PatientRecord patient,
      LabHistory history,
      Instant now,
      Set<String> alreadySuggested,
      Map<String, List<String>> handedOver) {
    Set<String> why = new LinkedHashSet<>();
    if (rule.requires() != null) {
      List<String> met = reasons(rule.requires(), patient, history, now);
      if (met.isEmpty()) {
        return Optional.empty();
      }
      why.addAll(met);
    }
    List<TriggeringMedication> medications = List.of();
    List<ConditionRecord> problems = List.of();
    String reasonReference;
    String reasonDisplay;
    if (rule.trigger() instanceof Trigger.Medication drug) {
      medications = medications(drug, patient, now);
      if (medications.isEmpty()) {
        return Optional.empty();
      }
      reasonReference = medications.get(0).medication().reference();
      reasonDisplay = medications.get(0).medication().description();
    } else {
      Trigger.Problem problem = (Trigger.Problem) rule.trigger();
      problems = problems(problem, patient, now);
      if (problems.isEmpty()) {
        return Optional.empty();
      }
      reasonReference = problems.get(0).reference();
      reasonDisplay = problems.get(0).description();
    }
    // The longest-established medication decides how long the drug has been taken.
    Instant start = medications.isEmpty() ? null : medications.get(0).start();
    List<MissingTest> missing = new ArrayList<>();
    for (DueTest due : rule.tests()) {
      if ((due.onlyWhen() != null && !holds(due.onlyWhen(), patient, history, now))
          || (due.activeAtLeastDays() != null
              && start != null
              && start.isAfter(now.minus(Duration.ofDays(due.activeAtLeastDays()))))) {
        continue;
      }
      List<String> shorter =
          due.shorterWithinDays() == null
              ? List.of()
              : reasons(due.shorterWhen(), patient, history, now);
      boolean shortened = !shorter.isEmpty();
      int window = shortened ? due.shorterWithinDays() : due.withinDays();
      Instant since = now.minus(Duration.ofDays(window));
      boolean sinceStart = due.sinceStart() && start != null && start.isAfter(since);
      if (sinceStart) {
        since = start;
      }
      if (TestsOnFile.resultedSince(due.test(), history, since, catalog)
          || TestsOnFile.ordered(due.test(), patient.pendingOrders(), catalog)) {
        continue;
      }
      if (alreadySuggested.contains(due.test().id())) {
        // Left to the card that already orders it; that card names this reason.
        if (handedOver != null) {
          List<String> reasons =
              handedOver.computeIfAbsent(due.test().id(), k -> new ArrayList<>());
          String reason = handoverReason(rule, due, window, sinceStart, reasonDisplay);
          if (!reasons.contains(reason)) {
            reasons.add(reason);
          }
        }
        continue;
      }
      why.addAll(shorter);
      missing.add(
          new MissingTest(
              due.test(),
              rule.id(),
              null, // set below, once escalation is known
              window,
              shortened,
              sinceStart,
              lastResult(due.test(), history),
              reasonReference,
              reasonDisplay));
    }
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    List<String> escalation =
        rule.escalateWhen() == null
            ? List.of()
            : reasons(rule.escalateWhen(), patient, history, now);
    why.addAll(escalation);
    Indicator indicator = escalation.isEmpty() ? rule.indicator() : rule.escalatedIndicator();
    missing.replaceAll(
        m ->
            new MissingTest(
                m.test(),
                m.ruleId(),
                indicator,
                m.windowDays(),
                m.shortened(),
                m.sinceStart(),
                m.lastResult(),
                m.reasonReference(),
                m.reasonDisplay()));
    return Optional.of(
        new Fired(rule, indicator, medications, problems, missing, List.copyOf(why)));
  }

  /**
   * Matching active medications, one per ingredient with its earliest known start, the longest
   * established first.
   */
  private static List<TriggeringMedication> medications(
      Trigger.Medication drug, PatientRecord patient, Instant now) {
    Map<String, TriggeringMedication> byIngredient = new LinkedHashMap<>();
    Set<String> unknownStart = new HashSet<>();
    for (MedicationExposure medication : patient.medications()) {
      for (Ingredient ingredient : medication.ingredients()) {
        if (!drug.drugClasses().contains(ingredient.drugClass().id())
            || (!drug.ingredients().isEmpty()
                && !drug.ingredients().contains(ingredient.name().toLowerCase(Locale.ROOT)))) {
          continue;
        }
        if (medication.start() == null) {
          unknownStart.add(ingredient.name());
        }
        byIngredient.merge(
            ingredient.name(),
            new TriggeringMedication(medication, ingredient, medication.start(), null),
            (a, b) ->
                b.start() != null && (a.start() == null || b.start().isBefore(a.start())) ? b : a);
      }
    }
    List<TriggeringMedication> qualifying = new ArrayList<>();
    for (TriggeringMedication m : byIngredient.values()) {
      // Another active entry without a date may be the older one: the start is then unknown.
      Instant start = unknownStart.contains(m.ingredient().name()) ? null : m.start();
      boolean established =
          start == null || !start.isAfter(now.minus(Duration.ofDays(drug.activeAtLeastDays())));
      boolean recentEnough =
          drug.startedWithinDays() == null
              || (start != null
                  && !start.isBefore(now.minus(Duration.ofDays(drug.startedWithinDays()))));
      if (established && recentEnough) {
        qualifying.add(
            new TriggeringMedication(
                m.medication(),
                m.ingredient(),
                start,
                start == null ? null : Math.max(0, Duration.between(start, now).toDays())));
      }
    }
    qualifying.sort(
        Comparator.comparing(
            TriggeringMedication::start, Comparator.nullsFirst(Comparator.naturalOrder())));
    return qualifying;
  }

  private static List<ConditionRecord> problems(
      Trigger.Problem problem, PatientRecord patient, Instant now) {
    Instant since =
        problem.recordedWithinDays() == null
            ? Instant.MIN
            : now.minus(Duration.ofDays(problem.recordedWithinDays()));
    return patient.conditions().stream()
        .filter(
            c ->
                c.sets().stream().map(ConditionSet::id).anyMatch(problem.conditionSets()::contains))
        .filter(c -> c.recorded() == null || !c.recorded().isBefore(since))
        .toList();
  }

  private static LabResult lastResult(TestSpec test, LabHistory history) {
    return test.answeredBy().stream()
        .map(history::latest)
        .flatMap(Optional::stream)
        .max(Comparator.comparing(LabResult::effective))
        .orElse(null);
  }

  boolean holds(Circumstances c, PatientRecord patient, LabHistory history, Instant now) {
    return !reasons(c, patient, history, now).isEmpty();
  }

  /** The parts of the circumstances that hold, in words for the card ("eGFR 24 ... (date)"). */
  List<String> reasons(Circumstances c, PatientRecord patient, LabHistory history, Instant now) {
    List<String> reasons = new ArrayList<>();
    for (ConditionRecord condition : patient.conditions()) {
      if (condition.sets().stream().map(ConditionSet::id).anyMatch(c.conditions()::contains)) {
        String name =
            condition.description() != null
                ? condition.description()
                : condition.sets().iterator().next().name();
        reasons.add(name + " on the problem list");
      }
    }
    for (MedicationExposure medication : patient.medications()) {
      for (Ingredient i : medication.ingredients()) {
        if (c.drugClasses().contains(i.drugClass().id())) {
          reasons.add(
              i.name().equalsIgnoreCase(i.drugClass().name())
                  ? "taking " + i.name()
                  : "taking " + i.name() + " (" + i.drugClass().name() + ")");
        }
      }
    }
    if (c.egfrBelow() != null) {
      history
          .latestSince(Analyte.EGFR, now.minus(CONTEXT_WINDOW))
          .filter(r -> r.value().isBelow(c.egfrBelow()))
          .ifPresent(r -> reasons.add(describe(r) + ", below " + c.egfrBelow().toPlainString()));
    }
    if (c.ageAtLeast() != null && patient.demographics().birthDate() != null) {
      int age =
          Period.between(
                  patient.demographics().birthDate(), LocalDate.ofInstant(now, ZoneOffset.UTC))
              .getYears();
      if (age >= c.ageAtLeast()) {
        reasons.add("age " + age);
      }
    }
    boolean child = patient.demographics().isChildOn(LocalDate.ofInstant(now, ZoneOffset.UTC));
    for (RuleAnalyte analyte : c.lowResults()) {
      Optional<AssessedValue> value =
          analyte instanceof RuleAnalyte.Single single
              ? history.latest(single.analyte()).map(r -> assessor.assess(r, child))
              : assessor.assessCalcium(history, child, now);
      value
          .filter(v -> !v.effective().isBefore(now.minus(CONTEXT_WINDOW)))
          .filter(v -> assessor.position(v) == Position.BELOW)
          .ifPresent(v -> reasons.add(describe(v.primary()) + ", below its range"));
    }
    return reasons.stream().distinct().toList();
  }

  private String describe(LabResult r) {
    String value =
        r.reportedValue() == null ? r.value().value().toPlainString() : r.reportedValue();
    String unit =
        r.reportedUnit() == null ? catalog.spec(r.analyte()).canonicalUnit() : r.reportedUnit();
    return catalog.spec(r.analyte()).name()
        + " "
        + value
        + " "
        + unit
        + " ("
        + LocalDate.ofInstant(r.effective(), ZoneOffset.UTC)
        + ")";
  }
}
