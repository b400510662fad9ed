package org.mineralcds.rules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.Analyte;

/**
 * A rule over several analytes (e.g. calcium with PTH and eGFR) that explains a clinical problem in
 * one card, replacing the single-analyte cards it explains.
 *
 * @param band the card and the primary analyte's condition and lookback
 * @param others the other inputs' conditions; each is judged on the result nearest the primary's
 *     collection time, within {@code withinDays}
 * @param missingAllowed inputs whose absence does not stop the pattern (their condition is then
 *     skipped)
 * @param replaces single-analyte topics this pattern explains: their cards are dropped and their
 *     suggested tests offered on the pattern's card
 * @param requiresDrugClasses drug class ids of which {@code minDrugClasses} different ones must be
 *     on the active medication list; empty = no drug needed
 * @param takesSuggestions whether the tests the replaced cards would suggest move to this card (not
 *     when they make no sense in this reading, e.g. creatinine on dialysis)
 * @param yieldsTo single-analyte topics (or single-analyte rule ids) that take precedence: when one
 *     of them fired (e.g. a critical value), this pattern stays silent
 */
public record PatternRule(
    Band band,
    RuleAnalyte primary,
    String effectKey,
    Map<RuleAnalyte, When> others,
    Set<RuleAnalyte> missingAllowed,
    int withinDays,
    Set<String> replaces,
    List<Analyte> context,
    Set<String> requiresDrugClasses,
    int minDrugClasses,
    Set<String> yieldsTo,
    boolean takesSuggestions) {

  public PatternRule {
    yieldsTo = Set.copyOf(yieldsTo);
    others = Collections.unmodifiableMap(new LinkedHashMap<>(others));
    missingAllowed = Set.copyOf(missingAllowed);
    replaces = Set.copyOf(replaces);
    context = List.copyOf(context);
    requiresDrugClasses = Set.copyOf(requiresDrugClasses);
  }

  /** The placeholder name of an input in card wording: vitamin-d becomes vitaminD. */
  public static String placeholder(RuleAnalyte input) {
    String key = input instanceof RuleAnalyte.Single s ? s.analyte().key() : "calcium";
    StringBuilder name = new StringBuilder();
    boolean upper = false;
    for (char c : key.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        name.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return name.toString();
  }
}
