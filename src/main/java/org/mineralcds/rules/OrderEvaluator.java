package org.mineralcds.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.DataGap;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabHistory;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.PendingOrder;

/**
 * Runs the prescribing rules over the orders being written. Stateless and thread-safe.
 *
 * <p>Per draft order: one conflict finding (every conflict rule that fires, the most urgent first)
 * and one baseline finding (the missing tests of every baseline rule of a drug being started). A
 * rule whose inputs are missing stays quiet: no result in its window, no medication list to tell a
 * start from a renewal.
 */
public final class OrderEvaluator {

  private final OrderRuleSet rules;
  private final LabCatalog catalog;
  private final ValueAssessor assessor;

  public OrderEvaluator(OrderRuleSet rules, RuleSet ruleSet, LabCatalog catalog) {
    this.rules = rules;
    this.catalog = catalog;
    this.assessor = new ValueAssessor(catalog, ruleSet.calcium());
  }

  /**
   * @param considered the drafts the hook is about
   * @param allDrafts every medication order being written (they count as therapy)
   * @param orderedTests lab tests ordered in the same draftOrders (they count as ordered)
   */
  public List<OrderFinding> evaluate(
      PatientRecord patient,
      List<DraftOrder> considered,
      List<DraftOrder> allDrafts,
      List<PendingOrder> orderedTests,
      Instant now) {
    LabHistory history = new LabHistory(patient.labs());
    boolean child = patient.demographics().isChildOn(LocalDate.ofInstant(now, ZoneOffset.UTC));
    List<PendingOrder> ordered = new ArrayList<>(patient.pendingOrders());
    ordered.addAll(orderedTests);
    Set<String> offered = new HashSet<>();
    List<OrderFinding> findings = new ArrayList<>();
    for (DraftOrder draft : considered) {
      if (draft.ingredients().isEmpty()) {
        continue;
      }
      conflict(patient, draft, allDrafts, history, child, ordered, offered, now)
          .ifPresent(findings::add);
      baseline(patient, draft, history, ordered, offered, now).ifPresent(findings::add);
    }
    findings.sort(Comparator.comparing(OrderFinding::indicator)); // stable: draft order within
    return findings;
  }

