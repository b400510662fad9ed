package org.mineralcds.rules;

import java.util.List;
import java.util.Set;
import org.mineralcds.clinical.Analyte;

/**
 * Two or more low values with one mechanism (low magnesium makes potassium and calcium fall and
 * resist correction): when each of them has its own card in a response, every one of those cards
 * says so, naming a drug class they share as the likely common cause.
 *
 * @param low the analytes whose cards are linked (calcium: total or ionized)
 * @param note the sentence added to each linked card
 */
public record LinkRule(String id, Set<Analyte> low, String note, List<Citation> sources) {

  public LinkRule {
    low = Set.copyOf(low);
    sources = List.copyOf(sources);
  }
}
