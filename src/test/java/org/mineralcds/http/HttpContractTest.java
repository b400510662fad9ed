package org.mineralcds.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.ServiceConfig;

/** What the HTTP surface promises callers: statuses, error bodies, CORS, and discovery shape. */
class HttpContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String VALID =
      "{\"hook\":\"patient-view\",\"hookInstance\":\"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\","
          + "\"context\":{\"userId\":\"Practitioner/1\",\"patientId\":\"p1\"},"
          + "\"prefetch\":{\"patient\":null,\"labs\":null,\"medicationRequests\":null,"
          + "\"medicationStatements\":null,\"conditions\":null,\"pendingLabOrders\":null}}";

  private static MineralCds service;
  private static String base;

  @BeforeAll
  static void start() {
    ServiceConfig config =
        new ServiceConfig(
            "127.0.0.1",
            0,
            List.of("https://ehr.example.org"),
            List.of(),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(3),
            20_000,
            5,
            null,
            false,
            false);
    service =
        MineralCds.start(
            config, Clock.fixed(Instant.parse("2026-11-20T12:00:00Z"), ZoneOffset.UTC));
    base = service.baseUrl();
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  private static HttpResponse<String> send(
      String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertOperationOutcome(
      HttpResponse<String> response, int status, String mentions) throws Exception {
    assertThat(response.statusCode()).isEqualTo(status);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("resourceType").asText()).isEqualTo("OperationOutcome");
    assertThat(body.path("issue").get(0).path("diagnostics").asText()).contains(mentions);
    assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void discoveryListsTheServiceWithItsPrefetchTemplates() throws Exception {
    HttpResponse<String> response = send("GET", "/cds-services", null, null);
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode svc = JSON.readTree(response.body()).path("services").get(0);
    assertThat(svc.path("id").asText()).isEqualTo("mineral-balance");
    assertThat(svc.path("hook").asText()).isEqualTo("patient-view");
    assertThat(svc.path("title").asText()).isNotBlank();
    assertThat(svc.path("description").asText()).isNotBlank();
    assertThat(svc.path("prefetch").path("labs").asText()).contains("http://loinc.org|6298-4");
    assertThat(svc.path("prefetch").path("patient").asText())
        .isEqualTo("Patient/{{context.patientId}}");
  }

  // ---- the card budget -----------------------------------------------------------------------

  /** A searchset Bundle holding one final lab Observation. */
  /** One searchset entry holding a laboratory Observation. */
  private static String entries(String id, String loinc, String value, String unit, String date) {
    return "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\""
        + id
        + "\",\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":"
        + "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"laboratory\"}]}],"
        + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\""
        + loinc
        + "\"}]},\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\""
        + date
        + "T08:00:00Z\",\"valueQuantity\":{\"value\":"
        + value
        + ",\"unit\":\""
        + unit
        + "\"}}}";
  }

  @Test
  void fiveMildAbnormalitiesGiveFourCardsTheLastNamingTheRest() throws Exception {
    // One lab searchset, as the query plan asks for it (5.3: past potassium's borderline margin).
    String labs =
        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":["
            + String.join(
                ",",
                entries("k", "2823-3", "5.3", "mmol/L", "2026-11-19"),
                entries("ca", "17861-6", "10.5", "mg/dL", "2026-11-19"),
                entries("pth", "2731-8", "80", "pg/mL", "2026-10-11"),
                entries("tsh", "3016-3", "4.8", "mIU/L", "2026-11-19"),
                entries("d", "62292-8", "15", "ng/mL", "2026-11-19"))
            + "]}";
    String body = VALID.replace("\"labs\":null", "\"labs\":" + labs);

    HttpResponse<String> response =
        send("POST", "/cds-services/mineral-balance", "application/json", body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode cards = JSON.readTree(response.body()).path("cards");
    assertThat(cards).hasSize(4);
    JsonNode more = cards.get(3);
    assertThat(more.path("source").path("topic").path("code").asText())
        .isEqualTo("additional-findings");
    assertThat(more.path("indicator").asText()).isEqualTo("info");
    assertThat(more.path("summary").asText())
        .startsWith("2 more findings: ")
        .contains("TSH 4.8 mIU/L");
    assertThat(more.path("extension").path("org.mineral-cds.rules")).hasSize(2);
    java.util.Set<String> topics = new java.util.HashSet<>();
    cards.forEach(c -> topics.add(c.path("source").path("topic").path("code").asText()));
    assertThat(topics).hasSize(4);
    // Every card's source.url is this service's page about its rule, and it is served.
    for (JsonNode card : cards) {
      String url = card.path("source").path("url").asText();
      assertThat(url).startsWith(base + "/knowledge/rules/");
      assertThat(send("GET", url.substring(base.length()), null, null).statusCode()).isEqualTo(200);
    }
  }

  // ---- the knowledge pages (what a card's source.url opens) ----------------------------------

  @Test
  void eachRuleHasAnHtmlPage() throws Exception {
    HttpResponse<String> page = send("GET", "/knowledge/rules/potassium-low", null, null);

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/html")
        .contains("utf-8");
    assertThat(page.body())
        .contains("<h1>Rule <code>potassium-low</code></h1>")
        .contains("href=\"https://doi.org/10.1681/ASN.2007070792\"")
        .contains("href=\"../report#potassium-low\"");
    HttpResponse<String> head = send("HEAD", "/knowledge/rules/potassium-low", null, null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void theKnowledgeReportIsServedAsHtmlAndMarkdown() throws Exception {
    HttpResponse<String> html = send("GET", "/knowledge/report", null, null);
    HttpResponse<String> md = send("GET", "/knowledge/report.md", null, null);

    assertThat(html.statusCode()).isEqualTo(200);
    assertThat(html.body()).contains("<h1>Clinical knowledge report");
    assertThat(md.statusCode()).isEqualTo(200);
    assertThat(md.headers().firstValue("Content-Type").orElse("")).startsWith("text/markdown");
    assertThat(md.body())
        .isEqualTo(
            java.nio.file.Files.readString(java.nio.file.Path.of("docs/knowledge-report.md")));
  }

  @Test
  void theKnowledgeFilesSchemasArePublished() throws Exception {
    HttpResponse<String> schema = send("GET", "/knowledge/schema/rules.schema.json", null, null);

    assertThat(schema.statusCode()).isEqualTo(200);
    assertThat(schema.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/schema+json");
    assertThat(
            JSON.readTree(schema.body())
                .path("$defs")
                .path("band")
                .path("additionalProperties")
                .asBoolean(true))
        .isFalse();
    assertOperationOutcome(
        send("GET", "/knowledge/schema/nothing.schema.json", null, null), 404, "knowledge page");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/knowledge/rules/no-such-rule",
        "/knowledge/rules/",
        "/knowledge/rules/POTASSIUM-LOW",
        "/knowledge/",
        "/knowledge/nothing"
      })
  void anUnknownKnowledgePageIs404(String path) throws Exception {
    HttpResponse<String> response = send("GET", path, null, null);
    assertThat(response.statusCode()).isEqualTo(404);
  }

  @Test
  void knowledgePagesAreReadOnly() throws Exception {
    HttpResponse<String> response =
        send("POST", "/knowledge/rules/potassium-low", "application/json", "{}");
    assertOperationOutcome(response, 405, "GET");
    assertThat(response.headers().firstValue("Allow")).hasValue("GET, HEAD");
  }

  @Test
  void aPatientWithNoDataGetsAnEmptyCardList() throws Exception {
    HttpResponse<String> response =
        send("POST", "/cds-services/mineral-balance", "application/json", VALID);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"cards\":[]}");
  }

  @Test
  void feedbackIsAccepted() throws Exception {
    String feedback =
        "{\"feedback\":[{\"card\":\"9368d37b-283f-44a0-93ea-547cebab93ed\",\"outcome\":\"overridden\","
            + "\"overrideReason\":{\"reason\":{\"code\":\"already-addressed\",\"system\":\"x\"}},"
            + "\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}]}";
    assertThat(
            send("POST", "/cds-services/mineral-balance/feedback", "application/json", feedback)
                .statusCode())
        .isEqualTo(200);
    assertOperationOutcome(
        send(
            "POST",
            "/cds-services/mineral-balance/feedback",
            "application/json",
            "{\"feedback\":[{}]}"),
        400,
        "card");
  }

  @Test
  void anUnknownServiceIs404() throws Exception {
    assertOperationOutcome(
        send("POST", "/cds-services/nope", "application/json", VALID), 404, "No CDS service");
    assertOperationOutcome(send("GET", "/elsewhere", null, null), 404, "No such endpoint");
  }

  @Test
  void theWrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> response = send("GET", "/cds-services/mineral-balance", null, null);
    assertOperationOutcome(response, 405, "use POST");
    assertThat(response.headers().firstValue("Allow")).contains("POST, OPTIONS");
    assertThat(send("DELETE", "/cds-services", null, null).statusCode()).isEqualTo(405);
  }

  @Test
  void aNonJsonContentTypeIs415() throws Exception {
    assertOperationOutcome(
        send("POST", "/cds-services/mineral-balance", "text/plain", VALID),
        415,
        "application/json");
    assertOperationOutcome(
        send("POST", "/cds-services/mineral-balance", null, VALID), 415, "application/json");
  }

  @Test
  void anOversizeBodyIs413() throws Exception {
    String big = VALID.replace("\"p1\"}", "\"p1\",\"pad\":\"" + "x".repeat(30_000) + "\"}");
    assertOperationOutcome(
        send("POST", "/cds-services/mineral-balance", "application/json", big), 413, "larger than");
  }

  @Test
  void anOversizeBodyWithoutALengthIs413AsItIsRead() throws Exception {
    String big = VALID.replace("\"p1\"}", "\"p1\",\"pad\":\"" + "x".repeat(30_000) + "\"}");
    // A body publisher of unknown length: sent chunked, so only reading it can find the size.
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/cds-services/mineral-balance"))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
            .build();
    assertOperationOutcome(
        HTTP.send(request, HttpResponse.BodyHandlers.ofString()), 413, "larger than");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "[]",
        "{\"hook\":\"patient-view\"}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\"}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":[]}",
        "{\"hook\":\"order-sign\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"}}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{}}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"},\"prefetch\":{\"patient\":\"Patient/1\"}}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"},\"prefetch\":{\"patient\":{\"resourceType\":\"Nonsense\"}}}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"},\"prefetch\":{\"patient\":{\"response\":{\"status\":\"200 OK\"},\"resource\":{}}}}",
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"},\"fhirAuthorization\":{\"token_type\":\"Bearer\"}}"
      })
  void malformedRequestsAre400WithAClearMessage(String body) throws Exception {
    HttpResponse<String> response =
        send("POST", "/cds-services/mineral-balance", "application/json", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    JsonNode outcome = JSON.readTree(response.body());
    assertThat(outcome.path("issue").get(0).path("diagnostics").asText()).isNotBlank();
  }

  @Test
  void deeplyNestedJsonIs400NotAStackOverflow() throws Exception {
    String deep = "{\"a\":".repeat(200) + "1" + "}".repeat(200);
    assertThat(send("POST", "/cds-services/mineral-balance", "application/json", deep).statusCode())
        .isEqualTo(400);
  }

  @Test
  void aFhirServerOffTheAllowListIsRefused() throws Exception {
    String body =
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"fhirServer\":\"https://ehr.example.org/fhir\","
            + "\"fhirAuthorization\":{\"access_token\":\"t\",\"token_type\":\"Bearer\"},"
            + "\"context\":{\"patientId\":\"p\"}}";
    assertOperationOutcome(
        send("POST", "/cds-services/mineral-balance", "application/json", body), 403, "allowed");
  }

  @Test
  void corsPreflightAnswersForAllowedOrigins() throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/cds-services/mineral-balance"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://ehr.example.org")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin"))
        .contains("https://ehr.example.org");
    assertThat(response.headers().firstValue("Access-Control-Allow-Headers"))
        .contains("Authorization, Content-Type");
    assertThat(response.headers().firstValue("Access-Control-Allow-Methods"))
        .contains("GET, POST, OPTIONS");

    HttpResponse<String> other =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/cds-services"))
                .header("Origin", "https://evil.example.com")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void onlyLoopbackAddressesCountAsLocal() {
    assertThat(CdsHooksHandler.isLoopback("127.0.0.1")).isTrue();
    assertThat(CdsHooksHandler.isLoopback("::1")).isTrue();
    assertThat(CdsHooksHandler.isLoopback("10.0.0.1")).isFalse();
    assertThat(CdsHooksHandler.isLoopback("192.168.1.4")).isFalse();
  }
}
