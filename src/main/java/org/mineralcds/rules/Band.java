package org.mineralcds.rules;

import java.util.List;
import org.mineralcds.clinical.Direction;

/**
 * One rule: a condition on an analyte's latest result and the card it produces.
 *
 * @param when the condition on the value; null for a {@link TrendRule}, whose condition is a change
 * @param indicatorWithDrug indicator when a current drug explains the abnormality, or null
 * @param drugEffect the direction of drug effect that would explain this finding, or null
 */
public record Band(
    String id,
    When when,
    int lookbackDays,
    String topic,
    Indicator indicator,
    Indicator indicatorWithDrug,
    Direction drugEffect,
    boolean appliesToChildren,
    String summary,
    String meaning,
    String action,
    List<Suggest> suggest,
    List<Citation> sources,
    String review) {

  public Band {
    suggest = List.copyOf(suggest);
    sources = List.copyOf(sources);
  }
}
