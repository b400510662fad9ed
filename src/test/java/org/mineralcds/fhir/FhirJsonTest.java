package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.hook.HookJson;

/** Reading FHIR R4 primitives from the request's JSON tree. */
class FhirJsonTest {

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @ParameterizedTest
  @CsvSource({
    "2024, 2024-01-01T00:00:00Z, true",
    "2024-05, 2024-05-01T00:00:00Z, true",
    "2024-05-17, 2024-05-17T00:00:00Z, true",
    "2024-05-17T08:30:00Z, 2024-05-17T08:30:00Z, false",
    "2024-05-17T08:30:00+02:00, 2024-05-17T06:30:00Z, false",
    "2024-05-17T08:30:00-05:00, 2024-05-17T13:30:00Z, false",
    "2024-05-17T08:30:00.123Z, 2024-05-17T08:30:00.123Z, false",
    "2024-05-17T08:30:00.123456789012+00:00, 2024-05-17T08:30:00.123456789Z, false",
    "2024-05-17T08:30Z, 2024-05-17T08:30:00Z, false",
    "2024-05-17T08:30:00, 2024-05-17T08:30:00Z, false"
  })
  void readsEveryFhirDateTimeForm(String text, String instant, boolean dateOnly) throws Exception {
    FhirJson.Time time = FhirJson.time(json("{\"t\":\"" + text + "\"}"), "t", "X.t");

    assertThat(time.instant()).isEqualTo(Instant.parse(instant));
    assertThat(time.dateOnly()).isEqualTo(dateOnly);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2024-05-17T08:30:00Z",
        "2024-05-17T08:30:00.1Z",
        "2024-05-17T08:30:00.123456789Z",
        "2024-05-17T08:30:00.1234567891234-03:30",
        "2024-05-17T23:59:59+14:00",
        "2024-05-17T00:00:00-00:30",
        "2024-02-29T12:00:00+18:00",
        "0001-01-01T00:00:00-18:00"
      })
  void theDigitByDigitReaderAgreesWithTheGeneralOne(String text) {
    FhirJson.Time fast = FhirJson.fullDateTime(text, "X");

    assertThat(fast).isNotNull().isEqualTo(FhirJson.anyDateTime(text, "X"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2024-05-17",
        "2024-05-17T08:30Z",
        "2024-05-17T08:30:00",
        "2024-05-17T08:30:00.123",
        "2024-05-17T08:30:00.Z",
        "2024-05-17T08:30:00+0200",
        "2024-05-17T08:30:00 Z",
        "2024-05-17T08:3a:00Z",
        "2024/05/17T08:30:00Z",
        "2024-05-17T08:30:00Z extra"
      })
  void everyOtherFormIsLeftToTheGeneralReader(String text) {
    assertThat(FhirJson.fullDateTime(text, "X")).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2024-02-30T08:30:00Z",
        "2024-05-17T24:00:00Z",
        "2024-05-17T08:60:00Z",
        "2024-05-17T08:30:00+18:30",
        "2024-05-17T08:30:00+05:60"
      })
  void aFullDateTimeThatCannotBeIsMalformedByBothReaders(String text) {
    assertThatThrownBy(() -> FhirJson.fullDateTime(text, "X"))
        .isInstanceOf(FhirJson.Malformed.class);
    assertThatThrownBy(() -> FhirJson.anyDateTime(text, "X"))
        .isInstanceOf(FhirJson.Malformed.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "yesterday",
        "17/05/2024",
        "2024-13-01",
        "2024-02-30",
        "2024-05-17T25:00:00Z",
        "2024-05-17T08:30:00+25:00",
        "24-05-17"
      })
  void aDateTimeThatIsNotOneIsMalformedAndNamesTheElement(String text) throws Exception {
    JsonNode node = json("{\"t\":\"" + text + "\"}");

    assertThatThrownBy(() -> FhirJson.time(node, "t", "Observation.effectiveDateTime"))
        .isInstanceOf(FhirJson.Malformed.class)
        .hasMessage("Observation.effectiveDateTime is not a FHIR dateTime");
  }

  @Test
  void readingAMemberTheRequestReadersLeaveOutIsAnErrorNotSilence() throws Exception {
    JsonNode observation = json("{\"category\":[{\"text\":\"Laboratory\"}]}");

    assertThatThrownBy(() -> FhirJson.objects(observation, "category"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("'category' is left out");
    assertThatThrownBy(() -> FhirJson.text(observation, "meta")).isInstanceOf(AssertionError.class);
  }

  @Test
  void anAbsentNullOrEmptyDateTimeIsAbsent() throws Exception {
    assertThat(FhirJson.time(json("{}"), "t", "X")).isNull();
    assertThat(FhirJson.time(json("{\"t\":null}"), "t", "X")).isNull();
    assertThat(FhirJson.time(json("{\"t\":\"\"}"), "t", "X")).isNull();
  }

  @Test
  void aDateIsTheDayGiven() throws Exception {
    assertThat(FhirJson.date(json("{\"d\":\"1950-03-31\"}"), "d", "X"))
        .isEqualTo(LocalDate.of(1950, 3, 31));
    assertThat(FhirJson.date(json("{\"d\":\"1950\"}"), "d", "X"))
        .isEqualTo(LocalDate.of(1950, 1, 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.20", "0.007", "140", "1.0E+2", "\"4.10\""})
  void decimalsKeepTheSendersPrecision(String value) throws Exception {
    String expected = value.replace("\"", "");

    assertThat(FhirJson.decimal(json("{\"v\":" + value + "}"), "v", "X").toString())
        .isEqualTo(new java.math.BigDecimal(expected).toString());
  }

  @Test
  void aDecimalFromAParserWithoutExactDecimalsReadsAsPrinted() throws Exception {
    JsonNode doubles = new ObjectMapper().readTree("{\"v\":4.1}");

    assertThat(FhirJson.decimal(doubles, "v", "X").toPlainString()).isEqualTo("4.1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"abc\"", "{}", "[1]", "true"})
  void aDecimalThatIsNotOneIsMalformed(String value) throws Exception {
    JsonNode node = json("{\"v\":" + value + "}");

    assertThatThrownBy(() -> FhirJson.decimal(node, "v", "Observation.valueQuantity.value"))
        .isInstanceOf(FhirJson.Malformed.class)
        .hasMessage("Observation.valueQuantity.value is not a FHIR decimal");
  }

  @Test
  void unexpectedShapesReadAsAbsent() throws Exception {
    JsonNode node = json("{\"s\":{\"x\":1},\"a\":{\"coding\":1},\"o\":\"text\",\"e\":{}}");

    assertThat(FhirJson.text(node, "s")).isNull();
    assertThat(FhirJson.objects(node, "a")).isEmpty();
    assertThat(FhirJson.object(node, "o")).isNull();
    assertThat(FhirJson.object(node, "e")).isNull();
    assertThat(FhirJson.has(node, "e")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1E+999999999",
        "-1E-999999999",
        "1797693134862315700000000000000000000000000",
        "0.333333333333333333333333333333333333333333333",
        "\"1E+400\""
      })
  void aNumberNoLabReportsIsRefusedBeforeAnythingComputesWithIt(String value) throws Exception {
    JsonNode node = json("{\"v\":" + value + "}");

    assertThatThrownBy(() -> FhirJson.decimal(node, "v", "Observation.valueQuantity.value"))
        .isInstanceOf(FhirJson.Malformed.class)
        .hasMessage("Observation.valueQuantity.value is not a FHIR decimal within range");
  }

  @Test
  void zeroAndSmallAndLargeLabValuesAreInRange() throws Exception {
    assertThat(FhirJson.decimal(json("{\"v\":0.000}"), "v", "X")).isEqualByComparingTo("0");
    assertThat(FhirJson.decimal(json("{\"v\":0.0001}"), "v", "X")).isEqualByComparingTo("0.0001");
    assertThat(FhirJson.decimal(json("{\"v\":250000}"), "v", "X")).isEqualByComparingTo("250000");
  }

  @Test
  void writesInstantsExactlyAsInstantToString() {
    java.util.List<Instant> instants =
        new java.util.ArrayList<>(
            java.util.List.of(
                Instant.EPOCH,
                Instant.parse("2024-05-17T08:30:00Z"),
                Instant.parse("2024-05-17T08:30:00.100Z"),
                Instant.parse("2024-05-17T08:30:00.000100Z"),
                Instant.parse("2024-05-17T08:30:00.000000100Z"),
                Instant.parse("2024-02-29T23:59:59.999999999Z"),
                Instant.parse("1969-12-31T23:59:59.5Z"),
                Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("0000-01-01T00:00:00Z").minusNanos(1),
                Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z").plusNanos(1),
                Instant.parse("0999-03-01T01:02:03Z"),
                Instant.MIN,
                Instant.MAX));
    java.util.Random random = new java.util.Random(12);
    for (int i = 0; i < 20_000; i++) {
      long seconds = random.nextLong() % 300_000_000_000L;
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1000;
            default -> random.nextInt(1_000_000_000);
          };
      instants.add(Instant.ofEpochSecond(seconds, nanos));
    }
    for (Instant instant : instants) {
      assertThat(FhirJson.instantText(instant)).isEqualTo(instant.toString());
    }
  }
}
