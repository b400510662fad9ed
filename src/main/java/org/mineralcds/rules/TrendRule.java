package org.mineralcds.rules;

import java.math.BigDecimal;
import java.util.List;
import org.mineralcds.clinical.Analyte;

/**
 * A clinically meaningful change between an analyte's last two usable results: exact, final values
 * only (never censored or preliminary ones), the later within the band's look-back and the earlier
 * at most {@code withinHours} before it.
 *
 * @param band the card; its {@code when} is null, the condition being the change
 * @param minChange the absolute change, in the analyte's canonical unit, that counts
 */
public record TrendRule(
    Band band, Analyte analyte, BigDecimal minChange, int withinHours, List<Analyte> context) {

  public TrendRule {
    context = List.copyOf(context);
  }
}
