package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.rules.RuleCases.RuleCase;

/** Runs every case of rule-cases.yaml against the real knowledge files. */
class RuleCasesTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());
  private static final List<RuleCase> CASES = RuleCases.load();

  /** Band id to the analyte rule it belongs to. */
  private static final Map<String, AnalyteRule> RULE_OF_BAND =
      K.rules().rules().stream()
          .flatMap(r -> r.bands().stream().map(b -> Map.entry(b.id(), r)))
          .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));

  static Stream<RuleCase> cases() {
    return CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void ruleCase(RuleCase c) {
    AnalyteRule rule = RULE_OF_BAND.get(c.rule());
    assertThat(rule).as("rule id %s is not a band of rules.yaml", c.rule()).isNotNull();

    List<Finding> findings = EVALUATOR.evaluate(RuleCases.patient(c, K.drugs()), Labs.NOW);
    Optional<Finding> forAnalyte =
        findings.stream().filter(f -> rule.bands().contains(f.band())).findFirst();
    RuleCases.Expect expect = c.expect();

    if (c.fires()) {
      assertThat(forAnalyte.map(f -> f.band().id())).as("%s: band fired", c).contains(c.rule());
      Finding f = forAnalyte.orElseThrow();
      if (expect.indicator() != null) {
        assertThat(f.indicator().code()).as("%s: indicator", c).isEqualTo(expect.indicator());
      }
      if (expect.suggests() != null) {
        assertThat(f.suggestions())
            .as("%s: suggested tests", c)
            .extracting(s -> s.test().id())
            .containsExactlyElementsOf(expect.suggests());
      }
      if (expect.measure() != null) {
        assertThat(f.value().measure()).as("%s: calcium measure", c).isNotNull();
        assertThat(f.value().measure()).isEqualTo(CalciumMeasure.fromKey(expect.measure()));
      }
      if (expect.value() != null) {
        assertThat(f.value().displayValue()).as("%s: displayed value", c).isEqualTo(expect.value());
      }
      if (expect.drugCauses() != null) {
        assertThat(f.drugCauses())
            .as("%s: drug causes", c)
            .extracting(d -> d.ingredient().name())
            .containsExactlyInAnyOrderElementsOf(expect.drugCauses());
      }
    } else {
      assertThat(findings)
          .extracting(f -> f.band().id())
          .as("%s: bands fired", c)
          .doesNotContain(c.rule());
      String instead = forAnalyte.map(f -> f.band().id()).orElse(RuleCases.NONE);
      assertThat(instead).as("%s: band that fires instead", c).isEqualTo(expect.instead());
    }
  }

  @Test
  void everyRuleHasAFiringCaseAndANearMiss() {
    Set<String> bandIds =
        K.rules().bands().stream().map(Band::id).collect(Collectors.toCollection(TreeSet::new));
    assertThat(bandIds).isNotEmpty();
    Map<String, Set<String>> kindsByRule =
        CASES.stream()
            .collect(
                Collectors.groupingBy(
                    RuleCase::rule, Collectors.mapping(RuleCase::kind, Collectors.toSet())));
    assertThat(bandIds)
        .as("rules without a fires case")
        .filteredOn(id -> !kindsByRule.getOrDefault(id, Set.of()).contains(RuleCases.FIRES))
        .isEmpty();
    assertThat(bandIds)
        .as("rules without a nearMiss case")
        .filteredOn(id -> !kindsByRule.getOrDefault(id, Set.of()).contains(RuleCases.NEAR_MISS))
        .isEmpty();
  }

  @Test
  void casesAreWellFormed() {
    Set<String> bandIds = RULE_OF_BAND.keySet();
    assertThat(CASES).hasSizeGreaterThan(bandIds.size() * 2);
    assertThat(CASES)
        .allSatisfy(
            c -> {
              assertThat(bandIds).as("rule of case '%s'", c).contains(c.rule());
              assertThat(c.kind()).as("kind of '%s'", c).isIn(RuleCases.FIRES, RuleCases.NEAR_MISS);
              assertThat(c.description()).as("description of '%s'", c).isNotBlank();
              assertThat(c.patient().labs()).as("labs of '%s'", c).isNotEmpty();
              assertThat(c.expect()).as("expect of '%s'", c).isNotNull();
              if (c.fires()) {
                assertThat(c.expect().instead()).as("fires case '%s' with instead", c).isNull();
              } else {
                assertThat(c.expect().instead()).as("nearMiss '%s' needs instead", c).isNotNull();
                assertThat(c.expect().instead()).isNotEqualTo(c.rule());
                if (!RuleCases.NONE.equals(c.expect().instead())) {
                  assertThat(RULE_OF_BAND.get(c.expect().instead()))
                      .as("instead of '%s' is a band of the same analyte", c)
                      .isSameAs(RULE_OF_BAND.get(c.rule()));
                }
              }
              c.expect()
                  .suggestsOrEmpty()
                  .forEach(
                      t -> assertThat(K.rules().tests()).as("test id in '%s'", c).containsKey(t));
            });
    Map<String, Long> duplicates =
        CASES.stream().collect(Collectors.groupingBy(RuleCase::toString, Collectors.counting()));
    assertThat(duplicates)
        .as("case names must be unique")
        .allSatisfy((k, n) -> assertThat(n).isOne());
  }

  @Test
  void childrenGetNoAdultDefaultsButTheLabsOwnRange() {
    Function<Labs.Lab, Optional<String>> bandFor =
        lab ->
            EVALUATOR.evaluate(Labs.patient().age(10).lab(lab).build(), Labs.NOW).stream()
                .map(f -> f.band().id())
                .findFirst();
    assertThat(bandFor.apply(Labs.result(Analyte.POTASSIUM, "3.3", 1))).isEmpty();
    assertThat(bandFor.apply(Labs.result(Analyte.POTASSIUM, "3.3", 1).range("3.5", "5.0")))
        .contains("potassium-low");
  }
}
