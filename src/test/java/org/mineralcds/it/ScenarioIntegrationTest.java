package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.demo.ScenarioStore;
import org.mineralcds.fhir.PrefetchTemplate;

/**
 * Every scenario of fhir-resources/ through the service's real HTTP stack, once with all data in
 * prefetch (built the way the CDS Hooks sandbox builds it: each discovery template run against the
 * FHIR server) and once with the service fetching from a real HAPI FHIR server. Both must give the
 * same cards, the expected topics, and the golden response in hooks/mineral-balance/examples/. Run
 * with -Dgolden.update=true to rewrite the golden files after a reviewed change.
 */
class ScenarioIntegrationTest {

  private static final Path EXAMPLES = Path.of("hooks/mineral-balance/examples");
  private static final String TOKEN = "scenario-access-token-7f3a";

  private static TestServers.FhirServer fhir;
  private static MineralCds service;
  private static JsonNode discovery;

  @BeforeAll
  static void start() throws Exception {
    fhir = new TestServers.FhirServer();
    service = TestServers.startService();
    discovery = TestServers.getJson(service.baseUrl() + "/cds-services");
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    fhir.close();
  }

  static Stream<String> scenarios() {
    return ScenarioStore.scenarioIds().stream();
  }

  @ParameterizedTest
  @MethodSource("scenarios")
  void sameCardsThroughPrefetchAndThroughTheFhirServer(String scenario) throws Exception {
    ObjectNode viaServer = call(request(scenario, fhir.base(), null));
    ObjectNode prefetch = prefetchFor(scenario);
    // As EHRs do, fhirServer comes along with prefetch: with every key satisfied, it is used only
    // to read Medications that MedicationRequests reference (prefetch templates cannot _include).
    fhir.authorizationHeaders.clear();
    ObjectNode viaPrefetch = call(request(scenario, fhir.base(), prefetch));
    assertThat(fhir.authorizationHeaders.size()).isLessThanOrEqualTo(1);

    assertThat(viaPrefetch).isEqualTo(viaServer);
    assertThat(topics(viaServer)).containsExactlyElementsOf(expectedTopics(scenario));
    assertCardContract(viaServer);
    compareWithGolden(scenario, request(scenario, null, prefetch), viaServer);
  }

  @Test
  void theBearerTokenReachesTheFhirServer() throws Exception {
    fhir.authorizationHeaders.clear();
    call(request("hypokalemia-on-furosemide", fhir.base(), null));
    assertThat(fhir.authorizationHeaders).isNotEmpty().allMatch(("Bearer " + TOKEN)::equals);
  }

