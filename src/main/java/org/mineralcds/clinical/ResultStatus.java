package org.mineralcds.clinical;

/** Observation statuses that carry a usable result; all others are dropped at the boundary. */
public enum ResultStatus {
  FINAL,
  AMENDED,
  CORRECTED,
  PRELIMINARY;

  public boolean isPreliminary() {
    return this == PRELIMINARY;
  }
}
