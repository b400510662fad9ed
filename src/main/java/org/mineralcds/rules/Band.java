package org.mineralcds.rules;

import java.util.List;
import java.util.Set;
import org.mineralcds.clinical.Direction;

/**
 * One rule: a condition on an analyte's latest result and the card it produces.
 *
 * @param when the condition on the value; null for a {@link TrendRule}, whose condition is a change
 * @param indicatorWithDrug indicator when a current drug explains the abnormality, or null
 * @param drugEffect the direction of drug effect that would explain this finding, or null
 * @param requiresConditions condition set ids of which one must be coded (e.g. pregnancy); empty =
 *     none needed
 * @param managedWhenCoded condition set ids that mark the abnormality as known and managed: with
 *     one coded, the card is not repeated while the value stays in the same band and has not
 *     worsened by more than {@link #MANAGED_WORSENING}
 * @param unlessConditions condition set ids that silence the band when one is coded (e.g. the
 *     general PTH bands on dialysis, where the KDIGO target replaces the lab range)
 * @param rationale why the rule exists and why its thresholds are what they are, in a few sentences
 *     readable without the cited sources; null when not written yet
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
    String review,
    Set<String> requiresConditions,
    Set<String> managedWhenCoded,
    Set<String> unlessConditions,
    String rationale) {

  /** A managed problem is re-alerted when the value moves this fraction further from normal. */
  public static final java.math.BigDecimal MANAGED_WORSENING = new java.math.BigDecimal("0.10");

  public Band {
    suggest = List.copyOf(suggest);
    sources = List.copyOf(sources);
    requiresConditions = Set.copyOf(requiresConditions);
    managedWhenCoded = Set.copyOf(managedWhenCoded);
    unlessConditions = Set.copyOf(unlessConditions);
  }
}
