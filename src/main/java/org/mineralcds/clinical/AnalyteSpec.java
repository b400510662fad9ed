package org.mineralcds.clinical;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the service knows about one analyte: its display name, canonical unit, accepted unit
 * spellings with their factors, and the fallback limits.
 *
 * @param units normalised unit spelling (see {@link #normaliseUnit}) to factor
 * @param defaultRange fallback adult interval, or null when the analyte has none
 * @param criticalLimits institution-configurable critical limits, or null
 * @param borderline margins below the default range's low limit and above its high limit (either
 *     may be null) within which a value judged against the default range is read as within it:
 *     laboratories' own limits differ by that much; null when none is configured
 * @param hemolysisRaises hemolysis falsely raises the value (potassium, magnesium, phosphate): a
 *     high result from a hemolyzed specimen is not trusted
 */
public record AnalyteSpec(
    Analyte analyte,
    String name,
    String canonicalUnit,
    Map<String, UnitFactor> units,
    Limits defaultRange,
    Limits criticalLimits,
    Limits borderline,
    boolean hemolysisRaises) {

  public AnalyteSpec {
    units = Map.copyOf(units);
  }

  /** An analyte without borderline margins, not affected by hemolysis. */
  public AnalyteSpec(
      Analyte analyte,
      String name,
      String canonicalUnit,
      Map<String, UnitFactor> units,
      Limits defaultRange,
      Limits criticalLimits) {
    this(analyte, name, canonicalUnit, units, defaultRange, criticalLimits, null, false);
  }

  /** The factor to canonical units for a unit spelling, if the spelling is known. */
  public Optional<UnitFactor> factorFor(String unit) {
    if (unit == null || unit.isBlank()) {
      return Optional.empty();
    }
    return Optional.ofNullable(units.get(normaliseUnit(unit)));
  }

  /** Case-insensitive, spaces removed, micro sign read as "u": "µIU/mL" and "uiu/ml" match. */
  public static String normaliseUnit(String unit) {
    // One pass for the ASCII spellings labs send ("mmol/L", "mg/dL"): trimmed, spaces dropped,
    // A-Z lowered, exactly what the chain below gives; anything else goes through the chain.
    int start = 0;
    int end = unit.length();
    while (start < end && unit.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && unit.charAt(end - 1) <= ' ') {
      end--;
    }
    char[] out = new char[end - start];
    int length = 0;
    for (int i = start; i < end; i++) {
      char c = unit.charAt(i);
      if (c >= 0x80) {
        return normaliseAnyUnit(unit);
      }
      if (c != ' ') {
        out[length++] = c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
      }
    }
    return new String(out, 0, length);
  }

  private static String normaliseAnyUnit(String unit) {
    return unit.trim()
        .replace('\u00b5', 'u')
        .replace('\u03bc', 'u')
        .replace(" ", "")
        .toLowerCase(Locale.ROOT);
  }
}
