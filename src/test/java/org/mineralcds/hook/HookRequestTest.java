package org.mineralcds.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HookRequestTest {

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static ObjectNode specRequest() {
    try (InputStream in =
        HookRequestTest.class.getResourceAsStream("/wire/patient-view-request.json")) {
      assertThat(in).as("test resource wire/patient-view-request.json").isNotNull();
      return (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode specRequestWith(Consumer<ObjectNode> change) {
    ObjectNode body = specRequest();
    change.accept(body);
    return body;
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertBadRequest(JsonNode body, String messagePart) {
    assertThatThrownBy(() -> HookRequest.fromJson(body))
        .isInstanceOfSatisfying(
            HookError.class,
            e -> {
              assertThat(e.kind()).isEqualTo(HookError.Kind.BAD_REQUEST);
              assertThat(e.kind().status()).isEqualTo(400);
            })
        .hasMessageContaining(messagePart);
  }

  @Test
  void specShapedPatientViewRequestIsParsed() {
    HookRequest request = HookRequest.fromJson(specRequest());

    assertThat(request.hook()).isEqualTo("patient-view");
    assertThat(request.hookInstance()).isEqualTo("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea");
    assertThat(request.fhirServer()).isEqualTo("http://127.0.0.1:8080/fhir");
    assertThat(request.contextString("userId")).isEqualTo("Practitioner/example");
    assertThat(request.contextString("patientId")).isEqualTo("1288992");
    assertThat(request.contextString("encounterId")).isEqualTo("89284");
    assertThat(request.contextString("noSuchMember")).isNull();

    FhirAuthorization auth = request.fhirAuthorization();
    assertThat(auth.accessToken()).isEqualTo("some-opaque-fhir-access-token");
    assertThat(auth.tokenType()).isEqualTo("Bearer");
    assertThat(auth.expiresIn()).isEqualTo(300L);
    assertThat(auth.scope()).isEqualTo("user/Patient.read user/Observation.read");
    assertThat(auth.subject()).isEqualTo("cds-service4");
    assertThat(auth.patient()).isEqualTo("1288992");

    assertThat(request.prefetch()).containsOnlyKeys("patient", "potassium");
    assertThat(request.prefetch().get("patient").path("resourceType").asText())
        .isEqualTo("Patient");
    assertThat(request.prefetch().get("patient").path("birthDate").asText())
        .isEqualTo("1925-12-23");
    JsonNode bundle = request.prefetch().get("potassium");
    assertThat(bundle.path("type").asText()).isEqualTo("searchset");
    assertThat(bundle.path("entry").get(0).path("resource").path("id").asText()).isEqualTo("k1");
  }

  @Test
  void contextStringIsNullForNonTextMembers() {
    HookRequest request =
        HookRequest.fromJson(
            specRequestWith(b -> ((ObjectNode) b.get("context")).put("patientId", 42)));

    assertThat(request.contextString("patientId")).isNull();
  }

  @Test
  void unknownTopLevelMembersAndExtensionAreIgnored() {
    ObjectNode body =
        specRequestWith(
            b -> {
              b.put("someFutureMember", "whatever");
              b.putObject("extension").put("com.example.timestamp", "2026-11-20T10:00:00Z");
              b.putArray("anotherUnknown").add(1).add(2);
              ((ObjectNode) b.get("context")).putObject("extension").put("x", true);
            });

    HookRequest request = HookRequest.fromJson(body);

    assertThat(request.hook()).isEqualTo("patient-view");
    assertThat(request.prefetch()).containsOnlyKeys("patient", "potassium");
    assertThat(request.fhirAuthorization().accessToken())
        .isEqualTo("some-opaque-fhir-access-token");
  }

  @Test
  void prefetchKeyWithJsonNullIsPresentAsNullNodeAndAbsentKeyIsAbsent() {
    ObjectNode body = specRequestWith(b -> ((ObjectNode) b.get("prefetch")).putNull("magnesium"));

    HookRequest request = HookRequest.fromJson(body);

    assertThat(request.prefetch()).containsKey("magnesium");
    assertThat(request.prefetch().get("magnesium")).isSameAs(NullNode.getInstance());
    assertThat(request.prefetch().get("magnesium").isNull()).isTrue();
    assertThat(request.prefetch()).doesNotContainKey("calcium");
    assertThat(request.prefetch().keySet()).containsExactly("patient", "potassium", "magnesium");
  }

  @Test
  void missingOrNullPrefetchGivesAnEmptyMap() {
    assertThat(HookRequest.fromJson(specRequestWith(b -> b.remove("prefetch"))).prefetch())
        .isEmpty();
    assertThat(HookRequest.fromJson(specRequestWith(b -> b.putNull("prefetch"))).prefetch())
        .isEmpty();
  }

  @Test
  void prefetchMapIsUnmodifiable() {
    HookRequest request = HookRequest.fromJson(specRequest());

    assertThatThrownBy(() -> request.prefetch().put("x", NullNode.getInstance()))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void requestWithoutFhirAuthorizationHasNullAuthorization() {
    HookRequest request = HookRequest.fromJson(specRequestWith(b -> b.remove("fhirAuthorization")));

    assertThat(request.fhirAuthorization()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "\"patient-view\"", "42", "null", "true"})
  void nonObjectBodyIsBadRequest(String body) {
    assertBadRequest(json(body), "must be a JSON object");
  }

  @Test
  void nullBodyIsBadRequest() {
    assertBadRequest(null, "must be a JSON object");
  }

  @Test
  void missingHookIsBadRequest() {
    assertBadRequest(specRequestWith(b -> b.remove("hook")), "'hook'");
  }

  @Test
  void blankOrNonTextHookIsBadRequest() {
    assertBadRequest(specRequestWith(b -> b.put("hook", " ")), "'hook'");
    assertBadRequest(specRequestWith(b -> b.put("hook", 7)), "'hook'");
  }

  @Test
  void missingHookInstanceIsBadRequest() {
    assertBadRequest(specRequestWith(b -> b.remove("hookInstance")), "'hookInstance'");
  }

  @Test
  void missingContextIsBadRequest() {
    assertBadRequest(specRequestWith(b -> b.remove("context")), "'context'");
  }

  @Test
  void nonObjectContextIsBadRequest() {
    assertBadRequest(specRequestWith(b -> b.put("context", "Patient/1288992")), "'context'");
    assertBadRequest(specRequestWith(b -> b.putArray("context")), "'context'");
    assertBadRequest(specRequestWith(b -> b.putNull("context")), "'context'");
  }

  @Test
  void prefetchValueThatIsAStringIsBadRequest() {
    assertBadRequest(
        specRequestWith(b -> ((ObjectNode) b.get("prefetch")).put("patient", "Patient/1288992")),
        "'prefetch.patient'");
  }

  @Test
  void prefetchThatIsNotAnObjectIsBadRequest() {
    assertBadRequest(specRequestWith(b -> b.putArray("prefetch")), "'prefetch'");
  }

  @Test
  void pre10WrappedPrefetchIsBadRequest() {
    ObjectNode wrapped = JsonNodeFactory.instance.objectNode();
    wrapped.putObject("response").put("status", "200 OK");
    wrapped.putObject("resource").put("resourceType", "Patient").put("id", "1288992");

    assertBadRequest(
        specRequestWith(b -> ((ObjectNode) b.get("prefetch")).set("patient", wrapped)),
        "pre-1.0 wrapped prefetch");
  }

  @Test
  void fhirAuthorizationWithoutAccessTokenIsBadRequest() {
    assertBadRequest(
        specRequestWith(b -> ((ObjectNode) b.get("fhirAuthorization")).remove("access_token")),
        "access_token");
    assertBadRequest(
        specRequestWith(b -> ((ObjectNode) b.get("fhirAuthorization")).put("access_token", "")),
        "access_token");
  }

  @Test
  void nonObjectFhirAuthorizationIsBadRequest() {
    assertBadRequest(
        specRequestWith(b -> b.put("fhirAuthorization", "Bearer abc")), "'fhirAuthorization'");
  }

  @Test
  void fhirAuthorizationToStringDoesNotContainTheToken() {
    FhirAuthorization auth = HookRequest.fromJson(specRequest()).fhirAuthorization();

    assertThat(auth.toString())
        .doesNotContain("some-opaque-fhir-access-token")
        .contains("Bearer")
        .contains("cds-service4");
    assertThat(HookRequest.fromJson(specRequest()).toString())
        .doesNotContain("some-opaque-fhir-access-token");
  }

  @Test
  void badRequestMessageNeverEchoesTheToken() {
    ObjectNode body =
        specRequestWith(b -> ((ObjectNode) b.get("fhirAuthorization")).put("token_type", 17));

    assertThatThrownBy(() -> HookRequest.fromJson(body))
        .isInstanceOf(HookError.class)
        .message()
        .doesNotContain("some-opaque-fhir-access-token");
  }
}
