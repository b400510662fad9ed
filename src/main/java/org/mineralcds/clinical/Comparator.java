package org.mineralcds.clinical;

/** How a reported number relates to the true value ({@code Quantity.comparator} in FHIR). */
public enum Comparator {
  EXACT(""),
  LESS_THAN("<"),
  LESS_OR_EQUAL("<="),
  GREATER_OR_EQUAL(">="),
  GREATER_THAN(">");

  private final String symbol;

  Comparator(String symbol) {
    this.symbol = symbol;
  }

  public String symbol() {
    return symbol;
  }

  public static Comparator fromSymbol(String symbol) {
    for (Comparator c : values()) {
      if (c.symbol.equals(symbol)) {
        return c;
      }
    }
    throw new IllegalArgumentException("Unknown comparator: " + symbol);
  }
}
