package org.mineralcds.rules;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.Interpretation;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.Limits;
import org.mineralcds.clinical.Measurement;

/**
 * A value ready to be judged: a lab result, or a value derived from several (albumin-corrected
 * calcium).
 *
 * @param measure which calcium value this is, or null for other analytes
 * @param value in the analyte's canonical unit
 * @param displayValue and displayUnit as the clinician should read them (the lab's own unit for
 *     reported values)
 * @param range the range used, or null when none applies (e.g. a child without a lab range)
 * @param critical the critical limits that apply, or null
 * @param flags the lab's flags (empty for derived values: they described the raw value)
 * @param basis the results this value comes from, the primary result first
 */
public record AssessedValue(
    Analyte analyte,
    CalciumMeasure measure,
    Measurement value,
    String canonicalUnit,
    String displayValue,
    String displayUnit,
    Instant effective,
    boolean effectiveIsDateOnly,
    boolean preliminary,
    RangeUsed range,
    Limits critical,
    Set<Interpretation> flags,
    List<LabResult> basis) {

  public AssessedValue {
    flags = Set.copyOf(flags);
    basis = List.copyOf(basis);
  }

  public LabResult primary() {
    return basis.get(0);
  }
}
