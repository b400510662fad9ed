package org.mineralcds.clinical;

import java.util.Optional;

/** The lab's own flag on a result (HL7 v3 ObservationInterpretation / v2 table 0078). */
public enum Interpretation {
  NORMAL,
  LOW,
  HIGH,
  CRITICAL_LOW,
  CRITICAL_HIGH,
  ABNORMAL,
  CRITICAL_ABNORMAL;

  public static Optional<Interpretation> fromCode(String code) {
    return Optional.ofNullable(
        switch (code) {
          case "N" -> NORMAL;
          case "L", "LU" -> LOW;
          case "H", "HU" -> HIGH;
          case "LL" -> CRITICAL_LOW;
          case "HH" -> CRITICAL_HIGH;
          case "A" -> ABNORMAL;
          case "AA" -> CRITICAL_ABNORMAL;
          default -> null;
        });
  }
}
