package org.mineralcds.clinical;

import java.math.BigDecimal;

/** A low/high interval in an analyte's canonical unit; either end may be absent (null). */
public record ReferenceRange(BigDecimal low, BigDecimal high) {

  public ReferenceRange {
    if (low == null && high == null) {
      throw new IllegalArgumentException("a range needs a low or a high limit");
    }
    if (low != null && high != null && low.compareTo(high) > 0) {
      throw new IllegalArgumentException("range low " + low + " is above high " + high);
    }
  }

  public ReferenceRange scaled(UnitFactor factor) {
    return new ReferenceRange(
        low == null ? null : factor.apply(low), high == null ? null : factor.apply(high));
  }
}