  /**
   * Whether a rule may suggest tests for one of these drafts, judged from the drafts alone, before
   * any patient data is read: a draft of a drug some baseline rule is about (and, for a rule about
   * long-term orders, covering that long), or one a conflict rule is about (every conflict card
   * offers a recheck). Whether a card fires needs the data; when one may, the service reads the
   * pending lab orders with the rest of the data instead of in a second round trip after it: the
   * prescriber is waiting at order-select and order-sign, and the pending-orders search is a small
   * one. A draft of a drug no order rule is about leaves them to be read only if a test is
   * suggested after all.
   */
  public boolean mayOfferTests(List<DraftOrder> considered) {
    for (DraftOrder draft : considered) {
      for (BaselineRule rule : rules.baselines()) {
        if (matching(rule, draft).isPresent()
            && (rule.longTermDays() == null
                || (draft.expectedDays() != null && draft.expectedDays() >= rule.longTermDays()))) {
          return true;
        }
      }
      for (ConflictRule rule : rules.conflicts()) {
        if (!rule.recheck().isEmpty() && matching(rule, draft).isPresent()) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- conflicts ----------------------------------------------------------------------------

  private Optional<OrderFinding> conflict(
      PatientRecord patient,
      DraftOrder draft,
      List<DraftOrder> allDrafts,
      LabHistory history,
      boolean child,
      List<PendingOrder> ordered,
      Set<String> offered,
      Instant now) {
    List<OrderFinding.Hit> hits = new ArrayList<>();
    Ingredient matched = null;
    List<TestSpec> recheck = new ArrayList<>();
    for (ConflictRule rule : rules.conflicts()) {
      Optional<Ingredient> ingredient = matching(rule, draft);
      if (ingredient.isEmpty()) {
        continue;
      }
      Optional<Met> met = met(rule.lab(), patient, history, child, now);
      if (met.isEmpty()) {
        continue;
      }
      List<String> coTherapy = coTherapy(rule, draft, patient, allDrafts);
      boolean combined = !coTherapy.isEmpty();
      Indicator indicator = rule.indicator();
      if (met.get().value() != null && critical(rule, met.get(), ingredient.get(), combined)) {
        indicator = Indicator.CRITICAL;
      }
      for (ConflictRule.CriticalWhen when : rule.criticalWhen()) {
        if (holds(when, met.get(), ingredient.get(), combined, patient, history, child, now)) {
          indicator = Indicator.CRITICAL;
        }
      }
      hits.add(
          new OrderFinding.Hit(
              rule,
              indicator,
              met.get().value(),
              met.get().condition(),
              rule.combinedClasses().isEmpty() ? List.of() : coTherapy));
      if (matched == null) {
        matched = ingredient.get();
      }
      for (TestSpec t : rule.recheck()) {
        if (recheck.stream().noneMatch(r -> r.id().equals(t.id()))) {
          recheck.add(t);
        }
      }
    }
    if (hits.isEmpty()) {
      return Optional.empty();
    }
    hits.sort(Comparator.comparing(OrderFinding.Hit::indicator)); // stable: file order within
    String reason = hits.get(0).value() == null ? null : hits.get(0).value().primary().reference();
    String reasonDisplay = hits.get(0).value() == null ? null : display(hits.get(0).value());
    List<SuggestedTest> tests = new ArrayList<>();
    for (TestSpec t : recheck) {
      if (!TestsOnFile.ordered(t, ordered, catalog) && offered.add(t.id())) {
        tests.add(new SuggestedTest(t, reason, reasonDisplay));
      }
    }
    return Optional.of(
        new OrderFinding(
            OrderRule.TOPIC_CONFLICT,
            draft,
            matched,
            hits.get(0).indicator(),
            hits,
            tests,
            gaps(patient, hits)));
  }

  /** A value past its critical limits in the direction the rule is about is critical. */
  private boolean critical(ConflictRule rule, Met met, Ingredient ingredient, boolean combined) {
    Optional<Direction> direction = assessor.criticalDirection(met.value());
    if (direction.isEmpty()) {
      return false;
    }
    LabCondition lab = rule.lab();
    boolean low = lab.position() == Position.BELOW || lab.below() != null;
    return direction.get() == (low ? Direction.LOW : Direction.HIGH);
  }

  private boolean holds(
      ConflictRule.CriticalWhen when,
      Met met,
      Ingredient ingredient,
      boolean combined,
      PatientRecord patient,
      LabHistory history,
      boolean child,
      Instant now) {
    if (when.combined() && !combined) {
      return false;
    }
    if (!when.ingredients().isEmpty() && !when.ingredients().contains(ingredient.name())) {
      return false;
    }
    if (when.atLeast() != null
        && (met.value() == null || !met.value().value().isAtLeast(when.atLeast()))) {
      return false;
    }
    if (when.below() != null
        && (met.value() == null || !met.value().value().isBelow(when.below()))) {
      return false;
    }
    return when.lab() == null || met(when.lab(), patient, history, child, now).isPresent();
  }

  /** What satisfied a lab condition: a value, or a coded condition standing for one. */
  private record Met(AssessedValue value, ConditionRecord condition) {}

  private Optional<Met> met(
      LabCondition lab, PatientRecord patient, LabHistory history, boolean child, Instant now) {
    Optional<AssessedValue> value = latest(lab, history, child, now);
    if (value.isPresent() && satisfies(lab, value.get())) {
      return Optional.of(new Met(value.get(), null));
    }
    for (ConditionRecord c : patient.conditions()) {
      if (c.sets().stream().anyMatch(s -> lab.orConditions().contains(s.id()))) {
        return Optional.of(new Met(null, c));
      }
    }
    return Optional.empty();
  }

  private Optional<AssessedValue> latest(
      LabCondition lab, LabHistory history, boolean child, Instant now) {
    Instant since = now.minus(Duration.ofDays(lab.withinDays()));
    Optional<AssessedValue> value;
    if (lab.calcium()) {
      value = assessor.assessCalcium(history, child, now);
    } else {
      Analyte analyte = Analyte.fromKey(lab.analyte()).orElseThrow();
      value = history.latest(analyte).map(r -> assessor.assess(r, child));
    }
    return value.filter(v -> !v.effective().isBefore(since)).filter(v -> trusted(v));
  }

  /** A value hemolysis falsely raises, from a hemolyzed specimen, is not a basis for advice. */
  private boolean trusted(AssessedValue v) {
    LabResult primary = v.primary();
    return !primary.hemolyzed() || !catalog.spec(primary.analyte()).hemolysisRaises();
  }

  private boolean satisfies(LabCondition lab, AssessedValue v) {
    if (lab.position() != null) {
      return assessor.position(v) == lab.position();
    }
    if (lab.below() != null) {
      return v.value().isBelow(lab.below());
    }
    return lab.atLeast() != null && v.value().isAtLeast(lab.atLeast());
  }

  /**
   * The other drugs of the rule's combined therapy, when the ordered drug with the current list and
   * the other drafts makes at least two classes of it; empty otherwise.
   */
  private static List<String> coTherapy(
      ConflictRule rule, DraftOrder draft, PatientRecord patient, List<DraftOrder> allDrafts) {
    if (rule.combinedClasses().isEmpty()) {
      return List.of();
    }
    Set<String> classes = new LinkedHashSet<>();
    for (Ingredient i : draft.ingredients()) {
      if (rule.combinedClasses().contains(i.drugClass().id())) {
        classes.add(i.drugClass().id());
      }
    }
    Set<String> draftNames = new HashSet<>();
    draft.ingredients().forEach(i -> draftNames.add(i.name()));
    List<Set<Ingredient>> therapy = new ArrayList<>();
    for (MedicationExposure m : patient.medications()) {
      if (draft.reference() == null || !draft.reference().equals(m.reference())) {
        therapy.add(m.ingredients());
      }
    }
    for (DraftOrder other : allDrafts) {
      if (other != draft && !sameOrder(other, draft)) {
        therapy.add(other.ingredients());
      }
    }
    Set<String> others = new LinkedHashSet<>();
    for (Set<Ingredient> ingredients : therapy) {
      for (Ingredient i : ingredients) {
        // The drug being renewed is not a second drug.
        if (rule.combinedClasses().contains(i.drugClass().id()) && !draftNames.contains(i.name())) {
          classes.add(i.drugClass().id());
          others.add(i.name());
        }
      }
    }
    return classes.size() >= 2 ? List.copyOf(others) : List.of();
  }

  private static boolean sameOrder(DraftOrder a, DraftOrder b) {
    return a.reference() != null && a.reference().equals(b.reference());
  }

  private static Set<DataGap> gaps(PatientRecord patient, List<OrderFinding.Hit> hits) {
    Set<DataGap> gaps = EnumSet.noneOf(DataGap.class);
    if (patient.gaps().contains(DataGap.MEDICATIONS)
        && hits.stream().anyMatch(h -> !((ConflictRule) h.rule()).combinedClasses().isEmpty())) {
      gaps.add(DataGap.MEDICATIONS);
    }
    if (patient.gaps().contains(DataGap.CONDITIONS)
        && hits.stream().anyMatch(h -> !((ConflictRule) h.rule()).lab().orConditions().isEmpty())) {
      gaps.add(DataGap.CONDITIONS);
    }
    if (patient.gaps().contains(DataGap.PENDING_ORDERS)) {
      gaps.add(DataGap.PENDING_ORDERS);
    }
    return gaps;
  }

  // ---- baselines ----------------------------------------------------------------------------

  private Optional<OrderFinding> baseline(
      PatientRecord patient,
      DraftOrder draft,
      LabHistory history,
      List<PendingOrder> ordered,
      Set<String> offered,
      Instant now) {
    if (patient.gaps().contains(DataGap.MEDICATIONS)) {
      return Optional.empty(); // without the medication list a start cannot be told from a renewal
    }
    List<OrderFinding.Hit> hits = new ArrayList<>();
    List<SuggestedTest> tests = new ArrayList<>();
    Ingredient matched = null;
    for (BaselineRule rule : rules.baselines()) {
      Optional<Ingredient> ingredient = matching(rule, draft);
      if (ingredient.isEmpty() || renewal(draft, ingredient.get(), patient, now)) {
        continue;
      }
      if (rule.longTermDays() != null
          && (draft.expectedDays() == null || draft.expectedDays() < rule.longTermDays())) {
        continue;
      }
      List<SuggestedTest> missing = new ArrayList<>();
      for (BaselineRule.BaselineTest t : rule.tests()) {
        TestSpec spec = widened(t);
        Instant since = now.minus(Duration.ofDays(t.withinDays()));
        if (!TestsOnFile.resultedSince(spec, history, since, catalog)
            && !TestsOnFile.ordered(spec, ordered, catalog)
            && tests.stream().noneMatch(s -> s.test().id().equals(t.test().id()))
            && !offered.contains(t.test().id())) {
          missing.add(new SuggestedTest(t.test(), draft.reference(), draft.description()));
        }
      }
      if (missing.isEmpty()) {
        continue;
      }
      tests.addAll(missing);
      hits.add(new OrderFinding.Hit(rule, rule.indicator(), null, null, List.of()));
      if (matched == null) {
        matched = ingredient.get();
      }
    }
    if (hits.isEmpty()) {
      return Optional.empty();
    }
    tests.forEach(t -> offered.add(t.test().id()));
    hits.sort(Comparator.comparing(OrderFinding.Hit::indicator));
    Set<DataGap> gaps = EnumSet.noneOf(DataGap.class);
    if (patient.gaps().contains(DataGap.PENDING_ORDERS)) {
      gaps.add(DataGap.PENDING_ORDERS);
    }
    return Optional.of(
        new OrderFinding(
            OrderRule.TOPIC_BASELINE, draft, matched, hits.get(0).indicator(), hits, tests, gaps));
  }

  /** The test with the rule's further satisfying analytes (an eGFR for a creatinine). */
  private static TestSpec widened(BaselineRule.BaselineTest t) {
    if (t.alsoSatisfiedBy().isEmpty()) {
      return t.test();
    }
    Set<Analyte> satisfied = new LinkedHashSet<>(t.test().satisfiedBy());
    satisfied.addAll(t.alsoSatisfiedBy());
    TestSpec s = t.test();
    return new TestSpec(s.id(), s.loinc(), s.display(), s.label(), s.analyte(), satisfied);
  }

  /**
   * The draft continues a drug the patient takes: it names the order it renews, or the patient has
   * the ingredient on a current medication, or on an order ended within the renewal gap.
   */
  boolean renewal(DraftOrder draft, Ingredient ingredient, PatientRecord patient, Instant now) {
    if (draft.priorPrescription() != null) {
      return true;
    }
    String name = ingredient.name();
    // An order the EHR sends again to be re-signed is on the current list itself: a renewal too.
    for (MedicationExposure m : patient.medications()) {
      if (m.ingredients().stream().anyMatch(i -> i.name().equals(name))) {
        return true;
      }
    }
    Instant gap = now.minus(Duration.ofDays(rules.renewalGapDays()));
    for (MedicationExposure m : patient.pastMedications()) {
      if (m.start() != null
          && !m.start().isBefore(gap)
          && m.ingredients().stream().anyMatch(i -> i.name().equals(name))) {
        return true;
      }
    }
    return false;
  }

  /** The draft's ingredient the rule is about, by ingredient name or drug class. */
  private static Optional<Ingredient> matching(OrderRule rule, DraftOrder draft) {
    return draft.ingredients().stream()
        .filter(
            i ->
                rule.ingredients().contains(i.name())
                    || rule.drugClasses().contains(i.drugClass().id()))
        .sorted(Comparator.comparing(Ingredient::name))
        .findFirst();
  }

  private String display(AssessedValue v) {
    String name =
        v.measure() != null ? v.measure().label() + " calcium" : catalog.spec(v.analyte()).name();
    return name + " " + v.displayValue() + " " + v.displayUnit();
  }
}
