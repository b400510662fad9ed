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

  @Test
  void moreCallsThanCpuSlotsWaitForTheirFhirServerTogether() throws Exception {
    int calls = 2 * Runtime.getRuntime().availableProcessors() + 2;
    Set<String> patientsWaiting = ConcurrentHashMap.newKeySet();
    CountDownLatch allWaiting = new CountDownLatch(calls);
    // Each query is held until every call has a query waiting here: were a call to keep its CPU
    // slot while it waits, the calls beyond the slots could not get here and all would time out.
    try (Support.StubFhir fhir =
            new Support.StubFhir(
                (stub, request, response, callback) -> {
                  Matcher m = PATIENT.matcher(Support.target(request));
                  if (m.find() && patientsWaiting.add(m.group())) {
                    allWaiting.countDown();
                  }
                  allWaiting.await(20, TimeUnit.SECONDS);
                  Support.fhirJson(response, callback, 200, Support.searchset());
                });
        // As many requests in flight to the server as all the calls send at once: this test is
        // about CPU slots, not the per-server request limit (FhirLimitsTest).
        MineralCds service =
            Support.start(
                Support.config(
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(10),
                    ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS,
                    new FhirLimits(64, 8_000_000, 64_000_000)))) {
      String url = service.baseUrl() + Support.SERVICE_PATH;
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        String body = Support.hookRequest("waits-" + i, fhir.base(), "waits-token").toString();
        answers.add(Support.postAsync(url, body));
      }
      assertThat(allWaiting.await(5, TimeUnit.SECONDS))
          .as("calls waiting on the FHIR server at once: %s", patientsWaiting)
          .isTrue();
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      }
    }
  }

  @Test
  void clientsSendingTheirBodySlowlyDoNotHoldUpOtherCalls() throws Exception {
    int slowClients = 2 * Runtime.getRuntime().availableProcessors() + 2;
    try (MineralCds service = Support.start(Support.defaultConfig())) {
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
        // Every slow client is now inside the service, waiting for the rest of its body.
        Thread.sleep(300);
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
}
