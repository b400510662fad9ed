package org.mineralcds.rules;

import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.Direction;

/**
 * A band's condition; every part that is present must hold. Absent parts are null (or an empty set
 * for measures).
 *
 * @param hemolyzed true: holds only for a result from a specimen the lab marked hemolyzed (of an
 *     analyte hemolysis raises); null: the usual rule applies, under which such a result satisfies
 *     only conditions on the low side (hemolysis cannot have lowered it)
 * @param withoutSameDraw holds only when no result of this analyte comes from the same draw (within
 *     the calcium policy's albumin window), e.g. total calcium without albumin; null = not checked
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
    Companion companion,
    Boolean hemolyzed,
    Analyte withoutSameDraw) {

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
