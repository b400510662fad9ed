package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/**
 * Every pattern rule with a case that fires it and a near miss that stays silent; patterns replace
 * the single-analyte cards they explain and take over their suggested tests.
 */
class PatternRulesTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());

  private static List<String> topics(PatientRecord patient) {
    return EVALUATOR.evaluate(patient, Labs.NOW).stream().map(f -> f.band().topic()).toList();
  }

  /** pattern id, description, patient, whether the pattern must fire. */
  static List<Arguments> cases() {
    return List.of(
        Arguments.of(
            "primary-hyperparathyroidism-pattern",
            "Ca 11.2 with PTH 92 and eGFR 81",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "11.2", 3),
                    Labs.result(Analyte.PTH, "92", 3),
                    Labs.result(Analyte.EGFR, "81", 3))
                .build(),
            true),
        Arguments.of(
            "primary-hyperparathyroidism-pattern",
            "inappropriately normal PTH 25 (in range, not suppressed), no eGFR",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "11.0", 3),
                    Labs.result(Analyte.PTH, "25", 3))
                .build(),
            true),
        Arguments.of(
            "primary-hyperparathyroidism-pattern",
            "near miss: eGFR 55 (CKD-MBD reading instead)",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "11.2", 3),
                    Labs.result(Analyte.PTH, "92", 3),
                    Labs.result(Analyte.EGFR, "55", 3))
                .build(),
            false),
        Arguments.of(
            "primary-hyperparathyroidism-pattern",
            "near miss: PTH drawn 40 days before the calcium",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "11.2", 3),
                    Labs.result(Analyte.PTH, "92", 43))
                .build(),
            false),
        Arguments.of(
            "pth-independent-hypercalcemia",
            "Ca 12.4 with PTH 8",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "12.4", 2), Labs.result(Analyte.PTH, "8", 2))
                .build(),
            true),
        Arguments.of(
            "pth-independent-hypercalcemia",
            "near miss: PTH exactly 20 (not under 20: primary pattern instead)",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "12.4", 2),
                    Labs.result(Analyte.PTH, "20", 2))
                .build(),
            false),
        Arguments.of(
            "secondary-hyperparathyroidism-pattern",
            "PTH 118, Ca 8.9, 25-OH D 9, eGFR 88",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.PTH, "118", 5),
                    Labs.result(Analyte.CALCIUM_TOTAL, "8.9", 5),
                    Labs.result(Analyte.VITAMIN_D, "9", 5),
                    Labs.result(Analyte.EGFR, "88", 5))
                .build(),
            true),
        Arguments.of(
            "secondary-hyperparathyroidism-pattern",
            "near miss: 25-OH D 20.0 (at the IOM adequacy level)",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.PTH, "118", 5),
                    Labs.result(Analyte.CALCIUM_TOTAL, "8.9", 5),
                    Labs.result(Analyte.VITAMIN_D, "20.0", 5))
                .build(),
            false),
        Arguments.of(
            "secondary-hyperparathyroidism-pattern",
            "near miss: no calcium to show it is not high",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "118", 5), Labs.result(Analyte.VITAMIN_D, "9", 5))
                .build(),
            false),
        Arguments.of(
            "ckd-mineral-bone-disorder",
            "PTH 146 with eGFR 38",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "146", 20), Labs.result(Analyte.EGFR, "38", 20))
                .build(),
            true),
        Arguments.of(
            "ckd-mineral-bone-disorder",
            "near miss: eGFR 60",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "146", 20), Labs.result(Analyte.EGFR, "60", 20))
                .build(),
            false),
        Arguments.of(
            "hypoparathyroidism-pattern",
            "Ca 7.6 with PTH 6",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "7.6", 2),
                    Labs.result(Analyte.ALBUMIN, "4.1", 2),
                    Labs.result(Analyte.PTH, "6", 2))
                .build(),
            true),
        Arguments.of(
            "hypoparathyroidism-pattern",
            "near miss: total Ca 7.8 without albumin and PTH 40: albumin is asked for first",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "7.8", 2), Labs.result(Analyte.PTH, "40", 2))
                .build(),
            false),
        Arguments.of(
            "hypoparathyroidism-pattern",
            "inappropriately normal PTH 40 with Ca 7.8 and low Mg",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "7.8", 2),
                    Labs.result(Analyte.ALBUMIN, "4.0", 2),
                    Labs.result(Analyte.PTH, "40", 2),
                    Labs.result(Analyte.MAGNESIUM, "1.1", 2))
                .build(),
            true),
        Arguments.of(
            "ckd-mineral-bone-disorder-dialysis-high",
            "PTH 720 (11 x ULN 65) on dialysis (Z99.2) without any eGFR: above the KDIGO target",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "720", 2))
                .condition(K.conditions(), "icd10", "Z99.2", 400)
                .build(),
            true),
        Arguments.of(
            "ckd-mineral-bone-disorder-dialysis-high",
            "near miss: PTH 300 (4.6 x ULN) on dialysis is within the target: no card at all",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "300", 2))
                .condition(K.conditions(), "icd10", "Z99.2", 400)
                .build(),
            false),
        Arguments.of(
            "ckd-mineral-bone-disorder-dialysis-high",
            "near miss: PTH 585 (exactly 9 x ULN) on dialysis is still within the target",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "585", 2))
                .condition(K.conditions(), "icd10", "Z99.2", 400)
                .build(),
            false),
        Arguments.of(
            "ckd-mineral-bone-disorder-dialysis-high",
            "near miss: PTH 720 without dialysis coded is the single high-PTH card",
            Labs.patient().lab(Labs.result(Analyte.PTH, "720", 2)).build(),
            false),
        Arguments.of(
            "ckd-mineral-bone-disorder-dialysis-low",
            "PTH 110 (1.7 x ULN) on dialysis: below the KDIGO target",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "110", 2))
                .condition(K.conditions(), "icd10", "Z99.2", 400)
                .build(),
            true),
        Arguments.of(
            "ckd-mineral-bone-disorder-dialysis-low",
            "near miss: PTH 130 (exactly 2 x ULN) on dialysis is within the target",
            Labs.patient()
                .lab(Labs.result(Analyte.PTH, "130", 2))
                .condition(K.conditions(), "icd10", "Z99.2", 400)
                .build(),
            false),
        Arguments.of(
            "digoxin-low-potassium-severe",
            "K 2.9 on digoxin (above the critical limit 2.8, below 3.0)",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "2.9", 1))
                .medication(K.drugs(), "digoxin")
                .build(),
            true),
        Arguments.of(
            "digoxin-low-potassium-severe",
            "near miss: K 3.0 on digoxin is the warning pattern",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "3.0", 1))
                .medication(K.drugs(), "digoxin")
                .build(),
            false),
        Arguments.of(
            "potassium-high-combination-critical",
            "K 6.0 on lisinopril and spironolactone",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "6.0", 1))
                .medication(K.drugs(), "lisinopril")
                .medication(K.drugs(), "spironolactone")
                .build(),
            true),
        Arguments.of(
            "potassium-high-combination-critical",
            "near miss: K 6.4 is past the critical limit and keeps its potassium-critical card",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "6.4", 1))
                .medication(K.drugs(), "lisinopril")
                .medication(K.drugs(), "spironolactone")
                .build(),
            false),
        Arguments.of(
            "potassium-high-combination-critical",
            "near miss: K 6.0 on two drugs of ONE class (lisinopril and ramipril)",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "6.0", 1))
                .medication(K.drugs(), "lisinopril")
                .medication(K.drugs(), "ramipril")
                .build(),
            false),
        Arguments.of(
            "potassium-high-combination-low-egfr",
            "K 5.6 with eGFR 25 on losartan and trimethoprim",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "5.6", 1), Labs.result(Analyte.EGFR, "25", 1))
                .medication(K.drugs(), "losartan")
                .medication(K.drugs(), "trimethoprim")
                .build(),
            true),
        Arguments.of(
            "potassium-high-combination-low-egfr",
            "near miss: the same with eGFR 35",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "5.6", 1), Labs.result(Analyte.EGFR, "35", 1))
                .medication(K.drugs(), "losartan")
                .medication(K.drugs(), "trimethoprim")
                .build(),
            false),
        Arguments.of(
            "potassium-high-combination",
            "K 5.3 on lisinopril and potassium chloride",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "5.3", 1))
                .medication(K.drugs(), "lisinopril")
                .medication(K.drugs(), "potassium chloride")
                .build(),
            true),
        Arguments.of(
            "potassium-high-combination",
            "near miss: K 5.3 on lisinopril alone (the single-drug card names it)",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "5.3", 1))
                .medication(K.drugs(), "lisinopril")
                .build(),
            false),
        Arguments.of(
            "digoxin-low-potassium",
            "K 3.2 on digoxin",
            Labs.patient()
                .lab(Labs.result(Analyte.POTASSIUM, "3.2", 2))
                .medication(K.drugs(), "digoxin")
                .build(),
            true),
        Arguments.of(
            "digoxin-low-potassium",
            "near miss: the same K without digoxin",
            Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.2", 2)).build(),
            false),
        Arguments.of(
            "digoxin-low-magnesium",
            "Mg 1.5 on digoxin (Lanoxin, by brand)",
            Labs.patient()
                .lab(Labs.result(Analyte.MAGNESIUM, "1.5", 2))
                .medication(K.drugs(), "Lanoxin 125 mcg")
                .build(),
            true),
        Arguments.of(
            "digoxin-low-magnesium",
            "near miss: Mg 1.7 on digoxin is not below the range",
            Labs.patient()
                .lab(Labs.result(Analyte.MAGNESIUM, "1.7", 2))
                .medication(K.drugs(), "digoxin")
                .build(),
            false),
        Arguments.of(
            "digoxin-high-calcium",
            "Ca 10.8 on digoxin",
            Labs.patient()
                .lab(Labs.result(Analyte.CALCIUM_TOTAL, "10.8", 2))
                .medication(K.drugs(), "digoxin")
                .build(),
            true),
        Arguments.of(
            "digoxin-high-calcium",
            "near miss: Ca 10.8 drawn 40 days ago is outside the look-back",
            Labs.patient()
                .lab(Labs.result(Analyte.CALCIUM_TOTAL, "10.8", 40))
                .medication(K.drugs(), "digoxin")
                .build(),
            false),
        Arguments.of(
            "hypoparathyroidism-pattern",
            "near miss: PTH 80 is raised (the parathyroids respond)",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "7.6", 2), Labs.result(Analyte.PTH, "80", 2))
                .build(),
            false));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void firesOrStaysSilent(
      String patternId, String description, PatientRecord patient, boolean fires) {
    List<String> ids =
        EVALUATOR.evaluate(patient, Labs.NOW).stream().map(f -> f.band().id()).toList();
    if (fires) {
      assertThat(ids).as(description).contains(patternId);
    } else {
      assertThat(ids).as(description).doesNotContain(patternId);
    }
  }

  @Test
  void onDialysisPthWithinTheKdigoTargetGivesNoCardAndOutsideItSaysSo() {
    PatientRecord onTarget =
        Labs.patient()
            .lab(Labs.result(Analyte.PTH, "300", 2))
            .condition(K.conditions(), "icd10", "Z99.2", 400)
            .build();
    assertThat(EVALUATOR.evaluate(onTarget, Labs.NOW)).isEmpty();

    PatientRecord above =
        Labs.patient()
            .lab(Labs.result(Analyte.PTH, "720", 2))
            .condition(K.conditions(), "icd10", "Z99.2", 400)
            .build();
    List<Finding> findings = EVALUATOR.evaluate(above, Labs.NOW);
    assertThat(findings)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.band().id()).isEqualTo("ckd-mineral-bone-disorder-dialysis-high");
              assertThat(f.band().summary()).contains("above the KDIGO target");
            });
  }

  @Test
  void everyPatternHasAFiringCaseAndANearMiss() {
    Set<String> firing = new TreeSet<>();
    Set<String> nearMiss = new TreeSet<>();
    for (Arguments a : cases()) {
      ((boolean) a.get()[3] ? firing : nearMiss).add((String) a.get()[0]);
    }
    Set<String> patterns =
        K.rules().patterns().stream()
            .map(p -> p.band().id())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(firing).isEqualTo(patterns);
    assertThat(nearMiss).isEqualTo(patterns);
  }

  @Test
  void aPatternReplacesTheCardsItExplainsAndTakesTheirSuggestions() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.CALCIUM_TOTAL, "11.2", 3), Labs.result(Analyte.PTH, "92", 3))
            .build();
    List<Finding> findings = EVALUATOR.evaluate(patient, Labs.NOW);
    assertThat(findings)
        .extracting(f -> f.band().topic())
        .containsExactly("primary-hyperparathyroidism-pattern");
    Finding pattern = findings.get(0);
    // calcium-high offered ionized calcium; the pattern's own list has vitamin D, phosphate,
    // creatinine.
    assertThat(pattern.suggestions())
        .extracting(s -> s.test().id())
        .containsExactlyInAnyOrder("vitamin-d", "phosphate", "creatinine", "ionized-calcium");
    assertThat(pattern.inputs()).containsKey("pth");
  }

  @Test
  void aSecondDigoxinFindingDoesNotSwallowItsSingleCard() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "3.2", 2), Labs.result(Analyte.MAGNESIUM, "1.5", 2))
            .medication(K.drugs(), "digoxin")
            .build();
    assertThat(topics(patient))
        .as("one digoxin card (potassium), and magnesium keeps its own card")
        .containsExactly("digoxin-electrolyte-risk", "magnesium-low");
  }

  @Test
  void singleCardsStayWhenNoPatternExplainsThem() {
    assertThat(topics(Labs.patient().lab(Labs.result(Analyte.PTH, "78", 10)).build()))
        .containsExactly("pth-high");
    assertThat(
            topics(
                Labs.patient()
                    .lab(
                        Labs.result(Analyte.PTH, "146", 20),
                        Labs.result(Analyte.EGFR, "38", 20),
                        Labs.result(Analyte.CALCIUM_TOTAL, "10.8", 20))
                    .build()))
        .as("CKD-MBD replaces pth-high only: high calcium in CKD keeps its own card")
        .containsExactly("ckd-mineral-bone-disorder", "calcium-high");
  }

  @Test
  void patternSummariesNameTheOtherInputs() {
    Map<String, String> expectedPlaceholders =
        Map.of("pth", "{pth}", "egfr", "{egfr}", "vitaminD", "{vitaminD}", "calcium", "{calcium}");
    String all =
        K.rules().patterns().stream().map(p -> p.band().summary()).collect(Collectors.joining(" "));
    expectedPlaceholders.values().forEach(p -> assertThat(all).contains(p));
  }
}
