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
 *
 * <p>Dispenses (MedicationDispense) are part of the run too: a pharmacy that handed the drug over
 * long before the first order on file (an order written in another system, or purged) shows when
 * the patient really started, and the supply a dispense covers bridges a gap between orders. A
 * dispense with no current order of its drug is exposure while its supply lasts, plus {@link
 * #DISPENSE_GRACE}.
 */
final class MedicationHistory {

  /**
   * Two orders of one ingredient at most this far apart are one course of treatment: a chronic
   * prescription is renewed at least yearly (US prescriptions for non-controlled drugs are valid
   * for at most a year in most states), plus a month of grace for a late renewal visit.
   */
  static final Duration RENEWAL_GAP = Duration.ofDays(400);

  /**
   * Days after a dispense's supply runs out during which the patient still counts as taking the
   * drug: the 30-day persistence window of the OHDSI/OMOP drug eras (two dispenses at most 30 days
   * apart beyond the supply are one era), within the range pharmacoepidemiology uses for the
   * permissible gap between fills (Gardarsdottir H et al. Construction of drug treatment episodes
   * from drug-dispensing histories is influenced by the gap length. J Clin Epidemiol 2010;63:422-7,
   * https://pubmed.ncbi.nlm.nih.gov/19880282/: the median episode doubled between gaps of 0 and 10
   * days; longer gaps change it less). Short enough that a drug handed over once months ago is not
   * called current.
   */
  static final Duration DISPENSE_GRACE = Duration.ofDays(30);

  /**
   * The supply a dispense covers when it does not give its daysSupply: 30 days, the usual US fill
   * (as {@link R4Mapper#expectedDays} assumes for an order that gives only its refills).
   */
  static final int DEFAULT_DAYS_SUPPLY = 30;

  /** An order and the order it renews, if it says; {@code stopped}: the prescriber ended it. */
  record Order(MedicationExposure exposure, String priorPrescription, boolean stopped) {
    Order(MedicationExposure exposure, String priorPrescription) {
      this(exposure, priorPrescription, false);
    }
  }

  /**
   * A dispense: the drug handed over, its exposure's {@code start} the day it was, the days of
   * supply (null when not said) and the orders it fills ("MedicationRequest/id").
   */
  record Dispense(
      MedicationExposure exposure, Integer daysSupply, List<String> authorizingPrescriptions) {
    Dispense {
      authorizingPrescriptions = List.copyOf(authorizingPrescriptions);
    }

    /** The last day the supply lasts. */
    Instant suppliedUntil() {
      return exposure
          .start()
          .plus(Duration.ofDays(daysSupply == null ? DEFAULT_DAYS_SUPPLY : daysSupply));
    }
  }

  /** An earlier order or dispense and how far forward it keeps a course unbroken. */
  private record Event(
      Instant start, Instant reach, MedicationExposure exposure, Order order, Dispense dispense) {}

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
    return withRealStarts(current, past, byReference, List.of(), null).current();
  }

  /**
   * The current exposures and the history that is not current.
   *
   * @param current active orders and statements (and dispenses whose supply lasts, once dated)
   * @param past ended orders, and dispenses that are not current
   */
  record Exposures(List<MedicationExposure> current, List<MedicationExposure> past) {}

  /**
   * The current exposures, each with its start moved back to the first order or dispense of its
   * unbroken run, followed by the drugs that only a dispense shows, while its supply lasts plus
   * {@link #DISPENSE_GRACE}; and the past: the ended orders and the dispenses not current.
   *
   * @param current active orders and statements
   * @param past ended orders (completed, stopped), their start being when they were written
   * @param byReference every order by "MedicationRequest/id", for priorPrescription links
   * @param dispenses completed dispenses, their start being when they were handed over
   * @param now the evaluation time; null: dispenses only date the orders, none is current alone
   */
  static Exposures withRealStarts(
      List<Order> current,
      List<Order> past,
      Map<String, Order> byReference,
      List<Dispense> dispenses,
      Instant now) {
    return withRealStarts(current, past, byReference, dispenses, now, null);
  }

  /**
   * As {@link #withRealStarts(List, List, Map, List, Instant)}, with the order history read only
   * from {@code historyFrom} on (the query plan's lookback): ended orders written before it are
   * left out whatever the source sent (a prefetch of the whole history gives the same cards as the
   * bounded query), and a start that an ended order before it could still move back (one at most
   * {@link #RENEWAL_GAP} earlier) is marked {@link MedicationExposure#startAtLeast()}: the drug has
   * been taken since at least then.
   *
   * @param historyFrom where the order history read begins; null: the whole history is read
   */
  static Exposures withRealStarts(
      List<Order> current,
      List<Order> past,
      Map<String, Order> byReference,
      List<Dispense> dispenses,
      Instant now,
      Instant historyFrom) {
    if (historyFrom != null) {
      Set<Order> currentOrders =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      currentOrders.addAll(current);
      past = past.stream().filter(o -> !before(o, historyFrom)).toList();
      Map<String, Order> bounded = new java.util.LinkedHashMap<>();
      byReference.forEach(
          (reference, order) -> {
            if (currentOrders.contains(order) || !before(order, historyFrom)) {
              bounded.put(reference, order);
            }
          });
      byReference = bounded;
    }
    Exposures exposures = runs(current, past, byReference, dispenses, now);
    if (historyFrom == null) {
      return exposures;
    }
    List<MedicationExposure> marked = new ArrayList<>(exposures.current().size());
    for (MedicationExposure e : exposures.current()) {
      boolean reachesEdge =
          e.start() != null
              && (e.start().minus(RENEWAL_GAP).isBefore(historyFrom)
                  || startsWithUnreadPrior(e, current, byReference));
      marked.add(
          reachesEdge && !e.startAtLeast()
              ? new MedicationExposure(
                  e.reference(), e.description(), e.start(), e.ingredients(), true)
              : e);
    }
    return new Exposures(marked, exposures.past());
  }

  /**
   * The order that starts the course names a priorPrescription that was not read (written before
   * the lookback): the course is older than its first order read.
   */
  private static boolean startsWithUnreadPrior(
      MedicationExposure e, List<Order> current, Map<String, Order> byReference) {
    Set<String> names = names(e.ingredients());
    List<Order> orders = new ArrayList<>(current);
    orders.addAll(byReference.values());
    for (Order o : orders) {
      if (o.priorPrescription() != null
          && !byReference.containsKey(o.priorPrescription())
          && e.start().equals(o.exposure().start())
          && sharesIngredient(names, o.exposure())) {
        return true;
      }
    }
    return false;
  }

  /** An order written before {@code from} (an order without a date is kept). */
  private static boolean before(Order order, Instant from) {
    Instant at = order.exposure().start();
    return at != null && at.isBefore(from);
  }

  private static Exposures runs(
      List<Order> current,
      List<Order> past,
      Map<String, Order> byReference,
      List<Dispense> dispenses,
      Instant now) {
    List<MedicationExposure> pastExposures = new ArrayList<>();
    past.forEach(o -> pastExposures.add(o.exposure()));
    if (past.isEmpty() && byReference.isEmpty() && dispenses.isEmpty()) {
      return new Exposures(current.stream().map(Order::exposure).toList(), pastExposures);
    }
    List<Dispense> supplies = new ArrayList<>(dispenses.size());
    dispenses.forEach(d -> supplies.add(withOrderIngredients(d, byReference)));
    List<Event> newestFirst = new ArrayList<>(past.size() + supplies.size());
    for (Order o : past) {
      Instant at = o.exposure().start();
      newestFirst.add(new Event(at, at.plus(RENEWAL_GAP), o.exposure(), o, null));
    }
    for (Dispense d : supplies) {
      newestFirst.add(
          new Event(
              d.exposure().start(), d.suppliedUntil().plus(DISPENSE_GRACE), d.exposure(), null, d));
    }
    newestFirst.sort(Comparator.comparing(Event::start, Comparator.reverseOrder()));
    List<MedicationExposure> result = new ArrayList<>(current.size());
    Set<String> taken = new HashSet<>();
    for (Order order : current) {
      MedicationExposure exposure = order.exposure();
      Instant start = exposure.start();
      taken.addAll(names(exposure.ingredients()));
      if (start == null || exposure.ingredients().isEmpty()) {
        result.add(exposure);
        continue;
      }
      start = earliestLinked(order, start, byReference);
      start = runStart(names(exposure.ingredients()), start, newestFirst, byReference);
      result.add(startingAt(exposure, start));
    }
    supplies.sort(
        Comparator.comparing((Dispense d) -> d.exposure().start(), Comparator.reverseOrder()));
    for (Dispense d : supplies) {
      MedicationExposure exposure = d.exposure();
      Set<String> names = names(exposure.ingredients());
      boolean lasting =
          now != null
              && !names.isEmpty()
              && !taken.containsAll(names)
              && !exposure.start().isAfter(now)
              && !d.suppliedUntil().plus(DISPENSE_GRACE).isBefore(now)
              && !stoppedOrder(d, byReference);
      if (lasting) {
        taken.addAll(names);
        result.add(
            startingAt(exposure, runStart(names, exposure.start(), newestFirst, byReference)));
      } else {
        pastExposures.add(exposure);
      }
    }
    return new Exposures(result, pastExposures);
  }

  /**
   * The start of the unbroken run that ends at {@code start}: earlier orders of the ingredient
   * within {@link #RENEWAL_GAP}, and earlier dispenses whose supply (plus the grace) reaches it.
   */
  private static Instant runStart(
      Set<String> names, Instant start, List<Event> newestFirst, Map<String, Order> byReference) {
    for (Event earlier : newestFirst) {
      if (!earlier.start().isBefore(start)
          || earlier.reach().isBefore(start)
          || !sharesIngredient(names, earlier.exposure())) {
        continue;
      }
      start =
          earlier.order() == null
              ? filledOrderStart(earlier.dispense(), names, earlier.start(), byReference)
              : earliestLinked(earlier.order(), earlier.start(), byReference);
    }
    return start;
  }

  /**
   * A dispense in the run brings the order it fills (when on file, of the same drug, and earlier)
   * and that order's renewals: the supply bridges what the orders' dates alone would not.
   */
  private static Instant filledOrderStart(
      Dispense dispense, Set<String> names, Instant start, Map<String, Order> byReference) {
    Instant earliest = start;
    for (String reference : dispense.authorizingPrescriptions()) {
      Order order = byReference.get(reference);
      Instant at = order == null ? null : order.exposure().start();
      if (at != null && at.isBefore(earliest) && sharesIngredient(names, order.exposure())) {
        earliest = earliestLinked(order, at, byReference);
      }
    }
    return earliest;
  }

  private static MedicationExposure startingAt(MedicationExposure exposure, Instant start) {
    return start.equals(exposure.start())
        ? exposure
        : new MedicationExposure(
            exposure.reference(), exposure.description(), start, exposure.ingredients());
  }

  /**
   * A dispense whose drug is not recognised (text the catalogue does not know) takes the
   * ingredients of the order it fills, when that order is on file.
   */
  private static Dispense withOrderIngredients(Dispense d, Map<String, Order> byReference) {
    if (!d.exposure().ingredients().isEmpty()) {
      return d;
    }
    for (String reference : d.authorizingPrescriptions()) {
      Order order = byReference.get(reference);
      if (order != null && !order.exposure().ingredients().isEmpty()) {
        MedicationExposure e = d.exposure();
        return new Dispense(
            new MedicationExposure(
                e.reference(), e.description(), e.start(), order.exposure().ingredients()),
            d.daysSupply(),
            d.authorizingPrescriptions());
      }
    }
    return d;
  }

  /** The dispense fills an order on file that the prescriber stopped: the drug was ended. */
  private static boolean stoppedOrder(Dispense d, Map<String, Order> byReference) {
    for (String reference : d.authorizingPrescriptions()) {
      Order order = byReference.get(reference);
      if (order != null && order.stopped()) {
        return true;
      }
    }
    return false;
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
