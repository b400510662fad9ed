package org.mineralcds.rules;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
import org.mineralcds.clinical.ReferenceRange;

/** Runs the rule set over one patient. Stateless and thread-safe. */
public final class Evaluator {

  private static final Duration RELATED_RESULTS_WINDOW = Duration.ofDays(365);

  private final RuleSet ruleSet;
  private final LabCatalog catalog;
  private final ValueAssessor assessor;
  private final DueTestEvaluator dueTests;

  public Evaluator(RuleSet ruleSet, LabCatalog catalog) {
    this.ruleSet = ruleSet;
    this.catalog = catalog;
    this.assessor = new ValueAssessor(catalog, ruleSet.calcium());
    this.dueTests = new DueTestEvaluator(ruleSet.dueTests(), catalog, assessor);
  }

  /**
   * Tests due for drug monitoring and symptom work-ups, one finding per card; tests the value
   * findings of the same response already suggest are left to those cards.
   */
  public List<DueTestsFinding> dueTests(
      PatientRecord patient, Instant now, List<Finding> valueFindings) {
    return dueTests.evaluate(
        patient, new LabHistory(patient.labs()), now, suggestedTests(valueFindings), null);
  }

  /** What a patient-view call shows: the value findings and the due tests, from one pass. */
  public record Assessment(List<Finding> findings, List<DueTestsFinding> due) {
    public Assessment {
      findings = List.copyOf(findings);
      due = List.copyOf(due);
    }
  }

  /**
   * {@link #evaluate} and {@link #dueTests} together, as a hook call needs them: the lab history is
   * indexed once and each due-test rule is judged once, telling both which tests the value cards
   * take over (their reasons named there) and which tests are due on cards of their own.
   */
  public Assessment assess(PatientRecord patient, Instant now) {
    LabHistory history = new LabHistory(patient.labs());
    List<Finding> findings = valueFindings(patient, history, now);
    Map<String, List<String>> handedOver = new LinkedHashMap<>();
    List<DueTestsFinding> due =
        dueTests.evaluate(patient, history, now, suggestedTests(findings), handedOver);
    return new Assessment(withHandedOverReasons(findings, handedOver), due);
  }

  private static Set<String> suggestedTests(List<Finding> findings) {
    Set<String> suggested = new HashSet<>();
    findings.forEach(f -> f.suggestions().forEach(s -> suggested.add(s.test().id())));
    return suggested;
  }

  /**
   * Findings: patterns first (in file order), then single-analyte findings (at most one per analyte
   * rule) except those a fired pattern explains, whose suggested tests the pattern takes.
   */
  public List<Finding> evaluate(PatientRecord patient, Instant now) {
    return assess(patient, now).findings();
  }

  private List<Finding> valueFindings(PatientRecord patient, LabHistory history, Instant now) {
    boolean child = patient.demographics().isChildOn(LocalDate.ofInstant(now, ZoneOffset.UTC));
    List<Finding> singles = new ArrayList<>();
    for (AnalyteRule rule : ruleSet.rules()) {
      Optional<AssessedValue> value = valueFor(rule.analyte(), history, child, now);
      if (value.isEmpty()) {
        continue;
      }
      for (Band band : rule.bands()) {
        if (codedFor(band.requiresConditions(), patient)
            && !anyCoded(band.unlessConditions(), patient)
            && holds(band, value.get(), history, child, now)) {
          if (managed(band, value.get(), rule.bands(), patient, history, child)) {
            break; // a known, managed problem that has not worsened: no card
          }
          findings(
                  rule.effectKey(),
                  rule.context(),
                  band,
                  value.get(),
                  Map.of(),
                  patient,
                  history,
                  child,
                  now)
              .ifPresent(singles::add);
          break;
        }
      }
    }
    List<Finding> result = new ArrayList<>();
    Set<String> replaced = new HashSet<>();
    Set<String> patternTopics = new HashSet<>();
    Set<String> singleTopics = new HashSet<>();
    singles.forEach(
        f -> {
          singleTopics.add(f.band().topic());
          singleTopics.add(f.band().id()); // yieldsTo may name a single rule
        });
    for (PatternRule pattern : ruleSet.patterns()) {
      if (patternTopics.contains(pattern.band().topic())
          || pattern.yieldsTo().stream().anyMatch(singleTopics::contains)) {
        // One card per topic: a second pattern of the same topic must not swallow its singles.
        continue;
      }
      Optional<Finding> finding = pattern(pattern, patient, history, child, now);
      if (finding.isEmpty()) {
        continue;
      }
      patternTopics.add(pattern.band().topic());
      List<SuggestedTest> absorbed = new ArrayList<>(finding.get().suggestions());
      for (Finding single : singles) {
        if (pattern.takesSuggestions() && pattern.replaces().contains(single.band().topic())) {
          for (SuggestedTest test : single.suggestions()) {
            if (absorbed.stream().noneMatch(t -> t.test().id().equals(test.test().id()))) {
              absorbed.add(test);
            }
          }
        }
      }
      replaced.addAll(pattern.replaces());
      result.add(finding.get().withSuggestions(absorbed));
    }
    singles.stream().filter(f -> !replaced.contains(f.band().topic())).forEach(result::add);
    for (TrendRule trend : ruleSet.trends()) {
      trend(trend, patient, history, child, now).ifPresent(result::add);
    }
    return linked(suggestedOnce(result));
  }

