package org.mineralcds.rules;

import java.util.Set;
import org.mineralcds.clinical.Direction;

/**
 * A band's condition; every part that is present must hold. Absent parts are null (or an empty set
 * for measures).
 */
public record When(
    Direction critical,
    Threshold below,
    Threshold atLeast,
    Threshold above,
    Threshold atMost,
    Threshold notAbove,
    Threshold notBelow,
    Set<CalciumMeasure> measures,
    Companion companion) {

  public When {
    measures = Set.copyOf(measures);
    if (critical == null
        && below == null
        && atLeast == null
        && above == null
        && atMost == null
        && notAbove == null
        && notBelow == null) {
      throw new IllegalArgumentException(
          "a condition needs critical, below, atLeast, above, atMost, notAbove or notBelow");
    }
  }
}
