package org.mineralcds.rules;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

/**
 * {@code order-lab-conflict}: a drug being ordered against a current lab value.
 *
 * @param combinedClasses the drug classes whose use together is combined therapy (e.g. the
 *     potassium-raising classes): the ordered drug counts with the current list and the other
 *     orders being written
 * @param criticalWhen the cases the clinical notes mark critical; a value past its critical limits
 *     is critical in any case
 * @param withdraw withdrawing the draft is the advice: a suggestion deletes it (never the only one)
 * @param recheck tests offered with "keep the order and recheck"
 */
public record ConflictRule(
    String id,
    Set<String> drugClasses,
    Set<String> ingredients,
    LabCondition lab,
    Indicator indicator,
    Set<String> combinedClasses,
    List<CriticalWhen> criticalWhen,
    boolean withdraw,
    List<TestSpec> recheck,
    String summary,
    String conditionSummary,
    String meaning,
    String action,
    List<Citation> sources,
    String rationale,
    String reviewStatus)
    implements OrderRule {

  public ConflictRule {
    drugClasses = OrderRule.ordered(drugClasses);
    ingredients = OrderRule.ordered(ingredients);
    combinedClasses = OrderRule.ordered(combinedClasses);
    criticalWhen = List.copyOf(criticalWhen);
    recheck = List.copyOf(recheck);
    sources = List.copyOf(sources);
  }

  @Override
  public String topic() {
    return TOPIC_CONFLICT;
  }

  /**
   * When the conflict is critical: all the given parts hold (the rule's value at least or below a
   * limit, combined therapy, the ordered ingredient, another lab condition).
   */
  public record CriticalWhen(
      BigDecimal atLeast,
      BigDecimal below,
      boolean combined,
      Set<String> ingredients,
      LabCondition lab) {

    public CriticalWhen {
      ingredients = OrderRule.ordered(ingredients);
    }
  }
}
