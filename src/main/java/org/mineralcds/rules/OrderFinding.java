package org.mineralcds.rules;

import java.util.List;
import java.util.Set;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.DataGap;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.clinical.Ingredient;

/**
 * What the prescribing rules found about one draft order: one finding per draft and topic.
 *
 * @param ingredient the ingredient of the draft the rules matched
 * @param hits the rules that fired, the most urgent first (the lead)
 * @param tests the tests to offer: the missing baseline tests, or the recheck after a conflict
 */
public record OrderFinding(
    String topic,
    DraftOrder draft,
    Ingredient ingredient,
    Indicator indicator,
    List<Hit> hits,
    List<SuggestedTest> tests,
    Set<DataGap> gaps) {

  public OrderFinding {
    hits = List.copyOf(hits);
    tests = List.copyOf(tests);
    gaps = Set.copyOf(gaps);
  }

  public OrderRule lead() {
    return hits.get(0).rule();
  }

  public List<String> ruleIds() {
    return hits.stream().map(h -> h.rule().id()).toList();
  }

  /**
   * One rule that fired.
   *
   * @param value the value it fired on, or null (a coded condition, or a baseline rule)
   * @param condition the coded condition it fired on instead of a value, or null
   * @param coTherapy the other drugs of the combined therapy (current or being ordered), by name
   */
  public record Hit(
      OrderRule rule,
      Indicator indicator,
      AssessedValue value,
      ConditionRecord condition,
      List<String> coTherapy) {

    public Hit {
      coTherapy = List.copyOf(coTherapy);
    }
  }
}