  /**
   * A test another rule also wanted (a due-test rule whose card is then not needed for it) is named
   * with that rule's reason on the card that orders it.
   */
  private static List<Finding> withHandedOverReasons(
      List<Finding> findings, Map<String, List<String>> reasons) {
    if (reasons.isEmpty()) {
      return findings;
    }
    List<Finding> result = new ArrayList<>();
    for (Finding f : findings) {
      Finding withReasons = f;
      for (SuggestedTest test : f.suggestions()) {
        for (String reason : reasons.getOrDefault(test.test().id(), List.of())) {
          withReasons = withReasons.withNote(reason);
        }
      }
      result.add(withReasons);
    }
    return result;
  }

  /**
   * Low values with one mechanism (links in rules.yaml) that each have a card: every such card says
   * so, and names a drug class their drug causes share.
   */
  private List<Finding> linked(List<Finding> findings) {
    List<Finding> result = new ArrayList<>(findings);
    for (LinkRule link : ruleSet.links()) {
      Map<Analyte, Integer> members = new LinkedHashMap<>();
      for (int i = 0; i < result.size(); i++) {
        Finding f = result.get(i);
        Analyte analyte =
            f.value().analyte() == Analyte.CALCIUM_IONIZED
                ? Analyte.CALCIUM_TOTAL
                : f.value().analyte();
        if (link.low().contains(analyte)
            && f.band().drugEffect() == Direction.LOW
            && assessor.position(f.value()) != Position.ABOVE) {
          members.putIfAbsent(analyte, i);
        }
      }
      if (members.size() < link.low().size()) {
        continue;
      }
      Set<String> shared = null;
      for (int i : members.values()) {
        Set<String> classes = new LinkedHashSet<>();
        result.get(i).drugCauses().forEach(c -> classes.add(c.ingredient().drugClass().name()));
        if (shared == null) {
          shared = classes;
        } else {
          shared.retainAll(classes);
        }
      }
      String note = link.note();
      if (shared != null && !shared.isEmpty()) {
        note +=
            " Here both can come from one cause: the "
                + Wording.list(List.copyOf(shared))
                + " on the medication list.";
      }
      for (int i : members.values()) {
        result.set(i, result.get(i).withNote(note));
      }
    }
    return result;
  }

  /**
   * A test two cards would order (two patterns that take over the same card's tests) is offered
   * once, on the card shown first: the most urgent, then in rule order, as the renderer orders
   * them.
   */
  private static List<Finding> suggestedOnce(List<Finding> findings) {
    List<Finding> ordered = new ArrayList<>(findings);
    ordered.sort(java.util.Comparator.comparing(Finding::indicator));
    Set<String> claimed = new HashSet<>();
    Map<Finding, Finding> replaced = new java.util.IdentityHashMap<>();
    for (Finding f : ordered) {
      List<SuggestedTest> own =
          f.suggestions().stream().filter(t -> claimed.add(t.test().id())).toList();
      if (own.size() != f.suggestions().size()) {
        replaced.put(f, f.withSuggestions(own));
      }
    }
    return findings.stream().map(f -> replaced.getOrDefault(f, f)).toList();
  }

