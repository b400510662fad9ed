package org.mineralcds.clinical;

import java.util.Arrays;
import java.util.Optional;

/** The lab analytes the service reasons about; their codes, units and ranges are data. */
public enum Analyte {
  POTASSIUM("potassium"),
  MAGNESIUM("magnesium"),
  CALCIUM_TOTAL("calcium-total"),
  CALCIUM_IONIZED("calcium-ionized"),
  ALBUMIN("albumin"),
  PHOSPHATE("phosphate"),
  CREATININE("creatinine"),
  EGFR("egfr"),
  PTH("pth"),
  TSH("tsh"),
  FREE_T4("free-t4"),
  VITAMIN_D("vitamin-d"),
  CK("ck");

  private final String key;

  Analyte(String key) {
    this.key = key;
  }

  /** The identifier used in the knowledge files. */
  public String key() {
    return key;
  }

  public static Optional<Analyte> fromKey(String key) {
    return Arrays.stream(values()).filter(a -> a.key.equals(key)).findFirst();
  }
}
