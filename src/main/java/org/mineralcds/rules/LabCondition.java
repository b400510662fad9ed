package org.mineralcds.rules;

import java.math.BigDecimal;
import java.util.Set;

/**
 * A condition on the latest result of one analyte within a window: against its range ({@code
 * position} above or below, the range the lab sent or the default) or a fixed limit in the
 * analyte's canonical unit ({@code below}, {@code atLeast}).
 *
 * @param analyte an analytes.yaml key, or {@code calcium} (ionized, else albumin-corrected, else
 *     total, as the patient-view rules judge it)
 * @param position ABOVE or BELOW, or null when a fixed limit is given
 * @param orConditions condition sets (conditions.yaml) that satisfy the condition without a value
 *     (dialysis for advanced CKD)
 */
public record LabCondition(
    String analyte,
    Position position,
    BigDecimal below,
    BigDecimal atLeast,
    int withinDays,
    Set<String> orConditions) {

  public LabCondition {
    orConditions = OrderRule.ordered(orConditions);
  }

  /** The calcium measure rather than a single analyte. */
  public boolean calcium() {
    return "calcium".equals(analyte);
  }
}