  private Optional<Finding> trend(
      TrendRule trend, PatientRecord patient, LabHistory history, boolean child, Instant now) {
    List<LabResult> usable =
        history.all(trend.analyte()).stream()
            .filter(r -> !r.status().isPreliminary() && !r.value().isCensored())
            .filter(r -> !r.hemolyzed()) // a hemolyzed specimen's change is not a trend
            .limit(2)
            .toList();
    if (usable.size() < 2) {
      return Optional.empty();
    }
    LabResult latest = usable.get(0);
    LabResult previous = usable.get(1);
    boolean recent =
        !latest.effective().isBefore(now.minus(Duration.ofDays(trend.band().lookbackDays())));
    boolean close =
        !previous
            .effective()
            .isBefore(latest.effective().minus(Duration.ofHours(trend.withinHours())));
    BigDecimal change = latest.value().exactValue().subtract(previous.value().exactValue()).abs();
    if (!recent || !close || change.compareTo(trend.minChange()) < 0) {
      return Optional.empty();
    }
    return findings(
        null,
        trend.context(),
        trend.band(),
        assessor.assess(latest, child),
        Map.of(Wording.PREVIOUS, assessor.assess(previous, child)),
        patient,
        history,
        child,
        now);
  }

  private Optional<Finding> pattern(
      PatternRule pattern, PatientRecord patient, LabHistory history, boolean child, Instant now) {
    if (!pattern.requiresDrugClasses().isEmpty()
        && patient.medications().stream()
                .flatMap(m -> m.ingredients().stream())
                .map(i -> i.drugClass().id())
                .filter(pattern.requiresDrugClasses()::contains)
                .distinct()
                .count()
            < pattern.minDrugClasses()) {
      return Optional.empty();
    }
    if (!codedFor(pattern.band().requiresConditions(), patient)
        || anyCoded(pattern.band().unlessConditions(), patient)) {
      return Optional.empty();
    }
    Optional<AssessedValue> primary = valueFor(pattern.primary(), history, child, now);
    if (primary.isEmpty()
        || !holds(pattern.band(), primary.get(), history, child, now)
        || managed(
            pattern.band(), primary.get(), List.of(pattern.band()), patient, history, child)) {
      return Optional.empty();
    }
    Map<String, AssessedValue> inputs = new LinkedHashMap<>();
    long window = Duration.ofDays(pattern.withinDays()).toSeconds();
    for (Map.Entry<RuleAnalyte, When> input : pattern.others().entrySet()) {
      Optional<AssessedValue> value =
          inputValue(input.getKey(), primary.get(), window, history, child, now);
      if (value.isEmpty()) {
        if (pattern.missingAllowed().contains(input.getKey())) {
          continue;
        }
        return Optional.empty();
      }
      if (!satisfies(
          input.getValue(), value.get(), history, child, pattern.band().appliesToChildren())) {
        return Optional.empty();
      }
      inputs.put(PatternRule.placeholder(input.getKey()), value.get());
    }
    return findings(
        pattern.effectKey(),
        pattern.context(),
        pattern.band(),
        primary.get(),
        inputs,
        patient,
        history,
        child,
        now);
  }

  /** Whether one of the condition sets is coded for the patient; an empty set needs none. */
  private static boolean codedFor(Set<String> conditionSets, PatientRecord patient) {
    return conditionSets.isEmpty()
        || patient.conditions().stream()
            .flatMap(c -> c.sets().stream())
            .anyMatch(s -> conditionSets.contains(s.id()));
  }

  /** Whether one of the condition sets is coded for the patient; an empty set never is. */
  private static boolean anyCoded(Set<String> conditionSets, PatientRecord patient) {
    return !conditionSets.isEmpty() && codedFor(conditionSets, patient);
  }

