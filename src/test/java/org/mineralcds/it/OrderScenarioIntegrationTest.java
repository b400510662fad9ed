package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.fhir.PrefetchTemplate;

/**
 * Every prescribing example of fhir-resources/orders/ (a scenario patient and the orders being
 * written) through the service's HTTP stack, once with all data in prefetch (each discovery
 * template of the service run against the FHIR server, as the sandbox does) and once with the
 * service fetching from the FHIR server: both give the same cards, which match the golden response
 * in hooks/prescribing/examples/ (rewrite with -Dgolden.update=true after review).
 */
class OrderScenarioIntegrationTest {

  private static final Path ORDERS = Path.of("fhir-resources/orders");
  private static final Path EXAMPLES = Path.of("hooks/prescribing/examples");
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

  static Stream<String> examples() throws Exception {
    try (Stream<Path> files = Files.list(ORDERS)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .map(n -> n.substring(0, n.length() - ".json".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest
  @MethodSource("examples")
  void sameCardsThroughPrefetchAndThroughTheFhirServer(String example) throws Exception {
    JsonNode orders = TestServers.JSON.readTree(ORDERS.resolve(example + ".json").toFile());
    String hook = orders.path("hook").asText();
    JsonNode descriptor = descriptor(hook);
    ObjectNode viaServer = call(descriptor, request(example, orders, fhir.base(), null));
    ObjectNode prefetch = prefetchFor(orders.path("scenario").asText(), descriptor);
    ObjectNode viaPrefetch = call(descriptor, request(example, orders, fhir.base(), prefetch));

    assertThat(viaPrefetch).isEqualTo(viaServer);
    assertCardContract(viaServer);
    compareWithGolden(example, request(example, orders, null, prefetch), viaServer);
  }

  private static JsonNode descriptor(String hook) {
    for (JsonNode s : discovery.path("services")) {
      if (s.path("hook").asText().equals(hook)) {
        return s;
      }
    }
    throw new IllegalStateException("no service on " + hook);
  }

  private static ObjectNode request(
      String example, JsonNode orders, String fhirServer, ObjectNode prefetch) {
    ObjectNode body = TestServers.JSON.createObjectNode();
    body.put("hook", orders.path("hook").asText());
    body.put(
        "hookInstance",
        UUID.nameUUIDFromBytes(example.getBytes(StandardCharsets.UTF_8)).toString());
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
    context.put("patientId", orders.path("scenario").asText());
    context.put("encounterId", "encounter-1");
    if (orders.has("selections")) {
      context.set("selections", orders.get("selections").deepCopy());
    }
    ObjectNode draftOrders = context.putObject("draftOrders");
    draftOrders.put("resourceType", "Bundle");
    draftOrders.put("type", "collection");
    ArrayNode entries = draftOrders.putArray("entry");
    orders.path("draftOrders").forEach(r -> entries.addObject().set("resource", r.deepCopy()));
    if (prefetch != null) {
      body.set("prefetch", prefetch);
    }
    return body;
  }

  private static ObjectNode prefetchFor(String scenario, JsonNode descriptor) throws Exception {
    ObjectNode prefetch = TestServers.JSON.createObjectNode();
    JsonNode context =
        TestServers.JSON
            .createObjectNode()
            .put("patientId", scenario)
            .put("userId", "Practitioner/example");
    Iterator<Map.Entry<String, JsonNode>> templates =
        descriptor.path("prefetch").properties().iterator();
    while (templates.hasNext()) {
      Map.Entry<String, JsonNode> t = templates.next();
      String url =
          PrefetchTemplate.render(t.getValue().asText(), context, LocalDate.of(2026, 11, 20));
      prefetch.set(t.getKey(), TestServers.getJson(fhir.base() + "/" + url));
    }
    return prefetch;
  }

  private static ObjectNode call(JsonNode descriptor, ObjectNode body) throws Exception {
    HttpResponse<String> response =
        TestServers.post(
            service.baseUrl() + "/cds-services/" + descriptor.path("id").asText(), body.toString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return (ObjectNode) TestServers.JSON.readTree(response.body());
  }

  private static void assertCardContract(JsonNode response) throws Exception {
    List<String> order = List.of("critical", "warning", "info");
    int last = 0;
    for (JsonNode card : response.path("cards")) {
      assertThat(UUID.fromString(card.path("uuid").asText())).isNotNull();
      assertThat(card.path("summary").asText()).hasSizeLessThan(140).isNotBlank();
      assertThat(card.path("source").path("label").asText()).isEqualTo("mineral-cds");
      assertThat(card.path("source").path("topic").path("code").asText())
          .isIn("order-lab-conflict", "order-baseline-due", "additional-findings");
      String page = card.path("source").path("url").asText();
      HttpResponse<String> about =
          TestServers.get(service.baseUrl() + page.substring(TestServers.PUBLIC_BASE_URL.length()));
      assertThat(about.statusCode()).as(page).isEqualTo(200);
      int rank = order.indexOf(card.path("indicator").asText());
      assertThat(rank).isGreaterThanOrEqualTo(last);
      last = rank;
      List<String> types = new ArrayList<>();
      for (JsonNode suggestion : card.path("suggestions")) {
        for (JsonNode action : suggestion.path("actions")) {
          types.add(action.path("type").asText());
          if (action.path("type").asText().equals("delete")) {
            assertThat(action.path("resourceId").asText()).startsWith("MedicationRequest/");
          } else {
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
      if (types.contains("delete")) {
        assertThat(card.path("suggestions").size())
            .as("delete is never the only suggestion")
            .isGreaterThan(1);
      }
    }
  }

  private static void compareWithGolden(String example, ObjectNode request, JsonNode response)
      throws Exception {
    Path requestFile = EXAMPLES.resolve(example + ".request.json");
    Path responseFile = EXAMPLES.resolve(example + ".response.json");
    ObjectNode stableRequest = request.deepCopy();
    stableRequest.path("prefetch").forEach(OrderScenarioIntegrationTest::stripSearchMetadata);
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
