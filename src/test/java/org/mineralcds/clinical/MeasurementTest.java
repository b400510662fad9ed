package org.mineralcds.clinical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MeasurementTest {

  private static Measurement m(String reported) {
    for (String symbol : new String[] {"<=", ">=", "<", ">"}) {
      if (reported.startsWith(symbol)) {
        return new Measurement(
            new BigDecimal(reported.substring(symbol.length())), Comparator.fromSymbol(symbol));
      }
    }
    return Measurement.exact(reported);
  }

  private static BigDecimal d(String value) {
    return new BigDecimal(value);
  }

  @Test
  void censoredBelowALimitIsBelowIt() {
    assertThat(m("<5").isBelow(d("12"))).isTrue();
  }

  @Test
  void censoredAboveTheLimitDoesNotEstablishBelow() {
    assertThat(m("<20").isBelow(d("12"))).isFalse();
  }

  @Test
  void censoredLessThanIsNeverAtLeastALowerLimit() {
    assertThat(m("<20").isAtLeast(d("12"))).isFalse();
  }

  @Test
  void greaterThanTheLimitItselfIsAboveIt() {
    assertThat(m(">150").isAbove(d("150"))).isTrue();
  }

  @Test
  void greaterOrEqualToTheLimitIsNotAboveIt() {
    assertThat(m(">=150").isAbove(d("150"))).isFalse();
  }

  @ParameterizedTest(name = "{0} vs {1}: below={2} atLeast={3} above={4} atMost={5}")
  @CsvSource({
    // value, limit, isBelow, isAtLeast, isAbove, isAtMost
    "11.9, 12, true,  false, false, true",
    "12,   12, false, true,  false, true",
    "12.0, 12, false, true,  false, true",
    "12.1, 12, false, true,  true,  false",
    "<12,  12, true,  false, false, true",
    "<12.1,12, false, false, false, false",
    "<=12, 12, false, false, false, true",
    "<=11, 12, true,  false, false, true",
    ">12,  12, false, true,  true,  false",
    ">11,  12, false, false, false, false",
    ">=12, 12, false, true,  false, false",
    ">=13, 12, false, true,  true,  false"
  })
  void comparisonsHoldOnlyForEveryValueTheResultAdmits(
      String reported,
      String limit,
      boolean below,
      boolean atLeast,
      boolean above,
      boolean atMost) {
    Measurement measurement = m(reported);

    assertThat(measurement.isBelow(d(limit))).as("isBelow").isEqualTo(below);
    assertThat(measurement.isAtLeast(d(limit))).as("isAtLeast").isEqualTo(atLeast);
    assertThat(measurement.isAbove(d(limit))).as("isAbove").isEqualTo(above);
    assertThat(measurement.isAtMost(d(limit))).as("isAtMost").isEqualTo(atMost);
  }

  @Test
  void exactValueIsReturnedForExactMeasurements() {
    assertThat(Measurement.exact("4.2").exactValue()).isEqualByComparingTo("4.2");
    assertThat(Measurement.exact("4.2").isCensored()).isFalse();
  }

  @Test
  void exactValueThrowsForCensoredMeasurements() {
    Measurement censored = m("<5");

    assertThat(censored.isCensored()).isTrue();
    assertThatThrownBy(censored::exactValue)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("<5");
  }

  @Test
  void scalingKeepsTheComparator() {
    Measurement scaled = m("<25").scaled(UnitFactor.parse("1/2.496"));

    assertThat(scaled.comparator()).isEqualTo(Comparator.LESS_THAN);
    assertThat(scaled.value().setScale(3, java.math.RoundingMode.HALF_UP))
        .isEqualByComparingTo("10.016");
  }

  @Test
  void toStringShowsComparatorAndPlainValue() {
    assertThat(m("<5.00").toString()).isEqualTo("<5");
    assertThat(Measurement.exact("1E+2").toString()).isEqualTo("100");
    assertThat(m(">=150").toString()).isEqualTo(">=150");
  }

  @Test
  void unknownComparatorSymbolIsRejected() {
    assertThatThrownBy(() -> Comparator.fromSymbol("ad"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unitFactorParsesMultipliersAndDivisors() {
    assertThat(UnitFactor.parse("2.4305").apply(d("0.55"))).isEqualByComparingTo("1.336775");
    assertThat(UnitFactor.parse(" 1 / 88.4 ").apply(d("88.4"))).isEqualByComparingTo("1");
    assertThat(UnitFactor.IDENTITY.apply(d("3.3"))).isEqualByComparingTo("3.3");
  }

  @Test
  void unitFactorMustBePositive() {
    assertThatThrownBy(() -> UnitFactor.parse("0")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UnitFactor.parse("1/-2")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void normaliseUnitIgnoresCaseSpacesAndMicroSigns() {
    assertThat(AnalyteSpec.normaliseUnit(" \u00b5IU / mL ")).isEqualTo("uiu/ml");
    assertThat(AnalyteSpec.normaliseUnit("\u03bcIU/mL")).isEqualTo("uiu/ml");
    assertThat(AnalyteSpec.normaliseUnit("mEq/L")).isEqualTo(AnalyteSpec.normaliseUnit("meq/l"));
  }

  @Test
  void unitFactorsGiveWhatMultiplyingThenDividingInDecimal64Gives() {
    java.util.Random random = new java.util.Random(7);
    java.util.List<UnitFactor> factors =
        java.util.List.of(
            UnitFactor.IDENTITY,
            UnitFactor.parse("1"),
            UnitFactor.parse("1.0"),
            UnitFactor.parse("0.4114"),
            UnitFactor.parse("10"),
            UnitFactor.parse("1/4.008"),
            UnitFactor.parse("2.4305/1"),
            UnitFactor.parse("1/1"));
    for (int i = 0; i < 50_000; i++) {
      BigDecimal value =
          switch (i % 5) {
            case 0 -> BigDecimal.valueOf(random.nextInt(100_000), random.nextInt(6));
            case 1 -> new BigDecimal(random.nextLong()).movePointLeft(random.nextInt(25));
            case 2 -> BigDecimal.valueOf(random.nextInt(1000), -random.nextInt(4));
            case 3 -> new BigDecimal("0." + "0".repeat(random.nextInt(5)) + random.nextInt(99));
            default ->
                new BigDecimal(
                    new java.math.BigInteger(80 + random.nextInt(40), random), random.nextInt(30));
          };
      for (UnitFactor f : factors) {
        BigDecimal expected =
            value.multiply(f.multiplier()).divide(f.divisor(), java.math.MathContext.DECIMAL64);
        BigDecimal actual = f.apply(value);
        assertThat(actual.unscaledValue()).isEqualTo(expected.unscaledValue());
        assertThat(actual.scale()).isEqualTo(expected.scale());
      }
    }
  }

  @Test
  void unitSpellingsAreNormalisedAsTrimmingDroppingSpacesAndLoweringDo() {
    java.util.Random random = new java.util.Random(3);
    String alphabet = "mgdLlUuIiK /%*0123456789\t\u00b5\u03bc\u00c9\u0130.^[]{}";
    java.util.List<String> units =
        new java.util.ArrayList<>(
            java.util.List.of("", " ", "mmol/L", " mg/dL ", "\u00b5mol/L", "\u03bcIU/mL", "x\ty"));
    for (int i = 0; i < 20_000; i++) {
      StringBuilder unit = new StringBuilder();
      for (int k = random.nextInt(9); k > 0; k--) {
        unit.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      units.add(unit.toString());
    }
    for (String unit : units) {
      assertThat(AnalyteSpec.normaliseUnit(unit))
          .isEqualTo(
              unit.trim()
                  .replace('\u00b5', 'u')
                  .replace('\u03bc', 'u')
                  .replace(" ", "")
                  .toLowerCase(java.util.Locale.ROOT));
    }
  }
}
