package org.mineralcds.rules;

import org.mineralcds.clinical.ReferenceRange;

/**
 * The range a value was judged against.
 *
 * @param range null when only the lab's flag was available
 * @param sourceKey citation key of a default range, null for the lab's own range or flag
 */
public record RangeUsed(ReferenceRange range, Origin origin, String sourceKey) {

  /** Where the range came from, in order of precedence. */
  public enum Origin {
    LAB_RANGE,
    LAB_FLAG,
    DEFAULT
  }
}
