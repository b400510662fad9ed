package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.knowledge.Prescribing;
import org.mineralcds.knowledge.PrescribingLoader;

/** Runs every case of order-rule-cases.yaml against the real knowledge files. */
class OrderRuleCasesTest {

  static final Knowledge K = KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  static final Prescribing P = PrescribingLoader.fromDirectory(K, Path.of("hooks/prescribing"));
  private static final OrderEvaluator EVALUATOR =
      new OrderEvaluator(P.rules(), K.rules(), K.labs());
  private static final List<OrderCase> CASES = load();

  /** One case: a draft order, a patient, and what the rule must (fires) or must not do. */
  record OrderCase(
      String rule,
      String kind,
      String description,
      String order,
      Integer expectedDays,
      Boolean renews,
      List<String> otherOrders,
      List<String> orderedTests,
      RuleCases.PatientData patient,
      Expect expect) {

    @Override
    public String toString() {
      return rule + " [" + kind + "] " + description;
    }
  }

  record Expect(String indicator, List<String> suggests) {}

  static List<OrderCase> load() {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    try (InputStream in =
        OrderRuleCasesTest.class.getResourceAsStream("/rules/order-rule-cases.yaml")) {
      return List.of(yaml.readValue(in, OrderCase[].class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Stream<OrderCase> cases() {
    return CASES.stream();
  }

  static DraftOrder draft(String name, String id, Integer expectedDays, boolean renews) {
    Set<Ingredient> ingredients = K.drugs().recognise(List.of(), List.of(name));
    assertThat(ingredients).as("drug catalog recognises '%s'", name).isNotEmpty();
    return new DraftOrder(
        "MedicationRequest/" + id,
        name + " (draft)",
        ingredients,
        renews ? "MedicationRequest/earlier" : null,
        expectedDays,
        id + "-fingerprint");
  }

  static List<OrderFinding> evaluate(OrderCase c) {
    DraftOrder draft =
        draft(c.order(), "draft-1", c.expectedDays(), Boolean.TRUE.equals(c.renews()));
    List<DraftOrder> all = new java.util.ArrayList<>(List.of(draft));
    List<String> others = c.otherOrders() == null ? List.of() : c.otherOrders();
    for (int i = 0; i < others.size(); i++) {
      all.add(draft(others.get(i), "other-" + i, null, false));
    }
    List<PendingOrder> tests =
        (c.orderedTests() == null ? List.<String>of() : c.orderedTests())
            .stream()
                .map(code -> new PendingOrder("ServiceRequest/draft-" + code, Set.of(code), null))
                .toList();
    RuleCases.RuleCase asRuleCase =
        new RuleCases.RuleCase(c.rule(), c.kind(), c.description(), c.patient(), null);
    return EVALUATOR.evaluate(
        RuleCases.patient(asRuleCase, K.drugs()), List.of(draft), all, tests, Labs.NOW);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void orderCase(OrderCase c) {
    List<OrderFinding> findings = evaluate(c);
    Optional<OrderFinding> withRule =
        findings.stream().filter(f -> f.ruleIds().contains(c.rule())).findFirst();
    if ("fires".equals(c.kind())) {
      assertThat(withRule).as("%s: fired (findings %s)", c, findings).isPresent();
      OrderFinding f = withRule.orElseThrow();
      if (c.expect() != null && c.expect().indicator() != null) {
        assertThat(f.indicator().code()).as("%s: indicator", c).isEqualTo(c.expect().indicator());
      }
      if (c.expect() != null && c.expect().suggests() != null) {
        assertThat(f.tests())
            .extracting(t -> t.test().id())
            .as("%s: tests", c)
            .containsExactlyElementsOf(c.expect().suggests());
      }
    } else {
      assertThat(withRule).as("%s: must not fire", c).isEmpty();
    }
  }

  @Test
  void everyRuleHasAFiringCaseAndANearMiss() {
    Set<String> ids =
        P.rules().all().stream().map(OrderRule::id).collect(Collectors.toCollection(TreeSet::new));
    assertThat(ids).hasSizeGreaterThanOrEqualTo(20);
    Map<String, Set<String>> kinds =
        CASES.stream()
            .collect(
                Collectors.groupingBy(
                    OrderCase::rule, Collectors.mapping(OrderCase::kind, Collectors.toSet())));
    assertThat(ids)
        .filteredOn(id -> !kinds.getOrDefault(id, Set.of()).contains("fires"))
        .as("without fires")
        .isEmpty();
    assertThat(ids)
        .filteredOn(id -> !kinds.getOrDefault(id, Set.of()).contains("nearMiss"))
        .as("without nearMiss")
        .isEmpty();
    assertThat(CASES).allSatisfy(c -> assertThat(ids).as("rule of %s", c).contains(c.rule()));
  }

  @Test
  void whetherTestsMayBeOfferedIsJudgedFromTheDraftsAlone() {
    // A baseline rule's drug, a conflict rule's drug (every conflict card offers a recheck).
    assertThat(EVALUATOR.mayOfferTests(List.of(draft("lithium carbonate", "l", null, false))))
        .isTrue();
    assertThat(EVALUATOR.mayOfferTests(List.of(draft("furosemide", "f", null, false)))).isTrue();
    // A drug the catalog knows (for patient-view) that no order rule is about.
    assertThat(EVALUATOR.mayOfferTests(List.of(draft("levothyroxine", "t", null, false))))
        .isFalse();
    // A long-term-only baseline (PPI, magnesium): not for a short course.
    assertThat(EVALUATOR.mayOfferTests(List.of(draft("omeprazole", "o", 14, false)))).isFalse();
    assertThat(EVALUATOR.mayOfferTests(List.of(draft("omeprazole", "o", 365, false)))).isTrue();
  }

  @Test
  void aDrugWithoutImplicationsFindsNothing() {
    DraftOrder amoxicillin =
        new DraftOrder("MedicationRequest/a", "amoxicillin", Set.of(), null, null, "f");
    assertThat(
            EVALUATOR.evaluate(
                Labs.patient()
                    .lab(Labs.result(org.mineralcds.clinical.Analyte.POTASSIUM, "6.5", 1))
                    .build(),
                List.of(amoxicillin),
                List.of(amoxicillin),
                List.of(),
                Labs.NOW))
        .isEmpty();
  }
}
