package org.mineralcds.clinical;

import java.math.BigDecimal;

/**
 * Low/high limits (either may be null) in canonical units, with the citation key they come from.
 */
public record Limits(BigDecimal low, BigDecimal high, String source) {

  public ReferenceRange asRange() {
    return new ReferenceRange(low, high);
  }
}
