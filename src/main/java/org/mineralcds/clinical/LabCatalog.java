package org.mineralcds.clinical;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** LOINC families and unit knowledge for every {@link Analyte}; built from analytes.yaml. */
public final class LabCatalog {

  public static final String LOINC_SYSTEM = "http://loinc.org";

  private final Map<Analyte, AnalyteSpec> specs;
  private final Map<String, LoincEntry> byCode;

  public LabCatalog(Map<Analyte, AnalyteSpec> specs, List<LoincEntry> codes) {
    this.specs = new EnumMap<>(specs);
    Map<String, LoincEntry> index = new LinkedHashMap<>();
    for (LoincEntry entry : codes) {
      if (index.putIfAbsent(entry.code(), entry) != null) {
        throw new IllegalArgumentException("LOINC code listed twice: " + entry.code());
      }
    }
    this.byCode = index;
    for (Analyte analyte : Analyte.values()) {
      if (!this.specs.containsKey(analyte)) {
        throw new IllegalArgumentException("no data for analyte " + analyte.key());
      }
    }
  }

  public AnalyteSpec spec(Analyte analyte) {
    return specs.get(analyte);
  }

  public Optional<LoincEntry> entry(String loincCode) {
    return Optional.ofNullable(byCode.get(loincCode));
  }

  /** Codes of the analyte's family, in priority order. */
  public List<String> codesOf(Analyte analyte) {
    return byCode.values().stream()
        .filter(e -> e.analyte() == analyte)
        .map(LoincEntry::code)
        .toList();
  }

  public List<LoincEntry> entries() {
    return List.copyOf(byCode.values());
  }
}
