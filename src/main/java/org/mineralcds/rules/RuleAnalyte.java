package org.mineralcds.rules;

import java.util.Optional;
import org.mineralcds.clinical.Analyte;

/**
 * What a rule looks at: one lab analyte, or calcium, which is resolved to ionized,
 * albumin-corrected or total calcium per {@link CalciumPolicy}.
 */
public sealed interface RuleAnalyte {

  record Single(Analyte analyte) implements RuleAnalyte {}

  record Calcium() implements RuleAnalyte {}

  static RuleAnalyte parse(String key) {
    if ("calcium".equals(key)) {
      return new Calcium();
    }
    Optional<Analyte> analyte = Analyte.fromKey(key);
    return new Single(
        analyte.orElseThrow(() -> new IllegalArgumentException("unknown analyte '" + key + "'")));
  }
}
