package org.mineralcds.rules;

import java.math.BigDecimal;

/** One side of a band condition: the applicable reference range, or a fixed decision limit. */
public sealed interface Threshold {

  /** The lab's range, else its flag, else the default adult range. */
  record Range() implements Threshold {}

  /** A decision limit in the analyte's canonical unit. */
  record Value(BigDecimal limit) implements Threshold {}

  /**
   * A multiple of the upper limit of the range used (the lab's, else the default): "CK over 10
   * times the upper limit" holds whatever the lab's CK range is.
   */
  record UpperLimitMultiple(BigDecimal factor) implements Threshold {}

  static Threshold parse(String text) {
    if ("range".equals(text)) {
      return new Range();
    }
    return new Value(new BigDecimal(text));
  }
}
