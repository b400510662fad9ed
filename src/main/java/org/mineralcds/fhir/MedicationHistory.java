package org.mineralcds.fhir;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.MedicationExposure;

/**
 * When a patient really started a drug. EHRs write a new MedicationRequest at every renewal and
 * complete or stop the one before, so the current order's {@code authoredOn} is the date of the
 * last renewal, not of the start: on a generated population 84 of 97 monitoring cards gave a wrong
 * "since" date that way, and "lisinopril started 34 days ago" was said of patients on it since
 * 2016. A current order's start is moved back over the earlier orders of the same ingredient that
 * form an unbroken run with it, and over the orders it names as its {@code priorPrescription}.
 */
final class MedicationHistory {

  /**
   * Two orders of one ingredient at most this far apart are one course of treatment: a chronic
   * prescription is renewed at least yearly (US prescriptions for non-controlled drugs are valid
   * for at most a year in most states), plus a month of grace for a late renewal visit.
   */
  static final Duration RENEWAL_GAP = Duration.ofDays(400);

  /** An order and the order it renews, if it says. */
  record Order(MedicationExposure exposure, String priorPrescription) {}

  private MedicationHistory() {}

  /**
   * The current exposures, each with its start moved back to the first order of its unbroken run.
   *
   * @param current active orders and statements
   * @param past ended orders (completed, stopped), their start being when they were written
   * @param byReference every order by "MedicationRequest/id", for priorPrescription links
   */
  static List<MedicationExposure> withRealStarts(
      List<Order> current, List<Order> past, Map<String, Order> byReference) {
    if (past.isEmpty() && byReference.isEmpty()) {
      return current.stream().map(Order::exposure).toList();
    }
    List<Order> newestFirst = new ArrayList<>(past);
    newestFirst.sort(
        Comparator.comparing((Order o) -> o.exposure().start(), Comparator.reverseOrder()));
    List<MedicationExposure> result = new ArrayList<>(current.size());
    for (Order order : current) {
      MedicationExposure exposure = order.exposure();
      Instant start = exposure.start();
      if (start == null || exposure.ingredients().isEmpty()) {
        result.add(exposure);
        continue;
      }
      start = earliestLinked(order, start, byReference);
      Set<String> names = names(exposure.ingredients());
      for (Order earlier : newestFirst) {
        Instant at = earlier.exposure().start();
        if (!at.isBefore(start) || !sharesIngredient(names, earlier.exposure())) {
          continue;
        }
        if (Duration.between(at, start).compareTo(RENEWAL_GAP) > 0) {
          break;
        }
        start = earliestLinked(earlier, at, byReference);
      }
      result.add(
          start.equals(exposure.start())
              ? exposure
              : new MedicationExposure(
                  exposure.reference(), exposure.description(), start, exposure.ingredients()));
    }
    return result;
  }

  /** Follows priorPrescription links back (whatever the gap: the EHR says it is a renewal). */
  private static Instant earliestLinked(
      Order order, Instant start, Map<String, Order> byReference) {
    Set<String> seen = new HashSet<>();
    Instant earliest = start;
    String prior = order.priorPrescription();
    while (prior != null && seen.add(prior)) {
      Order previous = byReference.get(prior);
      if (previous == null) {
        break;
      }
      Instant at = previous.exposure().start();
      if (at != null && at.isBefore(earliest)) {
        earliest = at;
      }
      prior = previous.priorPrescription();
    }
    return earliest;
  }

  private static Set<String> names(Set<Ingredient> ingredients) {
    Set<String> names = new HashSet<>();
    ingredients.forEach(i -> names.add(i.name()));
    return names;
  }

  private static boolean sharesIngredient(Set<String> names, MedicationExposure other) {
    for (Ingredient i : other.ingredients()) {
      if (names.contains(i.name())) {
        return true;
      }
    }
    return false;
  }
}
