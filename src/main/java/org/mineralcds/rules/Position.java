package org.mineralcds.rules;

/**
 * Where a value lies against its range. UNKNOWN when no range applies or a censored value straddles
 * it.
 */
public enum Position {
  BELOW,
  WITHIN,
  ABOVE,
  UNKNOWN
}
