package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PrefetchTemplateTest {

  private static final LocalDate TODAY = LocalDate.of(2026, 11, 20);

  private static ObjectNode context() {
    ObjectNode context = JsonNodeFactory.instance.objectNode();
    context.put("userId", "Practitioner/abc");
    context.put("patientId", "1288992");
    context.put("encounterId", "89284");
    return context;
  }

  private static String render(String template) {
    return PrefetchTemplate.render(template, context(), TODAY);
  }

  @Test
  void contextTokenIsReplacedByTheContextValue() {
    assertThat(render("Patient/{{context.patientId}}")).isEqualTo("Patient/1288992");
    assertThat(render("Encounter/{{ context.encounterId }}")).isEqualTo("Encounter/89284");
  }

  @Test
  void numericContextValueIsRenderedAsText() {
    ObjectNode context = context().put("patientId", 42);

    assertThat(PrefetchTemplate.render("Patient/{{context.patientId}}", context, TODAY))
        .isEqualTo("Patient/42");
  }

  @Test
  void todayTokenIsTheGivenDate() {
    assertThat(render("Observation?date={{today()}}")).isEqualTo("Observation?date=2026-11-20");
  }

  @Test
  void todayMinusDaysIsComputedFromTheGivenDate() {
    assertThat(render("Observation?date=gt{{today() - 400 days}}"))
        .isEqualTo("Observation?date=gt2025-10-16");
    assertThat(render("Observation?date=gt{{today() - 1 day}}"))
        .isEqualTo("Observation?date=gt2026-11-19");
    assertThat(render("Observation?date=lt{{today() + 7 days}}"))
        .isEqualTo("Observation?date=lt2026-11-27");
    assertThat(render("Observation?date=gt{{today()-730days}}"))
        .isEqualTo("Observation?date=gt2024-11-20");
  }

  @Test
  void userPractitionerIdIsTakenFromUserId() {
    assertThat(render("Practitioner/{{userPractitionerId}}")).isEqualTo("Practitioner/abc");
  }

  @Test
  void userTokenOfAnotherResourceTypeIsNotResolved() {
    ObjectNode context = context().put("userId", "PractitionerRole/xyz");

    assertThat(
            PrefetchTemplate.render("PractitionerRole/{{userPractitionerRoleId}}", context, TODAY))
        .isEqualTo("PractitionerRole/xyz");
    assertThatThrownBy(
            () -> PrefetchTemplate.render("Practitioner/{{userPractitionerId}}", context, TODAY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("userPractitionerId");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Encounter/{{context.appointmentId}}",
        "Patient/{{context.draftOrders}}",
        "Patient/{{context.blank}}",
        "Patient/{{context.nothing}}",
        "Patient/{{userPatientId}}",
        "Observation?date={{yesterday()}}",
        "Observation?date={{today() - many days}}"
      })
  void unresolvableTokenIsRejected(String template) {
    ObjectNode context = context();
    context.putObject("draftOrders").put("resourceType", "Bundle");
    context.put("blank", " ");
    context.putNull("nothing");

    assertThatThrownBy(() -> PrefetchTemplate.render(template, context, TODAY))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void queryValuesAreUrlEncoded() {
    String url =
        render(
            "Observation?patient={{context.patientId}}&code=http://loinc.org|2823-3,http://loinc.org|6298-4"
                + "&date=gt{{today() - 400 days}}&_sort=-date&_count=20");

    assertThat(url)
        .isEqualTo(
            "Observation?patient=1288992"
                + "&code=http%3A%2F%2Floinc.org%7C2823-3%2Chttp%3A%2F%2Floinc.org%7C6298-4"
                + "&date=gt2025-10-16&_sort=-date&_count=20");
    assertThat(url).doesNotContain("|").doesNotContain(",");
  }

  @Test
  void resolvedContextValueIsEncodedInTheQueryAndInThePath() {
    JsonNode context = context().put("patientId", "a|b,c");

    assertThat(PrefetchTemplate.render("Observation?patient={{context.patientId}}", context, TODAY))
        .isEqualTo("Observation?patient=a%7Cb%2Cc");
    assertThat(PrefetchTemplate.render("Patient/{{context.patientId}}", context, TODAY))
        .isEqualTo("Patient/a%7Cb%2Cc");
  }

  @Test
  void contextValueContainingAmpersandStaysOneQueryValue() {
    JsonNode context = context().put("patientId", "1&subject=Patient/2");

    assertThat(
            PrefetchTemplate.render(
                "Observation?patient={{context.patientId}}&_count=5", context, TODAY))
        .isEqualTo("Observation?patient=1%26subject%3DPatient%2F2&_count=5");
  }

  @Test
  void templateWithoutTokensOrQueryIsUnchanged() {
    assertThat(render("Patient/123")).isEqualTo("Patient/123");
    assertThat(render("Observation?_count=10")).isEqualTo("Observation?_count=10");
  }

  @Test
  void replacementTextIsNotTreatedAsARegexReplacement() {
    ObjectNode context = context().put("patientId", "$1\\x");

    assertThat(PrefetchTemplate.render("Patient/{{context.patientId}}", context, TODAY))
        .isEqualTo("Patient/%241%5Cx");
  }
}
