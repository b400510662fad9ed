package org.mineralcds.rules;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.DataGap;

/**
 * What one rule concluded about one patient: the value, why it matters, the likely drug causes,
 * related results and problems, and the tests still missing. Rendering turns it into a card.
 *
 * @param inputs for a pattern, its other inputs by placeholder name (pth, vitaminD, egfr, ...)
 */
public record Finding(
    Band band,
    AssessedValue value,
    Indicator indicator,
    List<DrugCause> drugCauses,
    List<AssessedValue> related,
    List<ConditionRecord> conditions,
    List<SuggestedTest> suggestions,
    Set<DataGap> gaps,
    Map<String, AssessedValue> inputs) {

  public Finding {
    inputs = Map.copyOf(inputs);
    drugCauses = List.copyOf(drugCauses);
    related = List.copyOf(related);
    conditions = List.copyOf(conditions);
    suggestions = List.copyOf(suggestions);
    gaps = Set.copyOf(gaps);
  }
}
