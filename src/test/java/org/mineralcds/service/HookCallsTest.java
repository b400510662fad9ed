package org.mineralcds.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.auth.Caller;
import org.mineralcds.fhir.FhirServerPolicy;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.ServiceDescriptor;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.knowledge.PrescribingLoader;
import org.mineralcds.knowledge.ServiceDefinition;

/**
 * The request checks the three services share: the same wording and status whichever service is
 * called, and the same FHIR-server boundary per caller.
 */
class HookCallsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final ServiceDefinition BALANCE = K.service();
  private static final ServiceDefinition SIGN =
      PrescribingLoader.fromDirectory(K, Path.of("hooks/prescribing")).service("order-sign");
  private static final ServiceDefinition SELECT =
      PrescribingLoader.fromDirectory(K, Path.of("hooks/prescribing")).service("order-select");

  static Stream<ServiceDefinition> services() {
    return Stream.of(BALANCE, SELECT, SIGN);
  }

  private static HookRequest request(String hook, ObjectNode context) {
    return new HookRequest(hook, "i-1", null, null, context, Map.of());
  }

  private static ObjectNode context(Object patientId) {
    ObjectNode c = JSON.createObjectNode();
    if (patientId instanceof String s) {
      c.put("patientId", s);
    } else if (patientId instanceof Integer n) {
      c.put("patientId", n);
    }
    return c;
  }

  private static String refusal(ServiceDefinition service, HookRequest request) {
    try {
      HookCalls.patientId(service, request);
    } catch (HookError e) {
      assertThat(e.kind()).isEqualTo(HookError.Kind.BAD_REQUEST);
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + request);
  }

  @ParameterizedTest
  @MethodSource("services")
  void aCallAboutOnePatientOfTheServicesHookIsAccepted(ServiceDefinition service) {
    assertThat(HookCalls.patientId(service, request(service.hook(), context("pat-1.2"))))
        .isEqualTo("pat-1.2");
  }

  @ParameterizedTest
  @MethodSource("services")
  void anotherHookIsA400NamingTheServiceAndBothHooks(ServiceDefinition service) {
    assertThat(refusal(service, request("encounter-start", context("p1"))))
        .isEqualTo(
            "Service '"
                + service.id()
                + "' answers the '"
                + service.hook()
                + "' hook, not 'encounter-start'.");
  }

  @ParameterizedTest
  @MethodSource("services")
  void aMissingBlankOrNonStringPatientIdIsA400(ServiceDefinition service) {
    String required = "'context.patientId' is required for " + service.hook() + ".";
    assertThat(refusal(service, request(service.hook(), context(null)))).isEqualTo(required);
    assertThat(refusal(service, request(service.hook(), context("  ")))).isEqualTo(required);
    assertThat(refusal(service, request(service.hook(), context(42)))).isEqualTo(required);
  }

  @ParameterizedTest
  @MethodSource("services")
  void aPatientIdThatIsNotAFhirIdIsA400BeforeItReachesAQuery(ServiceDefinition service) {
    for (String bad :
        List.of("p1&_include=*", "Patient/p1", "p 1", "x".repeat(65), "p1\nforged", "é")) {
      assertThat(refusal(service, request(service.hook(), context(bad))))
          .as(bad)
          .startsWith("'context.patientId' must be a FHIR id");
    }
    assertThat(HookCalls.patientId(service, request(service.hook(), context("x".repeat(64)))))
        .hasSize(64);
  }

  @Test
  void theDescriptorIsTheKnowledgesDefinition() {
    ServiceDescriptor d = HookCalls.descriptor(SIGN);
    assertThat(d.id()).isEqualTo("mineral-order-sign");
    assertThat(d.hook()).isEqualTo("order-sign");
    assertThat(d.prefetch()).isEqualTo(SIGN.prefetch()).containsKey("labs");
  }

  @Test
  void anIssuersOwnFhirServersAreItsBoundaryTheGlobalListServesOnlyIssuersWithoutAny() {
    List<String> global = List.of("https://shared.example.org/fhir");
    FhirServerPolicy local = HookCalls.policyFor(Caller.unauthenticatedLocal(), global);
    assertThat(local.permits("http://127.0.0.1:8080/fhir")).isTrue();
    assertThat(local.permits("https://shared.example.org/fhir")).isTrue();

    Caller withOwn =
        new Caller("https://ehr.example.org", null, List.of("https://ehr.example.org/fhir"), false);
    FhirServerPolicy own = HookCalls.policyFor(withOwn, global);
    assertThat(own.permits("https://ehr.example.org/fhir")).isTrue();
    assertThat(own.permits("https://shared.example.org/fhir")).isFalse();
    assertThat(own.permits("http://127.0.0.1:8080/fhir")).isFalse();

    Caller withoutOwn = new Caller("https://other.example.org", null, List.of(), false);
    FhirServerPolicy shared = HookCalls.policyFor(withoutOwn, global);
    assertThat(shared.permits("https://shared.example.org/fhir")).isTrue();
    assertThat(shared.permits("https://ehr.example.org/fhir")).isFalse();
    assertThat(shared.permits("http://127.0.0.1:8080/fhir")).isFalse();
  }

  @Test
  void callerTextIsLoggedAsOneShortLineOfSafeCharacters() {
    assertThat(HookCalls.loggable("abc-1.2:3_x")).isEqualTo("abc-1.2:3_x");
    assertThat(HookCalls.loggable("a\r\nb c{}")).isEqualTo("a__b_c__");
    assertThat(HookCalls.loggable("y".repeat(100))).hasSize(64);
  }
}