  /**
   * A known, managed problem (sources.yaml managed-problem-policy): the abnormality is coded, the
   * previous result within a year was already in a band of the same topic at least as urgent, and
   * the value has not moved more than {@link Band#MANAGED_WORSENING} further from normal. Calcium
   * compares the results as measured (ionized or total), not corrected.
   */
  private boolean managed(
      Band band,
      AssessedValue latest,
      List<Band> bands,
      PatientRecord patient,
      LabHistory history,
      boolean child) {
    if (band.managedWhenCoded().isEmpty()
        || band.drugEffect() == null
        || !codedFor(band.managedWhenCoded(), patient)) {
      return false;
    }
    LabResult current = latest.primary();
    Optional<LabResult> previous =
        history.all(current.analyte()).stream()
            .filter(r -> r.effective().isBefore(current.effective()))
            .filter(r -> !r.status().isPreliminary() && !r.value().isCensored())
            .filter(r -> !r.effective().isBefore(current.effective().minus(RELATED_RESULTS_WINDOW)))
            .findFirst();
    if (previous.isEmpty() || current.value().isCensored()) {
      return false;
    }
    AssessedValue before = assessor.assess(previous.get(), child);
    Optional<Band> previousBand =
        bands.stream()
            .filter(
                b ->
                    b.when() != null
                        && satisfies(b.when(), before, history, child, b.appliesToChildren()))
            .findFirst();
    if (previousBand.isEmpty()
        || !previousBand.get().topic().equals(band.topic())
        || band.indicator().compareTo(previousBand.get().indicator()) < 0) {
      return false;
    }
    BigDecimal now = current.value().exactValue();
    BigDecimal then = previous.get().value().exactValue();
    BigDecimal allowed = then.multiply(Band.MANAGED_WORSENING);
    return band.drugEffect() == Direction.LOW
        ? now.compareTo(then.subtract(allowed)) >= 0
        : now.compareTo(then.add(allowed)) <= 0;
  }

  /** An input's value nearest the primary result's collection time, within the window. */
  private Optional<AssessedValue> inputValue(
      RuleAnalyte input,
      AssessedValue primary,
      long windowSeconds,
      LabHistory history,
      boolean child,
      Instant now) {
    Optional<AssessedValue> value =
        input instanceof RuleAnalyte.Single single
            ? history
                .nearest(single.analyte(), primary.effective(), windowSeconds)
                .map(r -> assessor.assess(r, child))
            : assessor.assessCalcium(history, child, now);
    return value.filter(
        v ->
            Math.abs(v.effective().getEpochSecond() - primary.effective().getEpochSecond())
                <= windowSeconds);
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
    return satisfies(band.when(), v, history, child, band.appliesToChildren());
  }

  private boolean satisfies(
      When when, AssessedValue v, LabHistory history, boolean child, boolean appliesToChildren) {
    boolean limitsApply = !child || appliesToChildren;
    boolean hemolyzed = v.primary().hemolyzed() && catalog.spec(v.analyte()).hemolysisRaises();
    if (Boolean.TRUE.equals(when.hemolyzed()) ? !hemolyzed : hemolyzed && !lowSided(when)) {
      // Hemolysis falsely raises the value: only a condition on the low side still holds.
      return false;
    }
    if (when.withoutSameDraw() != null
        && history
            .nearest(
                when.withoutSameDraw(),
                v.effective(),
                ruleSet.calcium().albuminWithinHours() * 3600L)
            .isPresent()) {
      return false;
    }
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
    if (when.atLeast() instanceof Threshold.UpperLimitMultiple multiple
        && !upperLimit(v)
            .map(uln -> v.value().isAtLeast(uln.multiply(multiple.factor())))
            .orElse(false)) {
      return false;
    }
    if (when.atMost() instanceof Threshold.Value atMost
        && !(limitsApply && v.value().isAtMost(atMost.limit()))) {
      return false;
    }
    if (!notBeyond(when.notAbove(), v, position, Position.ABOVE, limitsApply)
        || !notBeyond(when.notBelow(), v, position, Position.BELOW, limitsApply)) {
      return false;
    }
    if (!when.measures().isEmpty() && !when.measures().contains(v.measure())) {
      return false;
    }
    return when.companion() == null || companionHolds(when.companion(), v, history, child);
  }

