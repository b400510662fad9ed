package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.ServiceConfig;

/**
 * A FHIR server that hangs, is slow, fails, refuses, or talks nonsense must cost the clinician at
 * most the hook deadline: the service answers in time, with a 412 naming the lab keys and the
 * reason when lab data is missing, or with cards that say what was not available.
 */
class FaultToleranceTest {

  private static final Duration CONNECT = Duration.ofMillis(500);
  private static final Duration READ = Duration.ofMillis(1500);
  private static final Duration DEADLINE = Duration.ofMillis(2000);
  private static final long BOUND_MS = DEADLINE.toMillis() + 1_000;
  private static final String TOKEN = "fault-token-2b9e";
  private static final List<String> LAB_KEYS = List.of("labs");

  private static MineralCds service;
  private static final Map<String, Long> MEASURED = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    service =
        Support.start(
            Support.config(CONNECT, READ, DEADLINE, ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS));
    // Warm up the service's parsers and client so the first fault is not measured cold.
    try (Support.StubFhir empty = Support.answering(200, Support.searchset())) {
      Support.post(
          service.baseUrl() + Support.SERVICE_PATH,
          Support.hookRequest("warm-up", empty.base(), TOKEN).toString());
    }
  }

  @AfterAll
  static void stop() {
    service.close();
    System.out.println("FaultToleranceTest response times (ms): " + MEASURED);
  }

  /** One hook call against {@code stub}, timed; the response must arrive within the bound. */
  private static HttpResponse<String> call(Support.StubFhir stub, String fault) throws Exception {
    long started = System.nanoTime();
    HttpResponse<String> response =
        Support.post(
            service.baseUrl() + Support.SERVICE_PATH,
            Support.hookRequest("fault-" + fault, stub.base(), TOKEN).toString());
    long millis = (System.nanoTime() - started) / 1_000_000;
    MEASURED.put(fault + "->" + response.statusCode(), millis);
    assertThat(millis)
        .as("%s answered %d in %d ms", fault, response.statusCode(), millis)
        .isLessThan(BOUND_MS);
    return response;
  }

  /** A 412 whose OperationOutcome names at least one lab key and {@code reason}. */
  private static void assert412(HttpResponse<String> response, String reason) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(412);
    String diagnostics = Support.diagnostics(response);
    assertThat(LAB_KEYS).anyMatch(diagnostics::contains);
    assertThat(diagnostics).contains(reason).doesNotContain(TOKEN);
  }

  @Test
  void aHangingServerCostsAtMostTheDeadlineAndHealthChecksKeepAnswering() throws Exception {
    try (Support.StubFhir hanging =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              stub.hang();
              Support.fhirJson(response, callback, 503, "{}");
            })) {
      long started = System.nanoTime();
      CompletableFuture<HttpResponse<String>> inFlight =
          Support.HTTP.sendAsync(
              HttpRequest.newBuilder(URI.create(service.baseUrl() + Support.SERVICE_PATH))
                  .header("Content-Type", "application/json")
                  .timeout(Duration.ofSeconds(30))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          Support.hookRequest("fault-hang", hanging.base(), TOKEN).toString()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(hanging.firstRequest.await(5, TimeUnit.SECONDS)).isTrue();

      // While the FHIR calls hang, the service keeps answering health checks promptly.
      for (String path : List.of("/health/live", "/health/ready", "/cds-services")) {
        long t = System.nanoTime();
        HttpResponse<String> health = Support.get(service.baseUrl() + path);
        long ms = (System.nanoTime() - t) / 1_000_000;
        MEASURED.put("hang:" + path, ms);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(ms).as("%s during a hang took %d ms", path, ms).isLessThan(500);
      }
      assertThat(inFlight).as("the hook call is still waiting on the FHIR server").isNotDone();

      HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
      long millis = (System.nanoTime() - started) / 1_000_000;
      MEASURED.put("a-hang->" + response.statusCode(), millis);
      assertThat(millis).as("hang answered in %d ms", millis).isLessThan(BOUND_MS);
      assert412(response, "did not answer");
    }
  }

  @Test
  void aSlowServerIsCutOffWithinTheBound() throws Exception {
    try (Support.StubFhir slow =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              stub.delay(2_000);
              Support.fhirJson(response, callback, 200, Support.searchset());
            })) {
      HttpResponse<String> response = call(slow, "b-slow");
      assertThat(response.statusCode()).as(response.body()).isIn(200, 412);
      if (response.statusCode() == 412) {
        assert412(response, "did not answer");
      }
    }
  }

  @Test
  void aServerError500Is412NamingTheStatus() throws Exception {
    try (Support.StubFhir failing =
        Support.answering(
            500,
            "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                + "\"code\":\"exception\",\"diagnostics\":\"boom\"}]}")) {
      assert412(call(failing, "c-500"), "HTTP 500");
    }
  }

  @Test
  void anUnauthorized401Is412NamingTheStatus() throws Exception {
    try (Support.StubFhir refusing =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              response.getHeaders().put("WWW-Authenticate", "Bearer error=\"invalid_token\"");
              Support.fhirJson(
                  response,
                  callback,
                  401,
                  "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                      + "\"code\":\"login\"}]}");
            })) {
      HttpResponse<String> response = call(refusing, "d-401");
      assert412(response, "HTTP 401");
      assertThat(refusing.authorizations).allMatch(("Bearer " + TOKEN)::equals);
    }
  }

  @Test
  void garbageIs412() throws Exception {
    try (Support.StubFhir garbage = Support.answering(200, "not json")) {
      HttpResponse<String> response = call(garbage, "e-garbage");
      assert412(response, "FHIR server");
      assertThat(Support.diagnostics(response)).doesNotContain("not json");
    }
  }

  @Test
  void jsonThatIsNotFhirIs412() throws Exception {
    try (Support.StubFhir notFhir = Support.answering(200, "{\"hello\":\"world\",\"n\":[1,2]}")) {
      HttpResponse<String> response = call(notFhir, "f-not-fhir");
      assert412(response, "FHIR server");
      assertThat(Support.diagnostics(response)).doesNotContain("hello");
    }
  }

  @Test
  void aMalformedResponseIsNotReportedAsAConnectionFailure() throws Exception {
    try (Support.StubFhir garbage = Support.answering(200, "not json")) {
      HttpResponse<String> response = call(garbage, "e-garbage-wording");
      assertThat(response.statusCode()).isEqualTo(412);
      assertThat(Support.diagnostics(response)).doesNotContain("could not connect");
    }
  }

  /**
   * Answers 200 and then sends one byte every 400 ms (below the read timeout) until the stub closes
   * or 16 s have passed, so only the hook deadline can cut it off.
   */
  private static Support.StubFhir trickling() throws Exception {
    return new Support.StubFhir(
        (stub, request, response, callback) -> {
          response.setStatus(200);
          response.getHeaders().put("Content-Type", "application/fhir+json");
          OutputStream out = Content.Sink.asOutputStream(response);
          out.write(
              "{\"resourceType\":\"Bundle\",\"type\":\"searchset\""
                  .getBytes(StandardCharsets.UTF_8));
          out.flush();
          for (int i = 0; i < 40 && stub.released.getCount() > 0; i++) {
            out.write(' ');
            out.flush();
            stub.delay(400);
          }
          out.write('}');
          out.close();
          callback.succeeded();
        });
  }

  @Test
  void aTricklingServerIsCutOffByTheHookDeadline() throws Exception {
    try (Support.StubFhir trickle = trickling()) {
      HttpResponse<String> response = call(trickle, "h-trickle");
      assert412(response, "within the deadline");
    }
  }

  @Test
  void aTricklingServerDoesNotStarveCallsToHealthyServers() throws Exception {
    try (Support.StubFhir trickle = trickling();
        Support.StubFhir healthy = Support.answering(200, Support.searchset())) {
      for (int i = 0; i < 3; i++) {
        assertThat(call(trickle, "h-trickle-" + i).statusCode()).isEqualTo(412);
      }
      HttpResponse<String> response = call(healthy, "h-healthy-after-trickle");
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }
  }

  @Test
  void failingOptionalKeysDegradeTheCardInsteadOfFailingTheCall() throws Exception {
    String patient = "fault-g-labs-only";
    String potassium =
        "{\"resourceType\":\"Observation\",\"id\":\"k1\",\"status\":\"final\","
            + "\"category\":[{\"coding\":[{\"system\":"
            + "\"http://terminology.hl7.org/CodeSystem/observation-category\","
            + "\"code\":\"laboratory\"}]}],"
            + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2823-3\"}],"
            + "\"text\":\"Potassium\"},"
            + "\"subject\":{\"reference\":\"Patient/"
            + patient
            + "\"},"
            + "\"effectiveDateTime\":\"2026-11-19T08:00:00Z\","
            + "\"issued\":\"2026-11-19T09:00:00Z\","
            + "\"valueQuantity\":{\"value\":3.1,\"unit\":\"mmol/L\","
            + "\"system\":\"http://unitsofmeasure.org\",\"code\":\"mmol/L\"}}";
    String patientResource =
        "{\"resourceType\":\"Patient\",\"id\":\""
            + patient
            + "\",\"gender\":\"female\",\"birthDate\":\"1960-05-01\"}";
    try (Support.StubFhir labsOnly =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              String path = request.getHttpURI().getPath();
              String query = String.valueOf(request.getHttpURI().getQuery());
              if (path.equals("/fhir/Patient/" + patient)) {
                Support.fhirJson(response, callback, 200, patientResource);
              } else if (path.equals("/fhir/Observation") && query.contains("2823-3")) {
                Support.fhirJson(response, callback, 200, Support.searchset(potassium));
              } else if (path.equals("/fhir/Observation")) {
                Support.fhirJson(response, callback, 200, Support.searchset());
              } else {
                Support.fhirJson(
                    response,
                    callback,
                    500,
                    "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                        + "\"code\":\"exception\"}]}");
              }
            })) {
      long started = System.nanoTime();
      HttpResponse<String> response =
          Support.post(
              service.baseUrl() + Support.SERVICE_PATH,
              Support.hookRequest(patient, labsOnly.base(), TOKEN).toString());
      long millis = (System.nanoTime() - started) / 1_000_000;
      MEASURED.put("g-optional-500->" + response.statusCode(), millis);
      assertThat(millis).isLessThan(BOUND_MS);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode cards = Support.JSON.readTree(response.body()).path("cards");
      assertThat(cards.size()).as(response.body()).isEqualTo(1);
      assertThat(cards.path(0).path("source").path("topic").path("code").asText())
          .isEqualTo("potassium-low");
      assertThat(cards.path(0).path("detail").asText())
          .contains("Not available for this evaluation")
          .contains("medication list");
      assertThat(labsOnly.targets)
          .anyMatch(t -> t.startsWith("/fhir/MedicationRequest"))
          .anyMatch(t -> t.startsWith("/fhir/MedicationStatement"))
          .anyMatch(t -> t.startsWith("/fhir/Condition"))
          .anyMatch(t -> t.startsWith("/fhir/ServiceRequest"));
    }
  }
}
