package org.mineralcds.rules;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.Interpretation;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabHistory;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.Limits;
import org.mineralcds.clinical.Measurement;

/**
 * Judges values against ranges and critical limits. Precedence: the lab's referenceRange, then the
 * lab's L/H/N flag, then the default adult range (never for children). Critical: the lab's LL/HH/AA
 * flag, or the configured adult critical limits.
 */
final class ValueAssessor {

  private static final Set<Interpretation> DIRECTIONAL_FLAGS =
      EnumSet.of(
          Interpretation.NORMAL,
          Interpretation.LOW,
          Interpretation.HIGH,
          Interpretation.CRITICAL_LOW,
          Interpretation.CRITICAL_HIGH);

  private final LabCatalog catalog;
  private final CalciumPolicy calcium;

  ValueAssessor(LabCatalog catalog, CalciumPolicy calcium) {
    this.catalog = catalog;
    this.calcium = calcium;
  }

  AssessedValue assess(LabResult result, boolean child) {
    return assess(result, null, child);
  }

  private AssessedValue assess(LabResult result, CalciumMeasure measure, boolean child) {
    AnalyteSpec spec = catalog.spec(result.analyte());
    RangeUsed range;
    if (result.labRange() != null) {
      range = new RangeUsed(result.labRange(), RangeUsed.Origin.LAB_RANGE, null);
    } else if (result.flags().stream().anyMatch(DIRECTIONAL_FLAGS::contains)) {
      range = new RangeUsed(null, RangeUsed.Origin.LAB_FLAG, null);
    } else if (!child && spec.defaultRange() != null) {
      range =
          new RangeUsed(
              spec.defaultRange().asRange(),
              RangeUsed.Origin.DEFAULT,
              spec.defaultRange().source());
    } else {
      range = null;
    }
    String unit = result.reportedUnit() == null ? spec.canonicalUnit() : result.reportedUnit();
    return new AssessedValue(
        result.analyte(),
        measure,
        result.value(),
        spec.canonicalUnit(),
        result.reportedValue(),
        unit,
        result.effective(),
        result.effectiveIsDateOnly(),
        result.status().isPreliminary(),
        range,
        child ? null : spec.criticalLimits(),
        result.flags(),
        List.of(result));
  }

  /** Ionized calcium first, else albumin-corrected total calcium, else total calcium. */
  Optional<AssessedValue> assessCalcium(LabHistory history, boolean child, Instant now) {
    Optional<LabResult> ionized = history.latest(Analyte.CALCIUM_IONIZED);
    Optional<LabResult> total = history.latest(Analyte.CALCIUM_TOTAL);
    if (ionized.isPresent()) {
      Instant ionizedAt = ionized.get().effective();
      boolean recent =
          !ionizedAt.isBefore(now.minus(Duration.ofDays(calcium.preferIonizedWithinDays())));
      boolean notOlderThanTotal =
          total.isEmpty() || !ionizedAt.isBefore(total.get().effective().minus(Duration.ofDays(1)));
      if (recent && notOlderThanTotal || total.isEmpty()) {
        return Optional.of(assess(ionized.get(), CalciumMeasure.IONIZED, child));
      }
    }
    if (total.isEmpty()) {
      return Optional.empty();
    }
    LabResult totalResult = total.get();
    Optional<LabResult> albumin =
        history.nearest(
            Analyte.ALBUMIN, totalResult.effective(), calcium.albuminWithinHours() * 3600L);
    if (albumin.isPresent()
        && !albumin.get().value().isCensored()
        && !totalResult.value().isCensored()
        && albumin.get().value().isBelow(calcium.correctWhenAlbuminBelow())) {
      return Optional.of(corrected(totalResult, albumin.get(), child));
    }
    return Optional.of(assess(totalResult, CalciumMeasure.TOTAL, child));
  }

