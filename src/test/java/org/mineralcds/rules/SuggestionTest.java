package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/** Companion tests are offered only when not resulted recently and not already ordered. */
class SuggestionTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());

  private static Labs.Lab lowPotassium() {
    return Labs.result(Analyte.POTASSIUM, "3.4", 1).reference("Observation/k-low");
  }

  private static Finding potassiumFinding(PatientRecord patient) {
    return EVALUATOR.evaluate(patient, Labs.NOW).stream()
        .filter(f -> f.value().analyte() == Analyte.POTASSIUM)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no potassium finding"));
  }

  private static List<String> suggestedIds(PatientRecord patient) {
    return potassiumFinding(patient).suggestions().stream().map(s -> s.test().id()).toList();
  }

  @Test
  void aTestTwoCardsWouldOrderIsOfferedOnceOnTheFirstCard() {
    // Primary-hyperparathyroidism pattern and the digoxin pattern both take over the high-calcium
    // card's ionized calcium.
    PatientRecord patient =
        Labs.patient()
            .lab(
                Labs.result(Analyte.CALCIUM_TOTAL, "10.9", 2),
                Labs.result(Analyte.ALBUMIN, "4.2", 2),
                Labs.result(Analyte.PTH, "88", 2))
            .medication(K.drugs(), "digoxin")
            .build();

    List<Finding> findings = EVALUATOR.evaluate(patient, Labs.NOW);

    assertThat(findings).extracting(f -> f.band().topic()).hasSize(2);
    assertThat(
            findings.stream()
                .flatMap(f -> f.suggestions().stream())
                .filter(t -> t.test().id().equals("ionized-calcium")))
        .hasSize(1);
  }

  @Test
  void lowPotassiumSuggestsMagnesiumWhenMissing() {
    Finding finding = potassiumFinding(Labs.patient().lab(lowPotassium()).build());

    assertThat(finding.band().id()).isEqualTo("potassium-low-mild");
    assertThat(finding.suggestions())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.test().id()).isEqualTo("magnesium");
              assertThat(s.test().loinc()).isEqualTo("19123-9");
              assertThat(s.test().analyte()).isEqualTo(Analyte.MAGNESIUM);
              assertThat(s.reasonReference()).isEqualTo("Observation/k-low");
              assertThat(s.reasonDisplay()).isEqualTo("potassium 3.4 mmol/L");
            });
  }

  @ParameterizedTest(name = "magnesium {0} days ago")
  @ValueSource(ints = {0, 1, 6, 7})
  void notSuggestedWhenMagnesiumResultedWithinSevenDays(int daysAgo) {
    PatientRecord patient =
        Labs.patient().lab(lowPotassium(), Labs.result(Analyte.MAGNESIUM, "2.0", daysAgo)).build();

    assertThat(suggestedIds(patient)).isEmpty();
  }

  @ParameterizedTest(name = "magnesium {0} days ago")
  @ValueSource(ints = {8, 30, 200})
  void suggestedAgainWhenTheLastMagnesiumIsOlderThanSevenDays(int daysAgo) {
    PatientRecord patient =
        Labs.patient().lab(lowPotassium(), Labs.result(Analyte.MAGNESIUM, "2.0", daysAgo)).build();

    assertThat(suggestedIds(patient)).containsExactly("magnesium");
  }

  @Test
  void eightDaysIsJustPastTheWindowEvenByAnHour() {
    PatientRecord sevenDaysAndAnHour =
        Labs.patient()
            .lab(lowPotassium(), Labs.result(Analyte.MAGNESIUM, "2.0", 7).hoursEarlier(1))
            .build();

    assertThat(suggestedIds(sevenDaysAndAnHour)).containsExactly("magnesium");
  }

  @ParameterizedTest(name = "pending order with LOINC {0}")
  @ValueSource(strings = {"19123-9", "2601-3", "2593-2"})
  void notSuggestedWhenAMagnesiumOrderIsPending(String loinc) {
    PatientRecord patient = Labs.patient().lab(lowPotassium()).pending(loinc).build();

    assertThat(suggestedIds(patient)).isEmpty();
  }

  @Test
  void anOrderPendingForAnotherTestDoesNotCount() {
    PatientRecord patient = Labs.patient().lab(lowPotassium()).pending("2823-3", "2160-0").build();

    assertThat(suggestedIds(patient)).containsExactly("magnesium");
  }

  @Test
  void anOrderWithSeveralCodesCountsWhenOneIsMagnesium() {
    PatientRecord patient = Labs.patient().lab(lowPotassium()).pending("2160-0", "2601-3").build();

    assertThat(suggestedIds(patient)).isEmpty();
  }

  @Test
  void eachTestIsJudgedOnItsOwn() {
    // Critical low potassium suggests magnesium and creatinine (both within 7 days).
    Labs.Lab critical = Labs.result(Analyte.POTASSIUM, "2.6", 1);
    assertThat(suggestedIds(Labs.patient().lab(critical).build()))
        .containsExactly("magnesium", "creatinine");
    assertThat(
            suggestedIds(
                Labs.patient().lab(critical, Labs.result(Analyte.CREATININE, "1.0", 2)).build()))
        .containsExactly("magnesium");
    assertThat(suggestedIds(Labs.patient().lab(critical).pending("19123-9").build()))
        .containsExactly("creatinine");
  }

  @Test
  void suggestionCarriesNoReasonReferenceWhenTheResultHadNoId() {
    PatientRecord patient =
        Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.4", 1).withoutReference()).build();

    assertThat(potassiumFinding(patient).suggestions())
        .singleElement()
        .satisfies(s -> assertThat(s.reasonReference()).isNull());
  }
}
