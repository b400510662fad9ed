package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.MedicationExposure;

class MedicationHistoryTest {

  private static final Ingredient LISINOPRIL =
      new Ingredient("lisinopril", "29046", null, List.of(), List.of(), null);
  private static final Ingredient HCTZ =
      new Ingredient("hydrochlorothiazide", "5487", null, List.of(), List.of(), null);

  private static MedicationHistory.Order order(
      String id, String date, String prior, Ingredient... ingredients) {
    return new MedicationHistory.Order(
        new MedicationExposure(
            "MedicationRequest/" + id,
            "drug " + id,
            Instant.parse(date + "T10:00:00Z"),
            Set.of(ingredients)),
        prior);
  }

  private static Instant start(List<MedicationExposure> result) {
    assertThat(result).hasSize(1);
    return result.get(0).start();
  }

  @Test
  void yearlyRenewalsAreOneCourseDatedFromTheFirstOrder() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past =
        List.of(
            order("a", "2023-11-15", null, LISINOPRIL),
            order("b", "2024-11-20", null, LISINOPRIL),
            order("c", "2025-11-01", null, LISINOPRIL));

    assertThat(start(MedicationHistory.withRealStarts(List.of(current), past, Map.of())))
        .isEqualTo(Instant.parse("2023-11-15T10:00:00Z"));
  }

  @Test
  void aGapOfMoreThanTheRenewalIntervalEndsTheCourse() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past =
        List.of(
            order("old", "2021-01-10", null, LISINOPRIL),
            // 401 days before the current order: a new course starts with it.
            order("gap", "2025-09-24", null, LISINOPRIL));

    assertThat(start(MedicationHistory.withRealStarts(List.of(current), past, Map.of())))
        .isEqualTo(Instant.parse("2026-10-30T10:00:00Z"));
  }

  @Test
  void exactlyTheRenewalIntervalStillJoins() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past = List.of(order("prev", "2025-09-25", null, LISINOPRIL));

    assertThat(start(MedicationHistory.withRealStarts(List.of(current), past, Map.of())))
        .isEqualTo(Instant.parse("2025-09-25T10:00:00Z"));
  }

  @Test
  void anotherDrugsOrdersDoNotDateThisOne() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past = List.of(order("hctz", "2025-11-01", null, HCTZ));

    assertThat(start(MedicationHistory.withRealStarts(List.of(current), past, Map.of())))
        .isEqualTo(Instant.parse("2026-10-30T10:00:00Z"));
  }

  @Test
  void aCombinationProductContinuesItsIngredient() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past =
        List.of(order("combo", "2026-03-01", null, LISINOPRIL, HCTZ));

    assertThat(start(MedicationHistory.withRealStarts(List.of(current), past, Map.of())))
        .isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
  }

  @Test
  void aPriorPrescriptionLinkJoinsWhateverTheGap() {
    MedicationHistory.Order first = order("first", "2023-01-05", null, LISINOPRIL);
    MedicationHistory.Order current =
        order("now", "2026-10-30", "MedicationRequest/first", LISINOPRIL);

    assertThat(
            start(
                MedicationHistory.withRealStarts(
                    List.of(current),
                    List.of(first),
                    Map.of("MedicationRequest/first", first, "MedicationRequest/now", current))))
        .isEqualTo(Instant.parse("2023-01-05T10:00:00Z"));
  }

  @Test
  void aCycleOfPriorPrescriptionsEnds() {
    MedicationHistory.Order a = order("a", "2026-01-05", "MedicationRequest/b", LISINOPRIL);
    MedicationHistory.Order b = order("b", "2026-10-30", "MedicationRequest/a", LISINOPRIL);

    assertThat(
            start(
                MedicationHistory.withRealStarts(
                    List.of(b),
                    List.of(),
                    Map.of("MedicationRequest/a", a, "MedicationRequest/b", b))))
        .isEqualTo(Instant.parse("2026-01-05T10:00:00Z"));
  }

  @Test
  void aCurrentOrderWithoutADateKeepsAnUnknownStart() {
    MedicationHistory.Order undated =
        new MedicationHistory.Order(
            new MedicationExposure("MedicationRequest/u", "drug", null, Set.of(LISINOPRIL)), null);
    List<MedicationHistory.Order> past = List.of(order("prev", "2026-09-01", null, LISINOPRIL));

    assertThat(start(MedicationHistory.withRealStarts(List.of(undated), past, Map.of()))).isNull();
  }
}
