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
 * @param notes sentences linking this card to the rest of the response: another card of the same
 *     mechanism, or a test this card orders that another rule also wanted, with that rule's reason
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
    Map<String, AssessedValue> inputs,
    List<String> notes) {

  public Finding {
    notes = List.copyOf(notes);
    inputs = Map.copyOf(inputs);
    drugCauses = List.copyOf(drugCauses);
    related = List.copyOf(related);
    conditions = List.copyOf(conditions);
    suggestions = List.copyOf(suggestions);
    gaps = Set.copyOf(gaps);
  }

  /** This finding with other suggested tests. */
  public Finding withSuggestions(List<SuggestedTest> tests) {
    return new Finding(
        band, value, indicator, drugCauses, related, conditions, tests, gaps, inputs, notes);
  }

  /** This finding with one more note (a note already present is not repeated). */
  public Finding withNote(String note) {
    if (notes.contains(note)) {
      return this;
    }
    List<String> more = new java.util.ArrayList<>(notes);
    more.add(note);
    return new Finding(
        band, value, indicator, drugCauses, related, conditions, suggestions, gaps, inputs, more);
  }
}
