package org.mineralcds.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.cards.CardRenderer;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.Comparator;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.ResultStatus;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/** Every trend rule fires on a real change and stays silent on a near miss. */
class TrendRulesTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());

  static List<Arguments> cases() {
    return List.of(
        Arguments.of(
            "potassium-rapid-change",
            "4.6 then 3.5 a day later: a fall of 1.1",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.POTASSIUM, "4.6", 2),
                    Labs.result(Analyte.POTASSIUM, "3.5", 1))
                .build(),
            true),
        Arguments.of(
            "potassium-rapid-change",
            "4.0 then 5.0 within 40 hours: a rise of exactly 1.0",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.POTASSIUM, "5.0", 1),
                    Labs.result(Analyte.POTASSIUM, "4.0", 1).hoursEarlier(40))
                .build(),
            true),
        Arguments.of(
            "potassium-rapid-change",
            "near miss: a change of 0.9",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.POTASSIUM, "4.4", 2),
                    Labs.result(Analyte.POTASSIUM, "3.5", 1))
                .build(),
            false),
        Arguments.of(
            "potassium-rapid-change",
            "near miss: the earlier result is 72 hours before",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.POTASSIUM, "4.6", 4),
                    Labs.result(Analyte.POTASSIUM, "3.4", 1))
                .build(),
            false),
        Arguments.of(
            "potassium-rapid-change",
            "near miss: the later result is preliminary",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.POTASSIUM, "4.6", 2),
                    Labs.result(Analyte.POTASSIUM, "3.4", 1).status(ResultStatus.PRELIMINARY))
                .build(),
            false),
        Arguments.of(
            "calcium-rapid-change",
            "total calcium 9.2 then 10.4 five days later",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "9.2", 6),
                    Labs.result(Analyte.CALCIUM_TOTAL, "10.4", 1))
                .build(),
            true),
        Arguments.of(
            "calcium-rapid-change",
            "near miss: the earlier value is censored (<8), so no arithmetic",
            Labs.patient()
                .lab(
                    Labs.result(Analyte.CALCIUM_TOTAL, "8", 6).comparator(Comparator.LESS_THAN),
                    Labs.result(Analyte.CALCIUM_TOTAL, "9.5", 1))
                .build(),
            false));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void firesOrStaysSilent(
      String trendId, String description, PatientRecord patient, boolean fires) {
    List<String> ids =
        EVALUATOR.evaluate(patient, Labs.NOW).stream().map(f -> f.band().id()).toList();
    if (fires) {
      assertThat(ids).as(description).contains(trendId);
    } else {
      assertThat(ids).as(description).doesNotContain(trendId);
    }
  }

  @Test
  void everyTrendHasAFiringCaseAndANearMiss() {
    Set<String> firing = new TreeSet<>();
    Set<String> nearMiss = new TreeSet<>();
    for (Arguments a : cases()) {
      ((boolean) a.get()[3] ? firing : nearMiss).add((String) a.get()[0]);
    }
    Set<String> trends =
        K.rules().trends().stream()
            .map(t -> t.band().id())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(firing).isEqualTo(trends);
    assertThat(nearMiss).isEqualTo(trends);
  }

  @Test
  void theCardNamesBothResults() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "4.6", 2), Labs.result(Analyte.POTASSIUM, "3.5", 1))
            .build();
    Finding trend =
        EVALUATOR.evaluate(patient, Labs.NOW).stream()
            .filter(f -> f.band().topic().equals("lab-trend"))
            .findFirst()
            .orElseThrow();
    String summary =
        new CardRenderer(K.labs(), K.rules())
            .render(List.of(trend), "p1", "hook-1")
            .get(0)
            .summary();
    assertThat(summary).contains("from 4.6 mmol/L to 3.5 mmol/L");
  }
}
