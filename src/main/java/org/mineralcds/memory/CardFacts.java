package org.mineralcds.memory;

import java.util.List;

/**
 * What the memory keeps about one card: enough to suppress its problem later and to count it, never
 * a patient identifier.
 *
 * @param indicator 0 critical, 1 warning, 2 info (lower is more urgent)
 * @param leadRule the rule whose wording heads the card; analytics count cards under it
 * @param ruleIds every rule behind the card, lead first
 * @param resultRef the triggering result ("Observation/..."), or null (due-test cards)
 * @param resultValue the triggering value as shown ("3.1 mmol/L"), or null
 * @param deviation how far the triggering value lies outside its range, in the analyte's canonical
 *     unit (0 inside it), or null when there is no value or no range
 * @param critical the triggering value is past a critical limit
 */
public record CardFacts(
    String cardUuid,
    String topic,
    int indicator,
    String leadRule,
    List<String> ruleIds,
    String resultRef,
    String resultValue,
    Double deviation,
    boolean critical,
    List<SuggestionFacts> suggestions) {

  public CardFacts {
    ruleIds = List.copyOf(ruleIds);
    suggestions = List.copyOf(suggestions);
  }

  /**
   * One suggestion on the card.
   *
   * @param loincCodes the tests it orders (empty for other suggestions)
   * @param windowDays the window of the rule that wants the test, or 0 when it names none
   */
  public record SuggestionFacts(String uuid, List<String> loincCodes, int windowDays) {
    public SuggestionFacts {
      loincCodes = List.copyOf(loincCodes);
    }
  }
}
