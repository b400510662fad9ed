package org.mineralcds.clinical;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabHistoryTest {

  private static LabResult potassium(
      String reference, String value, String effective, ResultStatus status, String identity) {
    return result(reference, value, Instant.parse(effective), false, status, identity);
  }

  private static LabResult result(
      String reference,
      String value,
      Instant effective,
      boolean dateOnly,
      ResultStatus status,
      String identity) {
    return new LabResult(
        reference,
        Analyte.POTASSIUM,
        "2823-3",
        Measurement.exact(value),
        value,
        "mmol/L",
        effective,
        dateOnly,
        status,
        null,
        Set.of(),
        identity);
  }

  private static List<String> references(List<LabResult> results) {
    return results.stream().map(LabResult::reference).toList();
  }

  @Test
  void duplicateIdentityKeepsTheBetterStatus() {
    LabResult preliminary =
        potassium(
            "Observation/p", "3.1", "2026-11-18T08:00:00Z", ResultStatus.PRELIMINARY, "lab|1");
    LabResult fin =
        potassium("Observation/f", "3.2", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "lab|1");
    LabResult corrected =
        potassium("Observation/c", "3.3", "2026-11-18T08:00:00Z", ResultStatus.CORRECTED, "lab|1");

    assertThat(references(new LabHistory(List.of(preliminary, fin)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/f");
    assertThat(references(new LabHistory(List.of(fin, preliminary)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/f");
    assertThat(
            references(new LabHistory(List.of(corrected, fin, preliminary)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/c");
    assertThat(
            references(new LabHistory(List.of(preliminary, fin, corrected)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/c");
  }

  @Test
  void duplicateIdentityWithEqualStatusKeepsTheFirst() {
    LabResult first =
        potassium("Observation/hie", "3.2", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "lab|1");
    LabResult second =
        potassium("Observation/lab", "3.2", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "lab|1");

    assertThat(references(new LabHistory(List.of(first, second)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/hie");
  }

  @Test
  void preliminaryIsDroppedWhenAFinalExistsAtTheSameEffectiveTime() {
    LabResult preliminary =
        potassium("Observation/p", "3.1", "2026-11-18T08:00:00Z", ResultStatus.PRELIMINARY, "p");
    LabResult fin =
        potassium("Observation/f", "3.4", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "f");

    assertThat(references(new LabHistory(List.of(preliminary, fin)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/f");
  }

  @Test
  void preliminaryIsDroppedWhenAnAmendedResultExistsAtTheSameTime() {
    LabResult preliminary =
        potassium("Observation/p", "3.1", "2026-11-18T08:00:00Z", ResultStatus.PRELIMINARY, "p");
    LabResult amended =
        potassium("Observation/a", "3.4", "2026-11-18T08:00:00Z", ResultStatus.AMENDED, "a");

    assertThat(references(new LabHistory(List.of(amended, preliminary)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/a");
  }

  @Test
  void preliminaryIsKeptWhenNoFinalExistsAtThatTime() {
    LabResult preliminary =
        potassium("Observation/p", "3.1", "2026-11-19T08:00:00Z", ResultStatus.PRELIMINARY, "p");
    LabResult olderFinal =
        potassium("Observation/f", "3.4", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "f");

    assertThat(references(new LabHistory(List.of(olderFinal, preliminary)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/p", "Observation/f");
  }

  @Test
  void preliminaryAloneIsKept() {
    LabResult preliminary =
        potassium("Observation/p", "3.1", "2026-11-19T08:00:00Z", ResultStatus.PRELIMINARY, "p");

    assertThat(new LabHistory(List.of(preliminary)).latest(Analyte.POTASSIUM))
        .contains(preliminary);
  }

  @Test
  void twoPreliminariesAtTheSameTimeAreBothKept() {
    LabResult a =
        potassium("Observation/a", "3.1", "2026-11-19T08:00:00Z", ResultStatus.PRELIMINARY, "a");
    LabResult b =
        potassium("Observation/b", "3.2", "2026-11-19T08:00:00Z", ResultStatus.PRELIMINARY, "b");

    assertThat(references(new LabHistory(List.of(a, b)).all(Analyte.POTASSIUM)))
        .containsExactlyInAnyOrder("Observation/a", "Observation/b");
  }

  @Test
  void dateOnlyPreliminaryIsDroppedByAFinalOnTheSameDay() {
    LabResult preliminary =
        result(
            "Observation/p",
            "3.1",
            Instant.parse("2026-11-18T00:00:00Z"),
            true,
            ResultStatus.PRELIMINARY,
            "p");
    LabResult fin =
        potassium("Observation/f", "3.4", "2026-11-18T09:15:00Z", ResultStatus.FINAL, "f");

    assertThat(references(new LabHistory(List.of(preliminary, fin)).all(Analyte.POTASSIUM)))
        .containsExactly("Observation/f");
  }

  @Test
  void resultsAreNewestFirst() {
    LabResult oldest =
        potassium("Observation/1", "4.0", "2026-09-01T08:00:00Z", ResultStatus.FINAL, "1");
    LabResult middle =
        potassium("Observation/2", "3.6", "2026-10-01T08:00:00Z", ResultStatus.FINAL, "2");
    LabResult newest =
        potassium("Observation/3", "3.1", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "3");

    LabHistory history = new LabHistory(List.of(middle, newest, oldest));

    assertThat(references(history.all(Analyte.POTASSIUM)))
        .containsExactly("Observation/3", "Observation/2", "Observation/1");
    assertThat(history.latest(Analyte.POTASSIUM)).contains(newest);
  }

  @Test
  void analytesAreKeptApart() {
    LabResult k =
        potassium("Observation/k", "4.0", "2026-11-18T08:00:00Z", ResultStatus.FINAL, "same");
    LabResult mg =
        new LabResult(
            "Observation/mg",
            Analyte.MAGNESIUM,
            "19123-9",
            Measurement.exact("1.9"),
            "1.9",
            "mg/dL",
            Instant.parse("2026-11-18T08:00:00Z"),
            false,
            ResultStatus.FINAL,
            null,
            Set.of(),
            "other");

    LabHistory history = new LabHistory(List.of(k, mg));

    assertThat(history.all(Analyte.POTASSIUM)).containsExactly(k);
    assertThat(history.all(Analyte.MAGNESIUM)).containsExactly(mg);
    assertThat(history.all(Analyte.TSH)).isEmpty();
    assertThat(history.latest(Analyte.TSH)).isEmpty();
  }

  @Test
  void latestSinceIgnoresOlderResults() {
    LabResult result =
        potassium("Observation/1", "4.0", "2026-11-01T08:00:00Z", ResultStatus.FINAL, "1");
    LabHistory history = new LabHistory(List.of(result));

    assertThat(history.latestSince(Analyte.POTASSIUM, Instant.parse("2026-11-01T08:00:00Z")))
        .contains(result);
    assertThat(history.latestSince(Analyte.POTASSIUM, Instant.parse("2026-11-02T00:00:00Z")))
        .isEmpty();
  }

  @Test
  void nearestPicksTheClosestResultWithinTheDistance() {
    LabResult before =
        potassium("Observation/b", "4.0", "2026-11-18T06:00:00Z", ResultStatus.FINAL, "b");
    LabResult after =
        potassium("Observation/a", "4.1", "2026-11-18T09:00:00Z", ResultStatus.FINAL, "a");
    LabHistory history = new LabHistory(List.of(before, after));
    Instant when = Instant.parse("2026-11-18T08:00:00Z");

    assertThat(history.nearest(Analyte.POTASSIUM, when, 3 * 3600)).contains(after);
    assertThat(history.nearest(Analyte.POTASSIUM, when, 1800)).isEmpty();
  }
}
