package org.mineralcds.clinical;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Objects;

/**
 * Converts a value to an analyte's canonical unit: multiply, or divide by an exact molar-mass
 * factor ("1/4.008"), so the published constant is used as written rather than a rounded inverse.
 */
public record UnitFactor(BigDecimal multiplier, BigDecimal divisor) {

  public static final UnitFactor IDENTITY = new UnitFactor(BigDecimal.ONE, BigDecimal.ONE);

  private static final int DIGITS = MathContext.DECIMAL64.getPrecision();

  public UnitFactor {
    Objects.requireNonNull(multiplier, "multiplier");
    Objects.requireNonNull(divisor, "divisor");
    if (multiplier.signum() <= 0 || divisor.signum() <= 0) {
      throw new IllegalArgumentException("unit factors must be positive");
    }
  }

  /** Parses "2.4305" (multiply) or "1/4.008" (divide). */
  public static UnitFactor parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    if (slash < 0) {
      return new UnitFactor(new BigDecimal(t), BigDecimal.ONE);
    }
    return new UnitFactor(
        new BigDecimal(t.substring(0, slash).trim()),
        new BigDecimal(t.substring(slash + 1).trim()));
  }

  public BigDecimal apply(BigDecimal value) {
    BigDecimal product = value.multiply(multiplier);
    if (divisor.equals(BigDecimal.ONE) && product.precision() <= DIGITS) {
      // Dividing by one is exact within the context's digits and keeps the dividend's scale (the
      // preferred one): the same number, without the division's work (most units convert so).
      return product;
    }
    return product.divide(divisor, MathContext.DECIMAL64);
  }
}
