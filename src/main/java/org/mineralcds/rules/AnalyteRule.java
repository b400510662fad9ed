package org.mineralcds.rules;

import java.util.List;
import org.mineralcds.clinical.Analyte;

/**
 * The ordered bands of one analyte: the first band that holds wins, so an analyte yields at most
 * one card.
 *
 * @param effectKey the key drug classes use for this analyte's effects
 * @param context analytes whose latest values are shown on the card
 */
public record AnalyteRule(
    RuleAnalyte analyte, String effectKey, List<Analyte> context, List<Band> bands) {

  public AnalyteRule {
    context = List.copyOf(context);
    bands = List.copyOf(bands);
  }
}
