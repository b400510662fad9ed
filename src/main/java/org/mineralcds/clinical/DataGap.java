package org.mineralcds.clinical;

/** Context data that could not be obtained; cards say so instead of failing the call. */
public enum DataGap {
  PATIENT("patient demographics (adult reference ranges assumed)"),
  MEDICATIONS("the medication list (drug causes could not be checked)"),
  CONDITIONS("the problem list"),
  PENDING_ORDERS("pending lab orders (suggested tests may already be ordered)");

  private final String description;

  DataGap(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }
}
