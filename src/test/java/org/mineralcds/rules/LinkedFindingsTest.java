package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/**
 * Cards that belong together say so: low values of one mechanism name each other, a test one card
 * takes from another rule carries that rule's reason, and hemolyzed results stay out of trends.
 */
class LinkedFindingsTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());

  private static Finding only(List<Finding> findings, String topic) {
    List<Finding> of = findings.stream().filter(f -> f.band().topic().equals(topic)).toList();
    assertThat(of).as("findings of topic %s", topic).hasSize(1);
    return of.get(0);
  }

  @Test
  void lowPotassiumAndLowMagnesiumOnAPpiNameOneMechanismOnBothCards() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "3.2", 1), Labs.result(Analyte.MAGNESIUM, "1.3", 1))
            .medication(K.drugs(), "omeprazole", 400)
            .build();

    List<Finding> findings = EVALUATOR.evaluate(patient, Labs.NOW);

    Finding potassium = only(findings, "potassium-low");
    Finding magnesium = only(findings, "magnesium-low");
    for (Finding f : List.of(potassium, magnesium)) {
      assertThat(f.notes())
          .singleElement()
          .asString()
          .contains("Potassium and magnesium are both low")
          .contains("one cause: the proton pump inhibitor");
    }
    // Magnesium was drawn with the potassium: the potassium card does not ask for it again.
    assertThat(potassium.suggestions()).isEmpty();
    assertThat(potassium.band().summary()).doesNotContainIgnoringCase("check magnesium");
  }

  @Test
  void nearMissALowPotassiumWithNormalMagnesiumHasNoLink() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "3.2", 1), Labs.result(Analyte.MAGNESIUM, "2.0", 1))
            .medication(K.drugs(), "omeprazole", 400)
            .build();

    assertThat(only(EVALUATOR.evaluate(patient, Labs.NOW), "potassium-low").notes()).isEmpty();
  }

  /** Digoxin for years, potassium and creatinine recent, no magnesium: digoxin wants magnesium. */
  private static PatientRecord digoxinWithLowCalcium(Labs.Lab... more) {
    return Labs.patient()
        .lab(
            Labs.result(Analyte.CALCIUM_TOTAL, "8.0", 1),
            Labs.result(Analyte.ALBUMIN, "4.2", 1),
            Labs.result(Analyte.POTASSIUM, "4.2", 1),
            Labs.result(Analyte.CREATININE, "1.0", 1))
        .lab(more)
        .medication(K.drugs(), "digoxin", 800)
        .build();
  }

  @Test
  void aCardThatTakesADueTestCarriesTheDueRulesReason() {
    PatientRecord patient = digoxinWithLowCalcium();

    List<Finding> findings = EVALUATOR.evaluate(patient, Labs.NOW);
    Finding calcium = only(findings, "calcium-low");

    assertThat(calcium.suggestions()).extracting(s -> s.test().id()).contains("magnesium");
    assertThat(calcium.notes())
        .anySatisfy(
            n ->
                assertThat(n)
                    .startsWith("Magnesium is also due for monitoring of digoxin")
                    .contains("none in the last"));
    // The digoxin rule has nothing else to order, so it has no card of its own: its reason is on
    // the calcium card.
    assertThat(EVALUATOR.dueTests(patient, Labs.NOW, findings))
        .noneMatch(d -> d.lead().id().equals("digoxin-electrolyte-monitoring"));
  }

  @Test
  void nearMissNoReasonIsAddedWhenTheDueRuleDoesNotWantTheTest() {
    PatientRecord patient = digoxinWithLowCalcium(Labs.result(Analyte.MAGNESIUM, "2.0", 100));

    Finding calcium = only(EVALUATOR.evaluate(patient, Labs.NOW), "calcium-low");

    assertThat(calcium.notes()).isEmpty();
  }

  @Test
  void aHemolyzedResultIsKeptOutOfTrends() {
    PatientRecord hemolyzed =
        Labs.patient()
            .lab(
                Labs.result(Analyte.POTASSIUM, "4.0", 2),
                Labs.result(Analyte.POTASSIUM, "5.4", 1).hemolyzed())
            .build();
    PatientRecord clean =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "4.0", 2), Labs.result(Analyte.POTASSIUM, "5.4", 1))
            .build();

    assertThat(EVALUATOR.evaluate(hemolyzed, Labs.NOW))
        .extracting(f -> f.band().id())
        .containsExactly("potassium-hemolyzed");
    assertThat(EVALUATOR.evaluate(clean, Labs.NOW))
        .extracting(f -> f.band().id())
        .contains("potassium-rapid-change");
  }

  @Test
  void aHemolyzedPotassiumDoesNotCountAsResultedForASuggestion() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "6.4", 1).hemolyzed())
            .medication(K.drugs(), "furosemide", 400)
            .build();

    Finding f = only(EVALUATOR.evaluate(patient, Labs.NOW), "potassium-high");

    assertThat(f.band().id()).isEqualTo("potassium-hemolyzed");
    assertThat(f.indicator()).isEqualTo(Indicator.WARNING);
    assertThat(f.suggestions()).extracting(s -> s.test().id()).containsExactly("potassium");
  }
}