  @Test
  void anUnreachableFhirServerGives412WithAnOperationOutcome() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    ObjectNode body =
        request("hypokalemia-on-furosemide", "http://127.0.0.1:" + closedPort + "/fhir", null);
    HttpResponse<String> response = TestServers.post(serviceUrl(), body.toString());
    assertThat(response.statusCode()).isEqualTo(412);
    JsonNode outcome = TestServers.JSON.readTree(response.body());
    assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
    assertThat(outcome.path("issue").get(0).path("diagnostics").asText()).contains("labs");
  }

  @Test
  void noPrefetchAndNoFhirServerGives412() throws Exception {
    HttpResponse<String> response =
        TestServers.post(serviceUrl(), request("hypokalemia-on-furosemide", null, null).toString());
    assertThat(response.statusCode()).isEqualTo(412);
  }

  @Test
  void nullPrefetchKeysMeanNoDataAndAreNotFetched() throws Exception {
    ObjectNode prefetch = prefetchFor("hypokalemia-on-furosemide");
    prefetch.putNull("medicationRequests");
    fhir.authorizationHeaders.clear();
    ObjectNode response = call(request("hypokalemia-on-furosemide", fhir.base(), prefetch));
    assertThat(fhir.authorizationHeaders).isEmpty();
    assertThat(topics(response)).containsExactly("potassium-low");
    // Without the medication, the mild-or-not decision stays, but no drug is named.
    assertThat(response.path("cards").get(0).path("summary").asText()).doesNotContain("furosemide");
  }

  @Test
  void anOperationOutcomeInPrefetchIsFetchedFromTheServerInstead() throws Exception {
    ObjectNode prefetch = prefetchFor("hypokalemia-on-furosemide");
    ObjectNode outcome = prefetch.putObject("labs");
    outcome.put("resourceType", "OperationOutcome");
    outcome.putArray("issue").addObject().put("severity", "error").put("code", "timeout");
    fhir.authorizationHeaders.clear();
    ObjectNode response = call(request("hypokalemia-on-furosemide", fhir.base(), prefetch));
    assertThat(fhir.authorizationHeaders).hasSize(1);
    assertThat(topics(response)).containsExactly("potassium-low");
  }

  @Test
  void aPaginatedPrefetchBundleIsFollowedToItsLastPage() throws Exception {
    String scenario = "hyperkalemia-on-lisinopril-spironolactone";
    ObjectNode prefetch = prefetchFor(scenario);
    JsonNode firstPage =
        TestServers.getJson(
            fhir.base() + "/MedicationRequest?patient=" + scenario + "&status=active&_count=1");
    assertThat(firstPage.path("link").toString()).contains("\"next\"");
    prefetch.set("medicationRequests", firstPage);
    ObjectNode response = call(request(scenario, fhir.base(), prefetch));
    String detail = response.path("cards").get(0).path("detail").asText();
    assertThat(detail).contains("lisinopril").contains("Spironolactone");
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static String serviceUrl() {
    return service.baseUrl() + "/cds-services/" + MineralCds.SERVICE_ID;
  }

  private static ObjectNode request(String scenario, String fhirServer, ObjectNode prefetch) {
    ObjectNode body = TestServers.JSON.createObjectNode();
    body.put("hook", "patient-view");
    body.put(
        "hookInstance",
        UUID.nameUUIDFromBytes(scenario.getBytes(StandardCharsets.UTF_8)).toString());
    if (fhirServer != null) {
      body.put("fhirServer", fhirServer);
      ObjectNode auth = body.putObject("fhirAuthorization");
      auth.put("access_token", TOKEN);
      auth.put("token_type", "Bearer");
      auth.put("expires_in", 300);
      auth.put("scope", "patient/Observation.read patient/Patient.read");
      auth.put("subject", "mineral-cds");
    }
    ObjectNode context = body.putObject("context");
    context.put("userId", "Practitioner/example");
    context.put("patientId", scenario);
    if (prefetch != null) {
      body.set("prefetch", prefetch);
    }
    return body;
  }

  /** What a sandbox-like EHR sends: every discovery template, rendered and run. */
  private static ObjectNode prefetchFor(String scenario) throws Exception {
    ObjectNode prefetch = TestServers.JSON.createObjectNode();
    JsonNode context =
        TestServers.JSON
            .createObjectNode()
            .put("patientId", scenario)
            .put("userId", "Practitioner/example");
    Iterator<Map.Entry<String, JsonNode>> templates =
        discovery.path("services").get(0).path("prefetch").properties().iterator();
    while (templates.hasNext()) {
      Map.Entry<String, JsonNode> t = templates.next();
      String url =
          PrefetchTemplate.render(t.getValue().asText(), context, LocalDate.of(2026, 11, 20));
      prefetch.set(t.getKey(), TestServers.getJson(fhir.base() + "/" + url));
    }
    return prefetch;
  }

  private static ObjectNode call(ObjectNode body) throws Exception {
    HttpResponse<String> response = TestServers.post(serviceUrl(), body.toString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return (ObjectNode) TestServers.JSON.readTree(response.body());
  }

  private static List<String> topics(JsonNode response) {
    List<String> topics = new ArrayList<>();
    response
        .path("cards")
        .forEach(c -> topics.add(c.path("source").path("topic").path("code").asText()));
    return topics;
  }

  private static List<String> expectedTopics(String scenario) throws Exception {
    JsonNode index =
        TestServers.JSON.readTree(
            Path.of("fhir-resources/scenarios/expected-topics.json").toFile());
    List<String> expected = new ArrayList<>();
    index.path(scenario).forEach(t -> expected.add(t.asText()));
    return expected;
  }

  private static void assertCardContract(JsonNode response) throws Exception {
    List<String> order = List.of("critical", "warning", "info");
    int last = 0;
    for (JsonNode card : response.path("cards")) {
      assertThat(UUID.fromString(card.path("uuid").asText())).isNotNull();
      assertThat(card.path("summary").asText()).hasSizeLessThan(140).isNotBlank();
      assertThat(card.path("source").path("label").asText()).isEqualTo("mineral-cds");
      // source.url: this service's page about the rule (published at the public base URL).
      String page = card.path("source").path("url").asText();
      assertThat(page).startsWith(TestServers.PUBLIC_BASE_URL + "/knowledge/rules/");
      HttpResponse<String> about =
          TestServers.get(service.baseUrl() + page.substring(TestServers.PUBLIC_BASE_URL.length()));
      assertThat(about.statusCode()).as(page).isEqualTo(200);
      assertThat(about.body()).contains(page.substring(page.lastIndexOf('/') + 1));
      assertThat(card.path("extension").path("org.mineral-cds.rules").isArray()).isTrue();
      for (JsonNode link : card.path("links")) {
        assertThat(link.path("type").asText()).isEqualTo("absolute");
        assertThat(link.path("url").asText()).startsWith("https://").doesNotContain("search");
      }
      int rank = order.indexOf(card.path("indicator").asText());
      assertThat(rank).isGreaterThanOrEqualTo(last);
      last = rank;
      for (JsonNode suggestion : card.path("suggestions")) {
        assertThat(card.has("selectionBehavior")).isTrue();
        for (JsonNode action : suggestion.path("actions")) {
          JsonNode sr = action.path("resource");
          assertThat(action.path("type").asText()).isEqualTo("create");
          assertThat(sr.path("resourceType").asText()).isEqualTo("ServiceRequest");
          assertThat(sr.path("status").asText()).isEqualTo("draft");
          assertThat(sr.path("intent").asText()).isEqualTo("proposal");
          assertThat(sr.path("code").path("coding").get(0).path("system").asText())
              .isEqualTo("http://loinc.org");
        }
      }
    }
  }

  private static void compareWithGolden(String scenario, ObjectNode request, JsonNode response)
      throws Exception {
    Path requestFile = EXAMPLES.resolve(scenario + ".request.json");
    Path responseFile = EXAMPLES.resolve(scenario + ".response.json");
    ObjectNode stableRequest = request.deepCopy();
    stableRequest.path("prefetch").forEach(ScenarioIntegrationTest::stripSearchMetadata);
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(EXAMPLES);
      Files.writeString(requestFile, pretty(stableRequest));
      Files.writeString(responseFile, pretty(response));
      return;
    }
    assertThat(responseFile)
        .as("golden response; run with -Dgolden.update=true after review")
        .exists();
    assertThat(response).isEqualTo(TestServers.JSON.readTree(responseFile.toFile()));
    assertThat(stableRequest).isEqualTo(TestServers.JSON.readTree(requestFile.toFile()));
  }

  /** Search bundles carry a random id, a timestamp and server URLs; golden files leave them out. */
  private static void stripSearchMetadata(JsonNode bundle) {
    if (bundle instanceof ObjectNode o && "Bundle".equals(o.path("resourceType").asText())) {
      o.remove(List.of("id", "meta", "link"));
      for (JsonNode entry : o.path("entry")) {
        ((ObjectNode) entry).remove("fullUrl");
      }
      if (o.path("entry") instanceof ArrayNode a && a.isEmpty()) {
        o.remove("entry");
      }
    }
  }

  private static String pretty(JsonNode node) throws Exception {
    return TestServers.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
  }
}
