package org.mineralcds.rules;

import java.util.List;
import java.util.Set;
import org.mineralcds.clinical.Analyte;

/**
 * {@code order-baseline-due}: starting a drug that needs baseline tests not on file.
 *
 * @param longTermDays when set, only an order covering at least this many days counts (long-term
 *     PPI)
 * @param tests the baseline tests, each with the window in which a result counts
 */
public record BaselineRule(
    String id,
    Set<String> drugClasses,
    Set<String> ingredients,
    Integer longTermDays,
    List<BaselineTest> tests,
    Indicator indicator,
    String summary,
    String meaning,
    String action,
    List<Citation> sources,
    String rationale,
    String reviewStatus)
    implements OrderRule {

  public BaselineRule {
    drugClasses = OrderRule.ordered(drugClasses);
    ingredients = OrderRule.ordered(ingredients);
    tests = List.copyOf(tests);
    sources = List.copyOf(sources);
  }

  @Override
  public String topic() {
    return TOPIC_BASELINE;
  }

  /**
   * A baseline test: a result within {@code withinDays} (of its own family, or of an analyte in
   * {@code alsoSatisfiedBy}, e.g. an eGFR for creatinine) or an order makes it unnecessary.
   */
  public record BaselineTest(TestSpec test, int withinDays, Set<Analyte> alsoSatisfiedBy) {

    public BaselineTest {
      alsoSatisfiedBy = OrderRule.ordered(alsoSatisfiedBy);
    }
  }
}
