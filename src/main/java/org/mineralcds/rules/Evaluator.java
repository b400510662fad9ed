package org.mineralcds.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabHistory;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.PendingOrder;

/** Runs the rule set over one patient. Stateless and thread-safe. */
public final class Evaluator {

  private static final Duration RELATED_RESULTS_WINDOW = Duration.ofDays(365);

  private final RuleSet ruleSet;
  private final LabCatalog catalog;
  private final ValueAssessor assessor;

  public Evaluator(RuleSet ruleSet, LabCatalog catalog) {
    this.ruleSet = ruleSet;
    this.catalog = catalog;
    this.assessor = new ValueAssessor(catalog, ruleSet.calcium());
  }

  /** Findings in rule-file order; at most one per analyte rule. */
  public List<Finding> evaluate(PatientRecord patient, Instant now) {
    LabHistory history = new LabHistory(patient.labs());
    boolean child = patient.demographics().isChildOn(LocalDate.ofInstant(now, ZoneOffset.UTC));
    List<Finding> findings = new ArrayList<>();
    for (AnalyteRule rule : ruleSet.rules()) {
      Optional<AssessedValue> value = valueFor(rule.analyte(), history, child, now);
      if (value.isEmpty()) {
        continue;
      }
      for (Band band : rule.bands()) {
        if (holds(band, value.get(), history, child, now)) {
          findings.add(finding(rule, band, value.get(), patient, history, child, now));
          break;
        }
      }
    }
    return findings;
  }

  private Optional<AssessedValue> valueFor(
      RuleAnalyte analyte, LabHistory history, boolean child, Instant now) {
    if (analyte instanceof RuleAnalyte.Single single) {
      return history.latest(single.analyte()).map(r -> assessor.assess(r, child));
    }
    return assessor.assessCalcium(history, child, now);
  }

  private boolean holds(
      Band band, AssessedValue v, LabHistory history, boolean child, Instant now) {
    if (v.effective().isBefore(now.minus(Duration.ofDays(band.lookbackDays())))) {
      return false;
    }
    When when = band.when();
    boolean limitsApply = !child || band.appliesToChildren();
    if (when.critical() != null
        && !assessor.criticalDirection(v).map(when.critical()::equals).orElse(false)) {
      return false;
    }
    Position position = assessor.position(v);
    if (!satisfied(when.below(), v, position, Position.BELOW, limitsApply)
        || !satisfied(when.above(), v, position, Position.ABOVE, limitsApply)) {
      return false;
    }
    if (when.atLeast() instanceof Threshold.Value atLeast
        && !(limitsApply && v.value().isAtLeast(atLeast.limit()))) {
      return false;
    }
    if (when.atMost() instanceof Threshold.Value atMost
        && !(limitsApply && v.value().isAtMost(atMost.limit()))) {
      return false;
    }
    if (!when.measures().isEmpty() && !when.measures().contains(v.measure())) {
      return false;
    }
    return when.companion() == null || companionHolds(when.companion(), v, history, child);
  }

  private static boolean satisfied(
      Threshold threshold,
      AssessedValue v,
      Position position,
      Position wanted,
      boolean limitsApply) {
    if (threshold == null) {
      return true;
    }
    if (threshold instanceof Threshold.Range) {
      return position == wanted;
    }
    Threshold.Value value = (Threshold.Value) threshold;
    if (!limitsApply) {
      return false;
    }
    return wanted == Position.BELOW
        ? v.value().isBelow(value.limit())
        : v.value().isAbove(value.limit());
  }

  private boolean companionHolds(
      Companion companion, AssessedValue v, LabHistory history, boolean child) {
    long window = Duration.ofDays(companion.withinDays()).toSeconds();
    return history.all(companion.analyte()).stream()
        .filter(
            r ->
                Math.abs(r.effective().getEpochSecond() - v.effective().getEpochSecond()) <= window)
        .findFirst()
        .map(r -> assessor.position(assessor.assess(r, child)))
        .map(p -> p == (companion.is() == Direction.LOW ? Position.BELOW : Position.ABOVE))
        .orElse(false);
  }

  private Finding finding(
      AnalyteRule rule,
      Band band,
      AssessedValue value,
      PatientRecord patient,
      LabHistory history,
      boolean child,
      Instant now) {
    List<DrugCause> causes = drugCauses(rule, band, patient.medications());
    Indicator indicator =
        !causes.isEmpty() && band.indicatorWithDrug() != null
            ? band.indicatorWithDrug()
            : band.indicator();
    Set<Analyte> shown = new HashSet<>();
    value.basis().forEach(r -> shown.add(r.analyte()));
    shown.add(value.analyte());
    List<AssessedValue> related = new ArrayList<>();
    for (Analyte analyte : rule.context()) {
      if (shown.add(analyte)) {
        history
            .latestSince(analyte, now.minus(RELATED_RESULTS_WINDOW))
            .map(r -> assessor.assess(r, child))
            .ifPresent(related::add);
      }
    }
    Set<Analyte> relevant = calciumAware(value.analyte());
    List<ConditionRecord> conditions =
        patient.conditions().stream()
            .filter(
                c ->
                    c.sets().stream()
                        .anyMatch(s -> s.relevantTo().stream().anyMatch(relevant::contains)))
            .toList();
    return new Finding(
        band,
        value,
        indicator,
        causes,
        related,
        conditions,
        suggestions(band, value, patient.pendingOrders(), history, now),
        patient.gaps());
  }

  private static Set<Analyte> calciumAware(Analyte analyte) {
    if (analyte == Analyte.CALCIUM_TOTAL || analyte == Analyte.CALCIUM_IONIZED) {
      return Set.of(Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_IONIZED);
    }
    return Set.of(analyte);
  }

  private static List<DrugCause> drugCauses(
      AnalyteRule rule, Band band, List<MedicationExposure> medications) {
    if (band.drugEffect() == null) {
      return List.of();
    }
    List<DrugCause> causes = new ArrayList<>();
    Set<String> seenClasses = new LinkedHashSet<>();
    for (MedicationExposure medication : medications) {
      for (Ingredient ingredient : medication.ingredients()) {
        if (band.drugEffect() == ingredient.drugClass().effects().get(rule.effectKey())
            && seenClasses.add(ingredient.drugClass().id() + "/" + ingredient.name())) {
          causes.add(new DrugCause(medication, ingredient));
        }
      }
    }
    return causes;
  }

  private List<SuggestedTest> suggestions(
      Band band, AssessedValue value, List<PendingOrder> pending, LabHistory history, Instant now) {
    LabResult reason = value.primary();
    String reasonDisplay =
        catalog.spec(value.analyte()).name()
            + " "
            + value.displayValue()
            + " "
            + value.displayUnit();
    List<SuggestedTest> result = new ArrayList<>();
    for (Suggest suggest : band.suggest()) {
      Instant since = now.minus(Duration.ofDays(suggest.notWithinDays()));
      Set<String> family = new HashSet<>();
      family.add(suggest.test().loinc());
      boolean resulted = false;
      for (Analyte analyte : suggest.test().answeredBy()) {
        resulted |= history.latestSince(analyte, since).isPresent();
        family.addAll(catalog.codesOf(analyte));
      }
      boolean ordered =
          pending.stream().anyMatch(o -> o.loincCodes().stream().anyMatch(family::contains));
      if (!resulted && !ordered) {
        result.add(new SuggestedTest(suggest.test(), reason.reference(), reasonDisplay));
      }
    }
    return result;
  }
}