  private AssessedValue corrected(LabResult total, LabResult albumin, boolean child) {
    BigDecimal correctedValue =
        total
            .value()
            .exactValue()
            .add(
                calcium
                    .factorPerGramPerDeciliter()
                    .multiply(calcium.referenceAlbumin().subtract(albumin.value().exactValue())));
    AssessedValue asTotal = assess(total, CalciumMeasure.CORRECTED, child);
    RangeUsed range = asTotal.range();
    if (range != null && range.origin() == RangeUsed.Origin.LAB_FLAG) {
      // The lab's flag judged the uncorrected value; fall back to the default range.
      AnalyteSpec spec = catalog.spec(Analyte.CALCIUM_TOTAL);
      range =
          child || spec.defaultRange() == null
              ? null
              : new RangeUsed(
                  spec.defaultRange().asRange(),
                  RangeUsed.Origin.DEFAULT,
                  spec.defaultRange().source());
    }
    return new AssessedValue(
        Analyte.CALCIUM_TOTAL,
        CalciumMeasure.CORRECTED,
        Measurement.exact(correctedValue),
        asTotal.canonicalUnit(),
        correctedValue.setScale(1, RoundingMode.HALF_UP).toPlainString(),
        asTotal.canonicalUnit(),
        total.effective(),
        total.effectiveIsDateOnly(),
        total.status().isPreliminary() || albumin.status().isPreliminary(),
        range,
        asTotal.critical(),
        Set.of(),
        List.of(total, albumin));
  }

  Position position(AssessedValue v) {
    RangeUsed used = v.range();
    if (used == null) {
      return Position.UNKNOWN;
    }
    if (used.origin() == RangeUsed.Origin.LAB_FLAG) {
      Set<Interpretation> f = v.flags();
      if (f.contains(Interpretation.LOW) || f.contains(Interpretation.CRITICAL_LOW)) {
        return Position.BELOW;
      }
      if (f.contains(Interpretation.HIGH) || f.contains(Interpretation.CRITICAL_HIGH)) {
        return Position.ABOVE;
      }
      return f.contains(Interpretation.NORMAL) ? Position.WITHIN : Position.UNKNOWN;
    }
    BigDecimal low = used.range().low();
    BigDecimal high = used.range().high();
    Limits margins = catalog.spec(v.analyte()).borderline();
    if (used.origin() == RangeUsed.Origin.DEFAULT && margins != null) {
      // Without the lab's own range, a value this close to a default limit is within the range
      // of many laboratories: it is not called abnormal.
      low = low == null || margins.low() == null ? low : low.subtract(margins.low());
      high = high == null || margins.high() == null ? high : high.add(margins.high());
    }
    Measurement m = v.value();
    if (low != null && m.isBelow(low)) {
      return Position.BELOW;
    }
    if (high != null && m.isAbove(high)) {
      return Position.ABOVE;
    }
    boolean aboveLow = low == null || m.isAtLeast(low);
    boolean belowHigh = high == null || m.isAtMost(high);
    return aboveLow && belowHigh ? Position.WITHIN : Position.UNKNOWN;
  }

  Optional<Direction> criticalDirection(AssessedValue v) {
    Set<Interpretation> f = v.flags();
    if (f.contains(Interpretation.CRITICAL_LOW)) {
      return Optional.of(Direction.LOW);
    }
    if (f.contains(Interpretation.CRITICAL_HIGH)) {
      return Optional.of(Direction.HIGH);
    }
    if (f.contains(Interpretation.CRITICAL_ABNORMAL)) {
      Position p = position(v);
      if (p == Position.BELOW) {
        return Optional.of(Direction.LOW);
      }
      if (p == Position.ABOVE) {
        return Optional.of(Direction.HIGH);
      }
    }
    if (v.critical() != null) {
      if (v.critical().low() != null && v.value().isBelow(v.critical().low())) {
        return Optional.of(Direction.LOW);
      }
      if (v.critical().high() != null && v.value().isAbove(v.critical().high())) {
        return Optional.of(Direction.HIGH);
      }
    }
    return Optional.empty();
  }
}
