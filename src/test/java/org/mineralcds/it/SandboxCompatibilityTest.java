package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.ServiceConfig;

/**
 * Replays what the official CDS Hooks sandbox does (cds-hooks/sandbox, as summarised in
 * shared/cds-hooks.md §2) against the default jar configuration with its embedded FHIR server: CORS
 * preflights from the sandbox's origin, discovery with a JWT header, prefetch by substituting the
 * template tokens (including {{today() - N days}}) and POSTing {Type}/_search form-encoded to the
 * FHIR server, the hook call, and feedback for a card.
 */
class SandboxCompatibilityTest {

  private static final String ORIGIN = "https://sandbox.cds-hooks.org";
  private static final Pattern TOKEN = Pattern.compile("\\{\\{\\s*([^}]+?)\\s*}}");
  private static final Pattern TODAY = Pattern.compile("today\\(\\)\\s*-\\s*(\\d+)\\s*days");

  private static MineralCds service;
  private static String base;

  @BeforeAll
  static void start() {
    ServiceConfig defaults =
        new ServiceConfig(
            "127.0.0.1",
            0,
            List.of("*"),
            List.of(),
            Duration.ofSeconds(1),
            Duration.ofSeconds(3),
            Duration.ofSeconds(4),
            10_000_000,
            10,
            null,
            true,
            false);
    service = MineralCds.start(defaults, Clock.systemUTC());
    base = service.baseUrl();
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return TestServers.HTTP.send(
        request.header("Origin", ORIGIN).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertPreflight(String url) throws Exception {
    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(URI.create(url))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type"));
    assertThat(response.statusCode()).as(url).isBetween(200, 204);
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
    assertThat(
            response.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase())
        .contains("authorization")
        .contains("content-type");
  }

  @Test
  void theSandboxFlowWorksEndToEnd() throws Exception {
    String jwt = "eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJodHRwczovL3NhbmRib3guY2RzLWhvb2tzLm9yZyJ9.c2ln";
    assertPreflight(base + "/cds-services");
    assertPreflight(base + "/cds-services/mineral-balance");
    assertPreflight(base + "/cds-services/mineral-balance/feedback");
    assertPreflight(base + "/fhir/Observation/_search");

    HttpResponse<String> discoveryResponse =
        send(
            HttpRequest.newBuilder(URI.create(base + "/cds-services"))
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + jwt)
                .GET());
    assertThat(discoveryResponse.statusCode()).isEqualTo(200);
    JsonNode services = TestServers.JSON.readTree(discoveryResponse.body()).path("services");
    assertThat(services.size()).isGreaterThan(0); // the sandbox rejects an empty list

    String patient = "hypokalemia-on-furosemide";
    String fhir = base + "/fhir";
    ObjectNode prefetch = TestServers.JSON.createObjectNode();
    Iterator<Map.Entry<String, JsonNode>> templates =
        services.get(0).path("prefetch").properties().iterator();
    while (templates.hasNext()) {
      Map.Entry<String, JsonNode> t = templates.next();
      String url = substitute(t.getValue().asText(), patient);
      prefetch.set(t.getKey(), sandboxFetch(fhir, url));
    }
    assertThat(prefetch.path("labs").toString()).contains("\"2823-3\"");

    ObjectNode body = TestServers.JSON.createObjectNode();
    body.put("hookInstance", UUID.randomUUID().toString());
    body.put("hook", "patient-view");
    body.put("fhirServer", fhir);
    body.putObject("context")
        .put("patientId", patient)
        .put("userId", "Practitioner/COREPRACTITIONER1");
    body.set("prefetch", prefetch);
    HttpResponse<String> hook =
        send(
            HttpRequest.newBuilder(URI.create(base + "/cds-services/mineral-balance"))
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + jwt)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    assertThat(hook.statusCode()).as(hook.body()).isEqualTo(200);
    assertThat(hook.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
    JsonNode card = TestServers.JSON.readTree(hook.body()).path("cards").get(0);
    assertThat(card.path("source").path("topic").path("code").asText()).isEqualTo("potassium-low");
    assertThat(card.path("uuid").asText()).isNotBlank(); // the sandbox shows Dismiss only then

    String feedback =
        "{\"feedback\":[{\"card\":\""
            + card.path("uuid").asText()
            + "\",\"outcome\":\"accepted\",\"acceptedSuggestions\":[{\"id\":\""
            + card.path("suggestions").get(0).path("uuid").asText()
            + "\"}],\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}]}";
    HttpResponse<String> fed =
        send(
            HttpRequest.newBuilder(URI.create(base + "/cds-services/mineral-balance/feedback"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + jwt)
                .POST(HttpRequest.BodyPublishers.ofString(feedback)));
    assertThat(fed.statusCode()).isEqualTo(200);
  }

  /** The sandbox's token substitution: context fields and today() ± N days. */
  private static String substitute(String template, String patient) {
    Matcher m = TOKEN.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String token = m.group(1);
      String value;
      if (token.equals("context.patientId")) {
        value = patient;
      } else {
        Matcher today = TODAY.matcher(token);
        assertThat(today.matches()).as("token the sandbox can resolve: " + token).isTrue();
        value = LocalDate.now(ZoneOffset.UTC).minusDays(Long.parseLong(today.group(1))).toString();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Reads by GET; searches by POST {Type}/_search with a form body, as the sandbox does. */
  private static JsonNode sandboxFetch(String fhir, String url) throws Exception {
    int q = url.indexOf('?');
    HttpRequest.Builder request;
    if (q < 0) {
      request = HttpRequest.newBuilder(URI.create(fhir + "/" + url)).GET();
    } else {
      StringBuilder form = new StringBuilder();
      for (String param : url.substring(q + 1).split("&")) {
        int eq = param.indexOf('=');
        if (form.length() > 0) {
          form.append('&');
        }
        form.append(param, 0, eq + 1)
            .append(URLEncoder.encode(param.substring(eq + 1), StandardCharsets.UTF_8));
      }
      request =
          HttpRequest.newBuilder(URI.create(fhir + "/" + url.substring(0, q) + "/_search"))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
    }
    HttpResponse<String> response = send(request.header("Accept", "application/json"));
    assertThat(response.statusCode()).as(url + " -> " + response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).as(url).isPresent();
    return TestServers.JSON.readTree(response.body());
  }
}
