package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.FhirLimits;
import org.mineralcds.config.ServiceConfig;

/**
 * Hook calls use the CPU a few at a time (two per core), but a call waiting on the network, for its
 * FHIR server or for its own request body, holds no CPU slot: more such calls than slots never keep
 * other calls waiting.
 */
class NetworkWaitsTest {

  private static final Pattern PATIENT = Pattern.compile("waits-(\\d+)");

  /** The first round's requests, and the pending orders' when a card suggests a test. */
  private static final int REQUESTS_PER_CALL_AT_MOST = 5;

  /** A limit of concurrent hook calls that admits this many calls at once. */
  private static int roomForCalls(int calls) {
    return Math.max(ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS, calls + 4);
  }

  @Test
  void moreCallsThanCpuSlotsWaitForTheirFhirServerTogether() throws Exception {
    int calls = 2 * Runtime.getRuntime().availableProcessors() + 2;
    Set<String> patientsWaiting = ConcurrentHashMap.newKeySet();
    CountDownLatch allWaiting = new CountDownLatch(calls);
    // Each call's first query is held until every call has a query waiting here: were a call to
    // keep its CPU slot while it waits, the calls beyond the slots could not get here and all
    // would time out. (One held query per call keeps the stub's threads enough on any machine.)
    try (Support.StubFhir fhir =
            new Support.StubFhir(
                (stub, request, response, callback) -> {
                  Matcher m = PATIENT.matcher(Support.target(request));
                  if (m.find() && patientsWaiting.add(m.group())) {
                    allWaiting.countDown();
                    allWaiting.await(25, TimeUnit.SECONDS);
                  }
                  Support.fhirJson(response, callback, 200, Support.searchset());
                });
        // Room for every call and for all the requests they send at once (whatever the number of
        // cores): this test is about CPU slots, not the limit of concurrent hook calls nor the
        // per-server request limit (ConcurrencyLimitTest, FhirQueryPlanTest).
        MineralCds service =
            Support.start(
                Support.config(
                    // Generous waits: on a slow or busy machine the last call may reach the
                    // server seconds after the first, whose queries wait for it.
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(30),
                    roomForCalls(calls),
                    new FhirLimits(
                        Math.max(64, REQUESTS_PER_CALL_AT_MOST * calls), 8_000_000, 64_000_000)))) {
      String url = service.baseUrl() + Support.SERVICE_PATH;
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        String body = Support.hookRequest("waits-" + i, fhir.base(), "waits-token").toString();
        answers.add(Support.postAsync(url, body));
      }
      assertThat(allWaiting.await(20, TimeUnit.SECONDS))
          .as("calls waiting on the FHIR server at once: %s", patientsWaiting)
          .isTrue();
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      }
    }
  }

  @Test
  void clientsSendingTheirBodySlowlyDoNotHoldUpOtherCalls() throws Exception {
    int slowClients = 2 * Runtime.getRuntime().availableProcessors() + 2;
    // Room for every slow client and the probe: they test the CPU slots, not the call limit.
    probedBesideSlowClients(slowClients, roomForCalls(slowClients + 1));
  }

  @Test
  void aCallLimitAboveTheDefaultThreadPoolKeepsCallsAndHealthAnswered() throws Exception {
    // An operator raised --max-concurrent-hooks to 120 and 100 clients dribble their bodies: the
    // HTTP threads grow with the limit, so the health probe and a new call are still answered.
    probedBesideSlowClients(100, 120);
  }

  /**
   * Opens {@code slowClients} connections that send a hook call's headers and the first bytes of
   * its body, waits until the service has admitted them all, then expects a health probe and a hook
   * call to be answered at once.
   */
  private static void probedBesideSlowClients(int slowClients, int callLimit) throws Exception {
    ServiceConfig defaults = Support.defaultConfig();
    try (MineralCds service =
        Support.start(
            Support.config(
                defaults.fhirConnectTimeout(),
                defaults.fhirReadTimeout(),
                defaults.hookDeadline(),
                callLimit))) {
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < slowClients; i++) {
          Socket socket = new Socket("127.0.0.1", service.port());
          OutputStream out = socket.getOutputStream();
          out.write(
              ("POST "
                      + Support.SERVICE_PATH
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                      + "{\"hookInstance\":")
                  .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          slow.add(socket);
        }
        // Every slow client is inside the service, holding a call slot while it waits for the
        // rest of its body (the in-flight gauge says so).
        String admitted = "mineralcds_hook_calls_in_flight " + slowClients + ".0";
        String scrape = "";
        for (long deadline = System.nanoTime() + 10_000_000_000L;
            !scrape.contains(admitted) && System.nanoTime() < deadline; ) {
          Thread.sleep(20);
          scrape = getAtOnce(service.baseUrl() + "/metrics").body();
        }
        assertThat(scrape).contains(admitted);

        assertThat(getAtOnce(service.baseUrl() + "/health/ready").statusCode()).isEqualTo(200);
        String body = Support.hookRequest("slow-bodies", null, null).toString();
        HttpResponse<String> response =
            Support.HTTP.send(
                HttpRequest.newBuilder(URI.create(service.baseUrl() + Support.SERVICE_PATH))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        // Answered at once: 412, as the request has neither prefetch nor fhirServer.
        assertThat(response.statusCode()).as(response.body()).isEqualTo(412);
      } finally {
        for (Socket socket : slow) {
          socket.close();
        }
      }
    }
  }

  /** A GET that must be answered within 5 s (a starved service fails it, not stalls it). */
  private static HttpResponse<String> getAtOnce(String url) throws Exception {
    return Support.HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
