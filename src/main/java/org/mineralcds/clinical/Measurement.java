package org.mineralcds.clinical;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * A numeric result, possibly censored ("<5"). Comparisons are censor-aware: they answer true only
 * when every value the censored interval admits satisfies them, so "<20" never establishes "below
 * 12". Censored values must never enter arithmetic; {@link #exactValue()} refuses them.
 */
public record Measurement(BigDecimal value, Comparator comparator) {

  public Measurement {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(comparator, "comparator");
  }

  public static Measurement exact(BigDecimal value) {
    return new Measurement(value, Comparator.EXACT);
  }

  public static Measurement exact(String value) {
    return exact(new BigDecimal(value));
  }

  public boolean isCensored() {
    return comparator != Comparator.EXACT;
  }

  /** The value for arithmetic; throws for censored values, which must not be computed with. */
  public BigDecimal exactValue() {
    if (isCensored()) {
      throw new IllegalStateException("censored value " + this + " used in arithmetic");
    }
    return value;
  }

  public Measurement scaled(UnitFactor factor) {
    return new Measurement(factor.apply(value), comparator);
  }

  public boolean isBelow(BigDecimal limit) {
    int c = value.compareTo(limit);
    return switch (comparator) {
      case EXACT, LESS_OR_EQUAL -> c < 0;
      case LESS_THAN -> c <= 0;
      case GREATER_OR_EQUAL, GREATER_THAN -> false;
    };
  }

  public boolean isAtLeast(BigDecimal limit) {
    int c = value.compareTo(limit);
    return switch (comparator) {
      case EXACT, GREATER_OR_EQUAL, GREATER_THAN -> c >= 0;
      case LESS_THAN, LESS_OR_EQUAL -> false;
    };
  }

  public boolean isAbove(BigDecimal limit) {
    int c = value.compareTo(limit);
    return switch (comparator) {
      case EXACT, GREATER_OR_EQUAL -> c > 0;
      case GREATER_THAN -> c >= 0;
      case LESS_THAN, LESS_OR_EQUAL -> false;
    };
  }

  public boolean isAtMost(BigDecimal limit) {
    int c = value.compareTo(limit);
    return switch (comparator) {
      case EXACT, LESS_OR_EQUAL, LESS_THAN -> c <= 0;
      case GREATER_OR_EQUAL, GREATER_THAN -> false;
    };
  }

  @Override
  public String toString() {
    return comparator.symbol() + value.stripTrailingZeros().toPlainString();
  }
}
