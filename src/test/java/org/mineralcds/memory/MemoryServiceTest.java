package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mineralcds.config.TestServiceConfigs.loopback;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * The card contract's "Memory" over HTTP, on the embedded database and on PostgreSQL: overridden
 * problems stay away unless worse or critical, accepted tests are not offered again, feedback is
 * validated and idempotent, silent mode, analytics, and a database that is down.
 */
class MemoryServiceTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final Path EXAMPLE =
      Path.of("hooks/mineral-balance/examples/hypokalemia-on-furosemide.request.json");

  @TempDir Path tmp;

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    volatile Instant now = Instant.parse("2026-11-20T12:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  /** The low-potassium example with its potassium result replaced. */
  static String request(String hookInstance, String observationId, double value, String when)
      throws Exception {
    ObjectNode body = (ObjectNode) JSON.readTree(EXAMPLE.toFile());
    body.put("hookInstance", hookInstance);
    ObjectNode k =
        (ObjectNode) body.path("prefetch").path("labs").path("entry").get(0).path("resource");
    k.put("id", observationId);
    k.put("effectiveDateTime", when);
    ((ObjectNode) k.path("valueQuantity")).put("value", value);
    return JSON.writeValueAsString(body);
  }

  static String potassiumRequest(String observationId, double value) throws Exception {
    return request(UUID.randomUUID().toString(), observationId, value, "2026-11-18T07:45:00Z");
  }

  /** As above, collected two days before the clock's now (fresh whenever the clock moves). */
  static String potassiumRequest(String observationId, double value, TestClock clock)
      throws Exception {
    return request(
        UUID.randomUUID().toString(),
        observationId,
        value,
        clock.now.minus(Duration.ofDays(2)).toString());
  }

  static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode cards(MineralCds app, String body) throws Exception {
    HttpResponse<String> r = post(app.baseUrl() + "/cds-services/mineral-balance", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("cards");
  }

  static JsonNode card(JsonNode cards, String topic) {
    for (JsonNode c : cards) {
      if (c.path("source").path("topic").path("code").asText().equals(topic)) {
        return c;
      }
    }
    return null;
  }

  static List<String> suggestionLabels(JsonNode card) {
    List<String> labels = new ArrayList<>();
    card.path("suggestions").forEach(s -> labels.add(s.path("label").asText()));
    return labels;
  }

  static HttpResponse<String> feedback(MineralCds app, String items) throws Exception {
    return post(
        app.baseUrl() + "/cds-services/mineral-balance/feedback", "{\"feedback\":[" + items + "]}");
  }

  static String overridden(String card, String reason) {
    return "{\"card\":\""
        + card
        + "\",\"outcome\":\"overridden\",\"overrideReason\":{\"reason\":{\"code\":\""
        + reason
        + "\",\"system\":\"https://mineral-cds.org/fhir/CodeSystem/override-reason\"}},"
        + "\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}";
  }

  static String accepted(String card, String suggestion) {
    return "{\"card\":\""
        + card
        + "\",\"outcome\":\"accepted\",\"acceptedSuggestions\":[{\"id\":\""
        + suggestion
        + "\"}],\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}";
  }

  @ParameterizedTest
  @MethodSource("databases")
  void anOverriddenProblemStaysAwayUnlessItWorsensOrACriticalResultArrives(String db)
      throws Exception {
    TestClock clock = new TestClock();
    try (MineralCds app = MineralCds.start(loopback(TestDatabases.fresh(db, tmp)), clock)) {
      JsonNode first = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
      assertThat(first).isNotNull();
      assertThat(
              feedback(app, overridden(first.path("uuid").asText(), "already-addressed"))
                  .statusCode())
          .isEqualTo(200);

      // Same result, and a newer one no further from normal: kept away.
      assertThat(card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low")).isNull();
      assertThat(card(cards(app, potassiumRequest("k2", 3.2)), "potassium-low")).isNull();
      // Further from normal than the result overridden: shown again.
      assertThat(card(cards(app, potassiumRequest("k3", 3.0)), "potassium-low")).isNotNull();
      // A new result past the critical limit always shows.
      JsonNode critical = cards(app, potassiumRequest("k4", 2.3));
      assertThat(critical.get(0).path("indicator").asText()).isEqualTo("critical");
      // Another patient is not affected.
      String other = potassiumRequest("k1", 3.1).replace("hypokalemia-on-furosemide\"", "p2\"");
      assertThat(card(cards(app, other), "potassium-low")).isNotNull();
      // At least 30 days; after that the card comes back.
      clock.now = clock.now.plus(Duration.ofDays(29));
      assertThat(card(cards(app, potassiumRequest("k1", 3.1, clock)), "potassium-low")).isNull();
      clock.now = clock.now.plus(Duration.ofDays(2));
      assertThat(card(cards(app, potassiumRequest("k1", 3.1, clock)), "potassium-low")).isNotNull();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void resultNotTrustedAppliesToThatResultOnly(String db) throws Exception {
    try (MineralCds app =
        MineralCds.start(loopback(TestDatabases.fresh(db, tmp)), new TestClock())) {
      JsonNode first = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
      assertThat(
              feedback(app, overridden(first.path("uuid").asText(), "result-not-trusted"))
                  .statusCode())
          .isEqualTo(200);
      assertThat(card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low")).isNull();
      assertThat(card(cards(app, potassiumRequest("k2", 3.2)), "potassium-low")).isNotNull();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void anAcceptedTestIsNotOfferedAgainUntilItResults(String db) throws Exception {
    TestClock clock = new TestClock();
    try (MineralCds app = MineralCds.start(loopback(TestDatabases.fresh(db, tmp)), clock)) {
      JsonNode first = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
      JsonNode order = first.path("suggestions").get(0);
      assertThat(order.path("label").asText()).isEqualTo("Order magnesium");
      assertThat(
              feedback(app, accepted(first.path("uuid").asText(), order.path("uuid").asText()))
                  .statusCode())
          .isEqualTo(200);
      clock.now = clock.now.plus(Duration.ofDays(1));
      JsonNode again = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
      assertThat(again).isNotNull();
      assertThat(suggestionLabels(again)).doesNotContain("Order magnesium");

      // The window passes: offered again.
      clock.now = clock.now.plus(Duration.ofDays(8));
      assertThat(
              suggestionLabels(
                  card(cards(app, potassiumRequest("k1", 3.1, clock)), "potassium-low")))
          .contains("Order magnesium");
    }
  }

  @Test
  void feedbackIsValidatedIdempotentAndCounted() throws Exception {
    try (MineralCds app =
        MineralCds.start(loopback(TestDatabases.fresh("embedded", tmp)), new TestClock())) {
      JsonNode first = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
      String uuid = first.path("uuid").asText();
      String item = overridden(uuid, "not-clinically-relevant");
      assertThat(feedback(app, item).statusCode()).isEqualTo(200);
      assertThat(feedback(app, item).statusCode()).isEqualTo(200); // a retry: stored once

      // Unknown card: nothing changes, no error.
      assertThat(feedback(app, overridden(UUID.randomUUID().toString(), "x")).statusCode())
          .isEqualTo(200);
      // Bad input: clear 4xx.
      assertThat(
              feedback(
                      app,
                      "{\"card\":\""
                          + uuid
                          + "\",\"outcome\":\"ignored\",\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}")
                  .statusCode())
          .isEqualTo(400);
      assertThat(
              feedback(
                      app,
                      "{\"outcome\":\"overridden\",\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}")
                  .statusCode())
          .isEqualTo(400);
      String huge =
          "{\"card\":\""
              + uuid
              + "\",\"outcome\":\"overridden\",\"overrideReason\":{\"userComment\":\""
              + "x".repeat(5000)
              + "\"},\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}";
      assertThat(feedback(app, huge).statusCode()).isEqualTo(400);
      HttpResponse<String> notOnCard = feedback(app, accepted(uuid, UUID.randomUUID().toString()));
      assertThat(notOnCard.statusCode()).as(notOnCard.body()).isEqualTo(400);

      // The card log is written after the answer, by its own thread: read it once written.
      assertThat(app.memory().drain(Duration.ofSeconds(10))).isTrue();
      String from = "2026-11-01";
      JsonNode report =
          JSON.readTree(
              get(app.baseUrl() + "/admin/analytics?from=" + from + "&to=2026-12-31").body());
      assertThat(report.path("chartOpenings").asLong()).isEqualTo(1);
      JsonNode rule = report.path("topics").get(0);
      assertThat(rule.path("key").asText()).isEqualTo("potassium-low");
      assertThat(rule.path("shown").asLong()).isEqualTo(1);
      assertThat(rule.path("overridden").asLong()).isEqualTo(1);
      assertThat(rule.path("overridesByReason").path("not-clinically-relevant").asLong())
          .isEqualTo(1);
      assertThat(report.toString()).doesNotContain("hypokalemia-on-furosemide");
      String page =
          get(app.baseUrl() + "/admin/analytics.html?from=" + from + "&to=2026-12-31").body();
      assertThat(page).contains("<svg").contains("potassium-low").doesNotContain("<script");
      assertThat(get(app.baseUrl() + "/admin/analytics?from=nonsense").statusCode()).isEqualTo(400);
    }
  }

  @Test
  void silentRulesAreLoggedAndCountedButNotReturned() throws Exception {
    MemorySettings memory =
        TestDatabases.fresh("embedded", tmp)
            .withSilent(List.of(), List.of("potassium-low"))
            .withManagementPort(0);
    try (MineralCds app = MineralCds.start(loopback(memory), new TestClock())) {
      JsonNode all = cards(app, potassiumRequest("k1", 3.1));
      assertThat(card(all, "potassium-low")).isNull();
      assertThat(app.memory().drain(Duration.ofSeconds(10))).isTrue();
      // With a management port, analytics is served there and not on the main port.
      assertThat(get(app.baseUrl() + "/admin/analytics").statusCode()).isEqualTo(404);
      JsonNode report =
          JSON.readTree(
              get("http://127.0.0.1:"
                      + app.managementPort()
                      + "/admin/analytics?from=2026-11-01&to=2026-12-31")
                  .body());
      JsonNode topic = report.path("topics").get(0);
      assertThat(topic.path("key").asText()).isEqualTo("potassium-low");
      assertThat(topic.path("silent").asLong()).isEqualTo(1);
      assertThat(topic.path("shown").asLong()).isZero();
    }
  }

  /**
   * A silent rule the knowledge does not have is a configuration error that stops start-up, even
   * though the memory starts (and migrates) beside the knowledge loading; the memory it opened is
   * closed, so the data directory is free for the corrected start.
   */
  @Test
  void anUnknownSilentRuleStopsStartUpAndLeavesTheDatabaseUsable() throws Exception {
    MemorySettings memory =
        TestDatabases.fresh("embedded", tmp).withSilent(List.of(), List.of("no-such-rule"));
    assertThatThrownBy(() -> MineralCds.start(loopback(memory), new TestClock()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--silent-rules names unknown rule ids: [no-such-rule]");
    MemorySettings corrected = memory.withSilent(List.of(), List.of("potassium-low"));
    try (MineralCds app = MineralCds.start(loopback(corrected), new TestClock())) {
      assertThat(card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low")).isNull();
    }
  }

  @Test
  void aSilentIssuerGetsNoCardsWhileTheyAreLoggedAndCountedAndOtherIssuersStillSeeThem()
      throws Exception {
    // Silent mode per issuer: the hospital switches the service on for one EHR at a time. Local
    // callers are the issuer "local".
    MemorySettings silentForLocal =
        TestDatabases.fresh("embedded", tmp).withSilent(List.of("local"), List.of());
    try (MineralCds app = MineralCds.start(loopback(silentForLocal), new TestClock())) {
      assertThat(cards(app, potassiumRequest("k1", 3.1))).isEmpty();
      assertThat(app.memory().drain(Duration.ofSeconds(10))).isTrue();
      JsonNode report =
          JSON.readTree(
              get(app.baseUrl() + "/admin/analytics?from=2026-11-01&to=2026-12-31").body());
      JsonNode issuer = report.path("issuers").get(0);
      assertThat(issuer.path("key").asText()).isEqualTo("local");
      assertThat(issuer.path("silent").asLong()).isPositive();
      assertThat(issuer.path("shown").asLong()).isZero();
      assertThat(report.path("chartOpenings").asLong()).isEqualTo(1);
    }
    MemorySettings silentForAnother =
        TestDatabases.fresh("embedded", tmp)
            .withSilent(List.of("https://another-ehr.example.org"), List.of());
    try (MineralCds app = MineralCds.start(loopback(silentForAnother), new TestClock())) {
      assertThat(card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low")).isNotNull();
    }
  }

  @Test
  void withTheDatabaseDownHookCallsAnswerFeedbackIsRefusedAndTheReplicaIsNotReady()
      throws Exception {
    // Nothing listens on port 9 of loopback: the database is down from the start.
    MemorySettings down = MemorySettings.postgres("jdbc:postgresql://127.0.0.1:9/none", "u", "p");
    try (MineralCds app = MineralCds.start(loopback(down), new TestClock())) {
      JsonNode cards = cards(app, potassiumRequest("k1", 3.1));
      JsonNode first = card(cards, "potassium-low");
      assertThat(first).isNotNull();
      HttpResponse<String> fb =
          feedback(app, overridden(first.path("uuid").asText(), "already-addressed"));
      assertThat(fb.statusCode()).isEqualTo(503);
      assertThat(fb.headers().firstValue("Retry-After")).isPresent();
      HttpResponse<String> ready = get(app.baseUrl() + "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("\"memory\":\"DOWN\"");
      assertThat(get(app.baseUrl() + "/metrics").body())
          .contains("mineralcds_memory_events_total{event=\"suppression-skipped\"}");
    }
  }
}
