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

  // ---- the order history read from a lookback on ---------------------------------------------

  private static final Instant EVALUATED = Instant.parse("2026-11-20T12:00:00Z");

  /** The plan's lookback of 1,095 days before 2026-11-20. */
  private static final Instant HISTORY_FROM = Instant.parse("2023-11-21T00:00:00Z");

  private static List<MedicationExposure> bounded(
      List<MedicationHistory.Order> current, List<MedicationHistory.Order> past) {
    Map<String, MedicationHistory.Order> byReference = new java.util.LinkedHashMap<>();
    current.forEach(o -> byReference.put(o.exposure().reference(), o));
    past.forEach(o -> byReference.put(o.exposure().reference(), o));
    return MedicationHistory.withRealStarts(
            current, past, byReference, List.of(), EVALUATED, HISTORY_FROM)
        .current();
  }

  @Test
  void aCourseReachingBackToTheLookbacksEdgeIsDatedSinceAtLeastItsFirstOrderRead() {
    // Renewed yearly since 2019: the orders before the lookback are not read (or, when a prefetch
    // sends them, left out), so the first order read starts a course that may be older.
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past =
        List.of(
            order("2019", "2019-11-01", null, LISINOPRIL),
            order("2022", "2022-11-10", null, LISINOPRIL),
            order("2023", "2023-11-25", null, LISINOPRIL),
            order("2024", "2024-11-20", null, LISINOPRIL),
            order("2025", "2025-11-01", null, LISINOPRIL));

    List<MedicationExposure> result = bounded(List.of(current), past);

    assertThat(start(result)).isEqualTo(Instant.parse("2023-11-25T10:00:00Z"));
    assertThat(result.get(0).startAtLeast()).isTrue();
  }

  @Test
  void aCourseThatBeganWellInsideTheLookbackKeepsItsExactStart() {
    // Near miss: the first order is more than the renewal gap after the lookback's edge, so no
    // order before the edge could belong to the course.
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Order> past =
        List.of(
            order("2020", "2020-03-01", null, LISINOPRIL), // an earlier course, long ended
            order("first", "2024-12-26", null, LISINOPRIL),
            order("renewal", "2025-11-01", null, LISINOPRIL));

    List<MedicationExposure> result = bounded(List.of(current), past);

    assertThat(start(result)).isEqualTo(Instant.parse("2024-12-26T10:00:00Z"));
    assertThat(result.get(0).startAtLeast()).isFalse();
  }

  @Test
  void aCurrentOrderWrittenBeforeTheLookbackIsKeptSinceAtLeastItsDate() {
    MedicationHistory.Order current = order("old-active", "2021-06-01", null, LISINOPRIL);

    List<MedicationExposure> result = bounded(List.of(current), List.of());

    assertThat(start(result)).isEqualTo(Instant.parse("2021-06-01T10:00:00Z"));
    assertThat(result.get(0).startAtLeast()).isTrue();
  }

  @Test
  void twoCurrentOrdersOfOneDateAreMarkedAlike() {
    List<MedicationExposure> result =
        bounded(
            List.of(
                order("digoxin", "2024-11-20", null, LISINOPRIL),
                order("furosemide", "2024-11-20", null, HCTZ)),
            List.of());

    assertThat(result).hasSize(2).allMatch(MedicationExposure::startAtLeast);
  }

  @Test
  void aPriorPrescriptionBeforeTheLookbackMakesTheStartAtLeast() {
    // Whatever the source sent, an ended order before the lookback is not read (the same cards
    // through a prefetch of the whole history as through the bounded query); the order naming it
    // as its priorPrescription then starts a course known to be older.
    MedicationHistory.Order old = order("old", "2020-01-10", null, LISINOPRIL);
    MedicationHistory.Order current =
        order("now", "2026-10-30", "MedicationRequest/old", LISINOPRIL);

    List<MedicationExposure> result = bounded(List.of(current), List.of(old));

    assertThat(start(result)).isEqualTo(Instant.parse("2026-10-30T10:00:00Z"));
    assertThat(result.get(0).startAtLeast()).isTrue();
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

  private static MedicationHistory.Dispense dispense(
      String id, String date, Integer days, String order, Ingredient... ingredients) {
    return new MedicationHistory.Dispense(
        new MedicationExposure(
            "MedicationDispense/" + id,
            "fill " + id,
            Instant.parse(date + "T15:00:00Z"),
            Set.of(ingredients)),
        days,
        order == null ? List.of() : List.of(order));
  }

  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

  @Test
  void quarterlyDispensesBeforeTheFirstOrderOnFileDateTheDrug() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    List<MedicationHistory.Dispense> fills =
        List.of(
            dispense("f1", "2025-12-01", 90, "MedicationRequest/elsewhere", LISINOPRIL),
            dispense("f2", "2026-03-01", 90, "MedicationRequest/elsewhere", LISINOPRIL),
            dispense("f3", "2026-06-01", 90, "MedicationRequest/elsewhere", LISINOPRIL),
            dispense("f4", "2026-08-25", 90, "MedicationRequest/elsewhere", LISINOPRIL));

    MedicationHistory.Exposures result =
        MedicationHistory.withRealStarts(List.of(current), List.of(), Map.of(), fills, NOW);
    assertThat(start(result.current())).isEqualTo(Instant.parse("2025-12-01T15:00:00Z"));
    assertThat(result.past()).hasSize(4);
  }

  @Test
  void aDispenseWhoseSupplyAndGraceEndedBeforeTheOrderDoesNotJoin() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    // 30 days of supply from 2026-08-30 plus 30 days of grace end 2026-10-29, a day short.
    List<MedicationHistory.Dispense> fills =
        List.of(dispense("f1", "2026-08-30", 30, null, LISINOPRIL));
    assertThat(
            start(
                MedicationHistory.withRealStarts(List.of(current), List.of(), Map.of(), fills, NOW)
                    .current()))
        .isEqualTo(Instant.parse("2026-10-30T10:00:00Z"));

    List<MedicationHistory.Dispense> reaching =
        List.of(dispense("f1", "2026-08-31", 30, null, LISINOPRIL));
    assertThat(
            start(
                MedicationHistory.withRealStarts(
                        List.of(current), List.of(), Map.of(), reaching, NOW)
                    .current()))
        .isEqualTo(Instant.parse("2026-08-31T15:00:00Z"));
  }

  @Test
  void aDispenseBridgesTwoOrdersTooFarApartOnTheirOwn() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    // 500 days between the orders; the last fill of the old one (90 days) reaches the new one.
    MedicationHistory.Order old = order("old", "2025-06-17", null, LISINOPRIL);
    List<MedicationHistory.Dispense> fills =
        List.of(dispense("f", "2026-08-15", 90, "MedicationRequest/old", LISINOPRIL));

    assertThat(
            start(
                MedicationHistory.withRealStarts(
                        List.of(current), List.of(old), Map.of(), fills, NOW)
                    .current()))
        .as("the fill alone, without its order on file")
        .isEqualTo(Instant.parse("2026-08-15T15:00:00Z"));
    assertThat(
            start(
                MedicationHistory.withRealStarts(
                        List.of(current),
                        List.of(old),
                        Map.of("MedicationRequest/old", old),
                        fills,
                        NOW)
                    .current()))
        .isEqualTo(Instant.parse("2025-06-17T10:00:00Z"));
  }

  @Test
  void aDispenseAloneIsCurrentWhileItsSupplyAndTheGraceLast() {
    // 90 days from 2026-07-01 end 2026-09-29; with 30 days of grace 2026-10-29: before NOW.
    MedicationHistory.Exposures ended =
        MedicationHistory.withRealStarts(
            List.of(),
            List.of(),
            Map.of(),
            List.of(dispense("f", "2026-07-01", 90, null, HCTZ)),
            NOW);
    assertThat(ended.current()).isEmpty();
    assertThat(ended.past())
        .extracting(MedicationExposure::reference)
        .containsExactly("MedicationDispense/f");

    MedicationHistory.Exposures lasting =
        MedicationHistory.withRealStarts(
            List.of(),
            List.of(),
            Map.of(),
            List.of(
                dispense("f1", "2026-05-01", 90, null, HCTZ),
                dispense("f2", "2026-08-01", 90, null, HCTZ)),
            NOW);
    assertThat(lasting.current()).hasSize(1);
    assertThat(lasting.current().get(0).reference()).isEqualTo("MedicationDispense/f2");
    assertThat(lasting.current().get(0).start()).isEqualTo(Instant.parse("2026-05-01T15:00:00Z"));

    // Without an evaluation time, a dispense only dates orders.
    assertThat(
            MedicationHistory.withRealStarts(
                    List.of(),
                    List.of(),
                    Map.of(),
                    List.of(dispense("f", "2026-11-01", 90, null, HCTZ)),
                    null)
                .current())
        .isEmpty();
  }

  @Test
  void aDispenseAloneIsNotAddedForADrugACurrentOrderCovers() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    MedicationHistory.Exposures result =
        MedicationHistory.withRealStarts(
            List.of(current),
            List.of(),
            Map.of(),
            List.of(dispense("f", "2026-11-01", 90, "MedicationRequest/now", LISINOPRIL)),
            NOW);
    assertThat(result.current())
        .extracting(MedicationExposure::reference)
        .containsExactly("MedicationRequest/now");
  }

  @Test
  void aDispenseOfAStoppedOrderIsNotCurrent() {
    MedicationHistory.Order stopped =
        new MedicationHistory.Order(
            new MedicationExposure(
                "MedicationRequest/s", "hctz", Instant.parse("2026-10-01T10:00:00Z"), Set.of(HCTZ)),
            null,
            true);
    MedicationHistory.Exposures result =
        MedicationHistory.withRealStarts(
            List.of(),
            List.of(stopped),
            Map.of("MedicationRequest/s", stopped),
            List.of(dispense("f", "2026-10-02", 90, "MedicationRequest/s", HCTZ)),
            NOW);
    assertThat(result.current()).isEmpty();
  }

  @Test
  void anUnrecognisedDispenseTakesItsOrdersDrug() {
    MedicationHistory.Order current = order("now", "2026-10-30", null, LISINOPRIL);
    MedicationHistory.Order legacy = order("legacy", "2024-01-10", null, LISINOPRIL);
    // Text the catalogue does not know, filling an order on file: the fill takes the order's drug
    // and joins the run, bringing the order (dated 2024) with it.
    MedicationHistory.Dispense fill = dispense("f", "2026-09-15", 60, "MedicationRequest/legacy");

    assertThat(
            start(
                MedicationHistory.withRealStarts(
                        List.of(current),
                        List.of(),
                        Map.of("MedicationRequest/legacy", legacy),
                        List.of(fill),
                        NOW)
                    .current()))
        .isEqualTo(Instant.parse("2024-01-10T10:00:00Z"));
  }
}
