package org.mineralcds.rules;

/** Which calcium value a calcium card is about. */
public enum CalciumMeasure {
  IONIZED("ionized"),
  CORRECTED("albumin-corrected"),
  TOTAL("total");

  private final String label;

  CalciumMeasure(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static CalciumMeasure fromKey(String key) {
    return switch (key) {
      case "ionized" -> IONIZED;
      case "corrected" -> CORRECTED;
      case "total" -> TOTAL;
      default ->
          throw new IllegalArgumentException(
              "unknown calcium measure '" + key + "' (ionized|corrected|total)");
    };
  }
}
