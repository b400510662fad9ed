package org.mineralcds.rules;

import java.util.List;
import java.util.Set;

/**
 * A rule that finds tests due: lab monitoring a drug needs ({@link Trigger.Medication}) or the
 * work-up a coded symptom or problem calls for ({@link Trigger.Problem}). It fires when at least
 * one of its tests has no result within its window and is not already ordered.
 *
 * @param family the card it contributes to: monitoring rules of one family (a drug class) share one
 *     card; all work-up rules share the single work-up card
 * @param requires the rule applies only when this holds, or null
 * @param escalateWhen the indicator becomes {@code escalatedIndicator} when this holds, or null
 * @param rationale why the tests are due at these intervals, from the sources, for reviewers
 */
public record DueTestRule(
    String id,
    String family,
    String topic,
    Trigger trigger,
    Circumstances requires,
    List<DueTest> tests,
    Indicator indicator,
    Indicator escalatedIndicator,
    Circumstances escalateWhen,
    String summary,
    String meaning,
    String action,
    List<Citation> sources,
    String review,
    String rationale) {

  public DueTestRule {
    tests = List.copyOf(tests);
    sources = List.copyOf(sources);
  }

  /** What makes the tests due. */
  public sealed interface Trigger {

    /**
     * An active medication of one of the classes (restricted to the named ingredients, if any).
     *
     * @param activeAtLeastDays started at least this long ago; an unknown start counts as long
     *     established (active medication lists rarely omit it for new drugs)
     * @param startedWithinDays started at most this long ago (a new start), or null; an unknown
     *     start never counts as new
     */
    record Medication(
        Set<String> drugClasses,
        Set<String> ingredients,
        int activeAtLeastDays,
        Integer startedWithinDays)
        implements Trigger {

      public Medication {
        drugClasses = Set.copyOf(drugClasses);
        ingredients = Set.copyOf(ingredients);
      }
    }

    /**
     * A coded problem in one of the condition sets, recorded within the window (an active problem
     * without a date counts as current).
     *
     * @param recordedWithinDays null for a lasting condition (e.g. malabsorption), whenever
     *     recorded
     */
    record Problem(Set<String> conditionSets, Integer recordedWithinDays) implements Trigger {

      public Problem {
        conditionSets = Set.copyOf(conditionSets);
      }
    }
  }

  /**
   * One test the rule wants on file.
   *
   * @param withinDays a result of the test's family at most this old satisfies it
   * @param shorterWithinDays the window when {@code shorterWhen} holds, or null
   * @param sinceStart only results since the medication was started count
   * @param onlyWhen the test is wanted only when this holds (e.g. vitamin D only with an
   *     indication), or null
   * @param activeAtLeastDays wanted only once the medication has been taken this long, or null
   */
  public record DueTest(
      TestSpec test,
      int withinDays,
      Integer shorterWithinDays,
      Circumstances shorterWhen,
      boolean sinceStart,
      Circumstances onlyWhen,
      Integer activeAtLeastDays) {}
}