  /** A condition only on the low side of the value: hemolysis cannot have made it hold. */
  private static boolean lowSided(When when) {
    return (when.critical() == Direction.LOW || when.below() != null)
        && when.critical() != Direction.HIGH
        && when.above() == null
        && when.atLeast() == null;
  }

  /** The upper limit of the range the value is judged against, when it has a numeric one. */
  private static Optional<BigDecimal> upperLimit(AssessedValue v) {
    return Optional.ofNullable(v.range()).map(RangeUsed::range).map(ReferenceRange::high);
  }

  /**
   * notAbove / notBelow: the value is established to be on this side (within or beyond the other).
   */
  private static boolean notBeyond(
      Threshold threshold,
      AssessedValue v,
      Position position,
      Position excluded,
      boolean limitsApply) {
    if (threshold == null) {
      return true;
    }
    if (threshold instanceof Threshold.Range) {
      return position != Position.UNKNOWN && position != excluded;
    }
    if (!limitsApply) {
      return false;
    }
    Threshold.Value value = (Threshold.Value) threshold;
    return excluded == Position.ABOVE
        ? v.value().isAtMost(value.limit())
        : v.value().isAtLeast(value.limit());
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
    if (threshold instanceof Threshold.UpperLimitMultiple multiple) {
      return upperLimit(v)
          .map(uln -> uln.multiply(multiple.factor()))
          .map(
              limit ->
                  wanted == Position.BELOW ? v.value().isBelow(limit) : v.value().isAbove(limit))
          .orElse(false);
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

  private Optional<Finding> findings(
      String effectKey,
      List<Analyte> context,
      Band band,
      AssessedValue value,
      Map<String, AssessedValue> inputs,
      PatientRecord patient,
      LabHistory history,
      boolean child,
      Instant now) {
    List<DrugCause> causes = drugCauses(effectKey, band, patient.medications());
    Indicator indicator =
        !causes.isEmpty() && band.indicatorWithDrug() != null
            ? band.indicatorWithDrug()
            : band.indicator();
    Set<Analyte> shown = new HashSet<>();
    value.basis().forEach(r -> shown.add(r.analyte()));
    shown.add(value.analyte());
    List<AssessedValue> related = new ArrayList<>();
    for (AssessedValue input : inputs.values()) {
      if (shown.add(input.analyte())) {
        input.basis().forEach(r -> shown.add(r.analyte()));
        related.add(input);
      }
    }
    for (Analyte analyte : context) {
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
    return Optional.of(
        new Finding(
            band,
            value,
            indicator,
            causes,
            related,
            conditions,
            suggestions(band, value, patient.pendingOrders(), history, now),
            patient.gaps(),
            inputs,
            List.of()));
  }

  private static Set<Analyte> calciumAware(Analyte analyte) {
    if (analyte == Analyte.CALCIUM_TOTAL || analyte == Analyte.CALCIUM_IONIZED) {
      return Set.of(Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_IONIZED);
    }
    return Set.of(analyte);
  }

  private static List<DrugCause> drugCauses(
      String effectKey, Band band, List<MedicationExposure> medications) {
    if (band.drugEffect() == null || effectKey == null) {
      return List.of();
    }
    List<DrugCause> causes = new ArrayList<>();
    Set<String> seenClasses = new LinkedHashSet<>();
    for (MedicationExposure medication : medications) {
      for (Ingredient ingredient : medication.ingredients()) {
        if (band.drugEffect() == ingredient.drugClass().effects().get(effectKey)
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
      if (!TestsOnFile.resultedSince(suggest.test(), history, since, catalog)
          && !TestsOnFile.ordered(suggest.test(), pending, catalog)) {
        result.add(new SuggestedTest(suggest.test(), reason.reference(), reasonDisplay));
      }
    }
    return result;
  }
}
