package org.mineralcds.rules;

/** Card urgency, in the order cards are returned. */
public enum Indicator {
  CRITICAL("critical"),
  WARNING("warning"),
  INFO("info");

  private final String code;

  Indicator(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static Indicator fromCode(String code) {
    for (Indicator i : values()) {
      if (i.code.equals(code)) {
        return i;
      }
    }
    throw new IllegalArgumentException("unknown indicator '" + code + "' (critical|warning|info)");
  }
}
