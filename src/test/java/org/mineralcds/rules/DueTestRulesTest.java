package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.cards.CardRenderer;
import org.mineralcds.clinical.CodeRef;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.hook.Action;
import org.mineralcds.hook.Card;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.rules.DueTestsFinding.MissingTest;
import org.mineralcds.rules.RuleCases.LabData;

/**
 * Runs every case of due-test-cases.yaml against the real knowledge files (value findings first,
 * then due tests, as the service does), and checks the cards rendered from due-test findings.
 */
class DueTestRulesTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());
  private static final CardRenderer RENDERER = new CardRenderer(K.labs(), K.rules());
  private static final String HOOK_INSTANCE = "5f1b7c3e-2d4a-4e8b-9c61-0a7d2e4f9b13";
  private static final String PATIENT_ID = "patient-1";
  private static final String RESOURCE = "/rules/due-test-cases.yaml";
  private static final String FIRES = "fires";
  private static final String NEAR_MISS = "nearMiss";
  private static final String MONITORING = "monitoring-overdue";
  private static final String WORKUP = "symptom-workup";

  private static final List<DueCase> CASES = load();
  private static final Map<String, DueTestRule> RULES =
      K.rules().dueTests().stream().collect(Collectors.toMap(DueTestRule::id, Function.identity()));

  // ---- the case format ------------------------------------------------------------------------

  /** One case: a patient and what the rule must (fires) or must not (nearMiss) contribute. */
  record DueCase(
      String rule,
      String kind,
      String description,
      String disabled,
      DuePatient patient,
      DueExpect expect) {

    boolean fires() {
      return FIRES.equals(kind);
    }

    @Override
    public String toString() {
      return rule + " [" + kind + "] " + description;
    }
  }

  record DuePatient(
      Integer age,
      List<LabData> labs,
      List<Med> meds,
      List<Problem> conditions,
      List<String> pendingOrders) {

    DuePatient {
      labs = labs == null ? List.of() : List.copyOf(labs);
      meds = meds == null ? List.of() : List.copyOf(meds);
      conditions = conditions == null ? List.of() : List.copyOf(conditions);
      pendingOrders = pendingOrders == null ? List.of() : List.copyOf(pendingOrders);
    }
  }

  /** An active medication; startedDaysAgo null: the source gives no start date. */
  record Med(String name, Integer startedDaysAgo) {}

  /** A coded problem (system icd10 or snomed); recordedDaysAgo null: no date. */
  record Problem(String system, String code, Integer recordedDaysAgo) {}

  /**
   * For fires: the family of the card naming the rule (when not its own), the card's indicator, the
   * test ids this rule contributed (in order; empty when another card orders them all), the window
   * of the first of them and every test id on the card. For nearMiss: tests a value card suggests.
   */
  record DueExpect(
      String card,
      String indicator,
      List<String> missing,
      Integer windowDays,
      List<String> cardMissing,
      List<String> valueSuggests) {}

  private static List<DueCase> load() {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    try (InputStream in = DueTestRulesTest.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + RESOURCE);
      }
      return List.of(yaml.readValue(in, DueCase[].class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static PatientRecord patient(DuePatient data) {
    Labs.PatientBuilder builder = Labs.patient().id(PATIENT_ID);
    if (data.age() != null) {
      builder.age(data.age());
    }
    data.labs().forEach(l -> builder.lab(RuleCases.lab(l)));
    data.meds().forEach(m -> builder.medication(K.drugs(), m.name(), m.startedDaysAgo()));
    data.conditions()
        .forEach(c -> builder.condition(K.conditions(), c.system(), c.code(), c.recordedDaysAgo()));
    data.pendingOrders().forEach(builder::pending);
    return builder.build();
  }

  /** Value findings and due-test findings of one response. */
  private record Outcome(List<Finding> findings, List<DueTestsFinding> due) {

    Set<String> valueSuggestions() {
      return findings.stream()
          .flatMap(f -> f.suggestions().stream())
          .map(s -> s.test().id())
          .collect(Collectors.toSet());
    }

    List<Card> cards() {
      return RENDERER.render(findings, due, PATIENT_ID, HOOK_INSTANCE);
    }

    /** The due-test cards alone, in the order of {@link #due}. */
    List<Card> dueCards() {
      List<Card> cards =
          RENDERER.renderEach(
              List.of(), due, PATIENT_ID, HOOK_INSTANCE, CardRenderer.DEFAULT_BASE_URL);
      assertThat(cards).as("one card per due-test finding").hasSameSizeAs(due);
      return cards;
    }
  }

  /** The suggestion ordering every missing test: the only one, or the last ("Order all"). */
  private static org.mineralcds.hook.Suggestion orderAll(Card card) {
    return card.suggestions().get(card.suggestions().size() - 1);
  }

  /**
   * The service's one pass ({@link Evaluator#assess}); every case also checks that it finds what
   * the two separate steps find.
   */
  private static Outcome run(PatientRecord patient) {
    Evaluator.Assessment assessment = EVALUATOR.assess(patient, Labs.NOW);
    List<Finding> findings = EVALUATOR.evaluate(patient, Labs.NOW);
    assertThat(assessment.findings()).isEqualTo(findings);
    assertThat(assessment.due()).isEqualTo(EVALUATOR.dueTests(patient, Labs.NOW, findings));
    return new Outcome(assessment.findings(), assessment.due());
  }

  private static Outcome run(DuePatient data) {
    return run(patient(data));
  }

  private static List<String> ids(List<MissingTest> missing) {
    return missing.stream().map(m -> m.test().id()).toList();
  }

  // ---- the cases ------------------------------------------------------------------------------

  static Stream<DueCase> cases() {
    return CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void dueTestCase(DueCase c) {
    assumeTrue(c.disabled() == null, c::disabled);
    DueTestRule rule = RULES.get(c.rule());
    assertThat(rule).as("rule id %s is not in due-tests.yaml", c.rule()).isNotNull();

    Outcome out = run(c.patient());
    assertConsistent(c, out);
    List<DueTestsFinding> withRule =
        out.due().stream()
            .filter(f -> f.rules().stream().anyMatch(r -> r.id().equals(c.rule())))
            .toList();

    if (c.fires()) {
      assertThat(withRule).as("%s: cards the rule contributes to", c).hasSize(1);
      DueTestsFinding f = withRule.get(0);
      DueExpect expect = c.expect();
      assertThat(f.key())
          .as("%s: card key", c)
          .isEqualTo("due:" + (expect.card() == null ? rule.family() : expect.card()));
      assertThat(f.topic()).as("%s: topic", c).isEqualTo(rule.topic());
      List<MissingTest> own =
          f.missing().stream().filter(m -> m.ruleId().equals(c.rule())).toList();
      assertThat(f.indicator().code()).as("%s: indicator", c).isEqualTo(expect.indicator());
      assertThat(ids(own))
          .as("%s: tests of the rule", c)
          .containsExactlyElementsOf(expect.missing());
      if (expect.windowDays() != null && !own.isEmpty()) {
        assertThat(own.get(0).windowDays())
            .as("%s: window of %s", c, own.get(0).test().id())
            .isEqualTo(expect.windowDays());
      }
      if (expect.cardMissing() != null) {
        assertThat(ids(f.missing()))
            .as("%s: tests on the card", c)
            .containsExactlyElementsOf(expect.cardMissing());
      }
    } else {
      assertThat(withRule)
          .as("%s: cards with tests of %s", c, c.rule())
          .extracting(f -> ids(f.missing()))
          .isEmpty();
      assertThat(out.due())
          .flatExtracting(DueTestsFinding::missing)
          .extracting(MissingTest::ruleId)
          .as("%s: rules of the missing tests", c)
          .doesNotContain(c.rule());
      if (c.expect() != null && c.expect().valueSuggests() != null) {
        assertThat(out.valueSuggestions())
            .as("%s: tests value cards suggest", c)
            .containsAll(c.expect().valueSuggests());
      }
    }
  }

  /**
   * What holds for every response: one finding per card, no test twice (neither on two due cards
   * nor on a value card and a due card), the lead heads the contributing rules, every missing test
   * comes from one of them and was applied with the rule's own or shortened window.
   */
  private static void assertConsistent(DueCase c, Outcome out) {
    assertThat(out.due())
        .extracting(DueTestsFinding::key)
        .as("%s: one finding per card", c)
        .doesNotHaveDuplicates();
    List<String> all = out.due().stream().flatMap(f -> ids(f.missing()).stream()).toList();
    assertThat(all).as("%s: a test is suggested once", c).doesNotHaveDuplicates();
    Set<String> valueSuggestions = out.valueSuggestions();
    assertThat(all)
        .as("%s: tests a value card already suggests", c)
        .filteredOn(valueSuggestions::contains)
        .isEmpty();
    for (DueTestsFinding f : out.due()) {
      assertThat(f.missing()).as("%s: card %s has tests", c, f.key()).isNotEmpty();
      assertThat(f.rules()).as("%s: lead first", c).first().isEqualTo(f.lead());
      List<String> ruleIds = f.rules().stream().map(DueTestRule::id).toList();
      for (MissingTest m : f.missing()) {
        assertThat(ruleIds).as("%s: rule of %s", c, m.test().id()).contains(m.ruleId());
        DueTestRule.DueTest due =
            RULES.get(m.ruleId()).tests().stream()
                .filter(t -> t.test().id().equals(m.test().id()))
                .findFirst()
                .orElseThrow();
        assertThat(m.windowDays())
            .as("%s: window of %s", c, m.test().id())
            .isEqualTo(m.shortened() ? due.shorterWithinDays() : due.withinDays());
      }
    }
  }

  @Test
  void everyDueTestRuleHasAFiringCaseAndANearMiss() {
    Set<String> ruleIds =
        K.rules().dueTests().stream()
            .map(DueTestRule::id)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(ruleIds).isNotEmpty();
    Map<String, Set<String>> kindsByRule =
        CASES.stream()
            .filter(c -> c.disabled() == null)
            .filter(c -> !c.fires() || !c.expect().missing().isEmpty())
            .collect(
                Collectors.groupingBy(
                    DueCase::rule, Collectors.mapping(DueCase::kind, Collectors.toSet())));
    assertThat(ruleIds)
        .as("due-test rules without a fires case contributing a test")
        .filteredOn(id -> !kindsByRule.getOrDefault(id, Set.of()).contains(FIRES))
        .isEmpty();
    assertThat(ruleIds)
        .as("due-test rules without a nearMiss case")
        .filteredOn(id -> !kindsByRule.getOrDefault(id, Set.of()).contains(NEAR_MISS))
        .isEmpty();
  }

  @Test
  void casesAreWellFormed() {
    assertThat(CASES).hasSizeGreaterThan(RULES.size() * 2);
    assertThat(CASES)
        .allSatisfy(
            c -> {
              assertThat(RULES).as("rule of case '%s'", c).containsKey(c.rule());
              assertThat(c.kind()).as("kind of '%s'", c).isIn(FIRES, NEAR_MISS);
              assertThat(c.description()).as("description of '%s'", c).isNotBlank();
              assertThat(c.patient()).as("patient of '%s'", c).isNotNull();
              assertThat(c.patient().meds().size() + c.patient().conditions().size())
                  .as("'%s' needs a drug or a problem", c)
                  .isPositive();
              if (c.fires()) {
                assertThat(c.expect()).as("expect of '%s'", c).isNotNull();
                assertThat(c.expect().indicator()).as("indicator of '%s'", c).isNotNull();
                assertThat(c.expect().missing()).as("missing of '%s'", c).isNotNull();
                assertThat(c.expect().missing().isEmpty())
                    .as("'%s': missing: [] goes with the card naming the rule", c)
                    .isEqualTo(c.expect().card() != null);
                assertThat(c.expect().valueSuggests()).as("fires '%s'", c).isNull();
              } else if (c.expect() != null) {
                assertThat(c.expect().indicator()).as("nearMiss '%s'", c).isNull();
                assertThat(c.expect().card()).as("nearMiss '%s'", c).isNull();
                assertThat(c.expect().missing()).as("nearMiss '%s'", c).isNull();
                assertThat(c.expect().windowDays()).as("nearMiss '%s'", c).isNull();
                assertThat(c.expect().cardMissing()).as("nearMiss '%s'", c).isNull();
              }
              if (c.expect() != null) {
                Stream.of(
                        c.expect().missing(), c.expect().cardMissing(), c.expect().valueSuggests())
                    .filter(l -> l != null)
                    .flatMap(List::stream)
                    .forEach(
                        t -> assertThat(K.rules().tests()).as("test id in '%s'", c).containsKey(t));
              }
            });
    assertThat(CASES.stream().map(DueCase::toString).toList())
        .as("case names must be unique")
        .doesNotHaveDuplicates();
  }

  // ---- rendered cards -------------------------------------------------------------------------

  static Stream<DueCase> firingCases() {
    return CASES.stream().filter(c -> c.fires() && c.disabled() == null);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("firingCases")
  void everyFiringCaseRendersACompleteCardWithAShortSummary(DueCase c) {
    Outcome out = run(c.patient());
    List<Card> cards = out.dueCards();
    for (int i = 0; i < cards.size(); i++) {
      DueTestsFinding f = out.due().get(i);
      Card card = cards.get(i);
      assertThat(card.summary())
          .as("%s: summary of %s", c, f.key())
          .hasSizeLessThan(140)
          .doesNotContain("{", "}", "…");
      assertThat(Character.isUpperCase(card.summary().charAt(0))).as(card.summary()).isTrue();
      assertThat(card.indicator()).isEqualTo(f.indicator().code());
      assertThat(card.source().topic().code()).isEqualTo(f.topic()).isIn(MONITORING, WORKUP);
      assertThat(card.source().url())
          .isEqualTo(CardRenderer.rulePage(CardRenderer.DEFAULT_BASE_URL, f.lead().id()));
      assertThat(card.detail()).contains("**Due:**").doesNotContain("`" + f.lead().id() + "`");
      assertThat(card.extension().get(CardRenderer.RULES_EXTENSION))
          .isEqualTo(f.rules().stream().map(DueTestRule::id).toList());
      // One suggestion per missing test, plus one ordering them all when there are several.
      assertThat(card.suggestions())
          .hasSize(f.missing().size() == 1 ? 1 : f.missing().size() + 1)
          .allSatisfy(s -> assertThat(s.actions()).isNotEmpty());
      assertThat(orderAll(card).actions()).hasSameSizeAs(f.missing());
      assertThat(card.selectionBehavior())
          .isEqualTo(f.missing().size() == 1 ? "at-most-one" : "any");
    }
    assertThat(cards)
        .filteredOn(k -> k.source().topic().code().equals(WORKUP))
        .as("%s: work-up cards", c)
        .hasSizeLessThanOrEqualTo(1);
  }

  /** Furosemide, lisinopril, pembrolizumab, celiac disease and coded hypercalcemia. */
  private static DuePatient manyReasons() {
    return new DuePatient(
        null,
        List.of(),
        List.of(
            new Med("furosemide", 400),
            new Med("lisinopril", 400),
            new Med("pembrolizumab", 60),
            new Med("omeprazole", null)),
        List.of(new Problem("icd10", "K90.0", 1000), new Problem("icd10", "E83.52", null)),
        List.of());
  }

  @Test
  void oneCardPerMonitoringFamilyAndOneWorkUpCard() {
    Outcome out = run(manyReasons());
    List<Card> cards = out.dueCards();

    assertThat(out.due())
        .extracting(DueTestsFinding::key)
        .containsExactly(
            "due:proton-pump-inhibitor",
            "due:immune-checkpoint-inhibitor",
            "due:diuretic",
            "due:raas-blocker",
            "due:symptom-workup");
    assertThat(cards)
        .extracting(k -> k.source().topic().code())
        .containsExactly(MONITORING, MONITORING, MONITORING, MONITORING, WORKUP);
    assertThat(cards)
        .extracting(Card::indicator)
        .containsExactly("warning", "warning", "info", "info", "info");
    // Potassium is due for the diuretic and the RAAS blocker, magnesium for the diuretic and the
    // PPI: each is suggested once, on the more urgent card, then on the earlier family.
    assertThat(out.due())
        .extracting(f -> ids(f.missing()))
        .containsExactly(
            List.of("magnesium"),
            List.of("tsh", "free-t4"),
            List.of("potassium"),
            List.of("creatinine"),
            List.of("calcium", "vitamin-d", "pth"));
    DueTestsFinding workup = out.due().get(4);
    assertThat(workup.rules()).extracting(DueTestRule::id).containsExactly("malabsorption-workup");
    assertThat(cards.get(4).summary())
        .isEqualTo(
            "Malabsorption, celiac disease or IBD: calcium, 25-OH vitamin D and intact PTH due at"
                + " least yearly.");
    assertThat(cards.stream().map(Card::uuid).distinct()).hasSize(cards.size());
  }

  @Test
  void theSuggestionOrdersEachMissingTestAsADraftProposal() {
    Outcome out = run(manyReasons());
    List<Card> cards = out.dueCards();
    for (int i = 0; i < cards.size(); i++) {
      DueTestsFinding f = out.due().get(i);
      List<Action> actions = orderAll(cards.get(i)).actions();
      assertThat(actions).hasSameSizeAs(f.missing());
      for (int j = 0; j < actions.size(); j++) {
        MissingTest m = f.missing().get(j);
        Action a = actions.get(j);
        JsonNode sr = a.resource();
        assertThat(a.type()).isEqualTo("create");
        assertThat(sr.path("resourceType").asText()).isEqualTo("ServiceRequest");
        assertThat(sr.path("status").asText()).isEqualTo("draft");
        assertThat(sr.path("intent").asText()).isEqualTo("proposal");
        JsonNode coding = sr.path("code").path("coding").get(0);
        assertThat(coding.path("system").asText()).isEqualTo("http://loinc.org");
        assertThat(coding.path("code").asText())
            .isEqualTo(K.rules().tests().get(m.test().id()).loinc());
        assertThat(sr.path("subject").path("reference").asText()).isEqualTo("Patient/patient-1");
        String reason = sr.path("reasonReference").get(0).path("reference").asText();
        assertThat(reason)
            .isEqualTo(m.reasonReference())
            .startsWith(f.topic().equals(WORKUP) ? "Condition/" : "MedicationRequest/");
      }
    }
    Map<String, String> reasonByCard = new java.util.LinkedHashMap<>();
    out.due().forEach(f -> reasonByCard.put(f.key(), f.missing().get(0).reasonReference()));
    assertThat(reasonByCard)
        .containsEntry("due:diuretic", "MedicationRequest/furosemide")
        .containsEntry("due:raas-blocker", "MedicationRequest/lisinopril")
        .containsEntry("due:proton-pump-inhibitor", "MedicationRequest/omeprazole")
        .containsEntry("due:symptom-workup", "Condition/icd10-K90-0");
    List<String> loincs =
        orderAll(cards.get(1)).actions().stream()
            .map(a -> a.resource().path("code").path("coding").get(0).path("code").asText())
            .toList();
    assertThat(loincs).containsExactly("3016-3", "3024-7");
  }

  @Test
  void theDetailNamesTheDrugItsStartAndEachTestWithItsWindow() {
    String started =
        LocalDate.ofInstant(Labs.NOW.minus(Duration.ofDays(400)), ZoneOffset.UTC).toString();
    Outcome out =
        run(
            new DuePatient(
                80,
                List.of(lab("potassium", "4.2", 120)),
                List.of(new Med("furosemide", 400)),
                List.of(),
                List.of()));
    assertThat(out.due()).hasSize(1);
    Card card = out.dueCards().get(0);
    assertThat(card.summary())
        .isEqualTo(
            "On furosemide: potassium and magnesium monitoring is overdue. Diuretics commonly"
                + " lower potassium and magnesium.");
    assertThat(card.detail())
        .contains("**Taking:** furosemide tablet (loop diuretic), since " + started)
        .contains(
            "- Potassium: none in the last 3 months (the shorter interval for this patient's"
                + " risk factors); last potassium 4.2 mmol/L on ")
        .contains("- Magnesium: none in the last 12 months.")
        .doesNotContain("diuretic-potassium-monitoring");
    // The rule ids are machine-readable, not in the clinician's text.
    assertThat(card.extension())
        .containsEntry(
            CardRenderer.RULES_EXTENSION,
            List.of("diuretic-potassium-monitoring", "diuretic-magnesium-monitoring"));

    Outcome undated =
        run(
            new DuePatient(
                null, List.of(), List.of(new Med("lithium", null)), List.of(), List.of()));
    Card lithium = undated.dueCards().get(0);
    assertThat(lithium.detail())
        .contains("lithium tablet (lithium), start date not recorded")
        .contains("- Calcium: none in the last 6 months")
        .contains("- TSH: none in the last 6 months")
        .contains("- Creatinine: none in the last 6 months");

    Outcome newStart =
        run(
            new DuePatient(
                null,
                List.of(lab("potassium", "4.2", 30)),
                List.of(new Med("losartan", 20)),
                List.of(),
                List.of()));
    Card losartan = newStart.dueCards().get(0);
    assertThat(losartan.summary())
        .isEqualTo(
            "Losartan started 20 days ago without a follow-up potassium and creatinine (due 1-4"
                + " weeks after starting).");
    assertThat(losartan.detail())
        .contains("- Potassium: none since the drug was started; last potassium 4.2 mmol/L")
        .contains("- Creatinine: none since the drug was started.");
  }

  @Test
  void cardsAreOrderedCriticalWarningInfoTogetherWithValueCards() {
    Outcome out =
        run(
            new DuePatient(
                null,
                List.of(
                    lab("potassium", "2.6", 1),
                    lab("calcium-total", "8.0", 10),
                    lab("vitamin-d", "15", 10)),
                List.of(new Med("amiodarone", 400), new Med("cisplatin", 60)),
                List.of(),
                List.of()));
    List<Card> cards = out.cards();

    // Within a level value cards come first.
    assertThat(cards)
        .extracting(k -> k.source().topic().code() + "/" + k.indicator())
        .containsExactly(
            "potassium-critical/critical",
            "calcium-low/warning",
            MONITORING + "/warning",
            "vitamin-d-inadequate/info",
            MONITORING + "/info");
    List<Indicator> levels = cards.stream().map(k -> Indicator.fromCode(k.indicator())).toList();
    List<Indicator> sorted = new ArrayList<>(levels);
    sorted.sort(null);
    assertThat(levels).isEqualTo(sorted);
    // The value cards already suggest magnesium and creatinine: the cisplatin card asks for
    // calcium only (potassium resulted yesterday, calcium 10 days ago is outside its 7 days).
    assertThat(out.due())
        .extracting(f -> f.key() + " " + ids(f.missing()))
        .containsExactly("due:nephrotoxic-electrolyte-wasting [calcium]", "due:amiodarone [tsh]");
  }

  /**
   * A medication coded only with a class-level ATC code (L01XA, platinum compounds) is recognised
   * as a synthetic ingredient named after its drug class, and that name fills {drug}.
   */
  @Test
  void aClassLevelAtcCodeKeepsTheSummaryWhole() {
    Set<Ingredient> platinum =
        K.drugs().recognise(List.of(new CodeRef(DrugCatalog.ATC_SYSTEM, "L01XA", null)), List.of());
    assertThat(platinum).isNotEmpty();
    PatientRecord patient =
        new PatientRecord(
            PATIENT_ID,
            null,
            List.of(),
            List.of(
                new MedicationExposure(
                    "MedicationRequest/platinum",
                    null,
                    Labs.NOW.minus(Duration.ofDays(20)),
                    platinum)),
            List.of(),
            List.of(),
            Set.of());
    Outcome out = run(patient);
    assertThat(out.due())
        .extracting(DueTestsFinding::key)
        .containsExactly("due:nephrotoxic-electrolyte-wasting");
    assertThat(out.dueCards().get(0).summary())
        .hasSizeLessThan(140)
        .doesNotContain("…")
        .contains("magnesium, potassium and calcium");
  }

  private static LabData lab(String analyte, String value, int daysAgo) {
    return new LabData(analyte, value, null, daysAgo, null, null, null, null, null, null);
  }
}
