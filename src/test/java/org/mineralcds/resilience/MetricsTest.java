package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;

/** /metrics in the Prometheus text format: requests, hook latency, cards, FHIR fetches. */
class MetricsTest {

  private static final String PATIENT = "hypokalemia-on-furosemide";
  private static final String TOKEN = "metrics-token-91d0";

  @Test
  void metricsCountTheCallsAndCarryNoPatientData() throws Exception {
    try (MineralCds service = Support.start(Support.defaultConfig())) {
      String base = service.baseUrl();
      assertThat(Support.get(base + "/cds-services").statusCode()).isEqualTo(200);

      HttpResponse<String> cards =
          Support.post(base + Support.SERVICE_PATH, Support.exampleRequest(PATIENT).toString());
      assertThat(cards.statusCode()).as(cards.body()).isEqualTo(200);
      assertThat(cards.body()).contains("potassium-low");

      int closedPort;
      try (ServerSocket socket = new ServerSocket(0)) {
        closedPort = socket.getLocalPort();
      }
      HttpResponse<String> unreachable =
          Support.post(
              base + Support.SERVICE_PATH,
              Support.hookRequest(PATIENT, "http://127.0.0.1:" + closedPort + "/fhir", TOKEN)
                  .toString());
      assertThat(unreachable.statusCode()).isEqualTo(412);

      HttpResponse<String> missing = Support.post(base + "/cds-services/no-such-service", "{}");
      assertThat(missing.statusCode()).isEqualTo(404);

      // A request is counted, and its call slot given back, once its handler returns, which may
      // be just after its client has the answer: scrape until the last one (the 404) is counted
      // and no call is in flight.
      String lastCounted =
          "mineralcds_http_requests_total{endpoint=\"service\",status=\"404\"} 1.0";
      String noneInFlight = "mineralcds_hook_calls_in_flight 0.0";
      HttpResponse<String> metrics = Support.get(base + "/metrics");
      for (long deadline = System.nanoTime() + 5_000_000_000L;
          !(metrics.body().contains(lastCounted) && metrics.body().contains(noneInFlight))
              && System.nanoTime() < deadline; ) {
        Thread.sleep(20);
        metrics = Support.get(base + "/metrics");
      }
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
      String scrape = metrics.body();
      System.out.println("MetricsTest scrape:\n" + scrape);

      assertThat(scrape)
          .contains("mineralcds_http_requests_total{endpoint=\"discovery\",status=\"200\"} 1.0")
          .contains("mineralcds_http_requests_total{endpoint=\"service\",status=\"200\"} 1.0")
          .contains("mineralcds_http_requests_total{endpoint=\"service\",status=\"412\"} 1.0")
          .contains("mineralcds_http_requests_total{endpoint=\"service\",status=\"404\"} 1.0")
          .contains("mineralcds_hook_duration_seconds_bucket{")
          .contains(
              "mineralcds_hook_duration_seconds_count{outcome=\"ok\",service=\"mineral-balance\"} 1")
          .contains(
              "mineralcds_hook_duration_seconds_count{outcome=\"412\",service=\"mineral-balance\"} 1")
          // The text writer orders labels by name: indicator before topic.
          .contains("mineralcds_cards_total{indicator=\"warning\",topic=\"potassium-low\"} 1.0")
          .contains("mineralcds_fhir_fetch_duration_seconds_bucket{")
          .contains("mineralcds_fhir_fetch_duration_seconds_count{outcome=\"failed\"}")
          .contains("mineralcds_fhir_fetch_failures_total{reason=\"connect\"}")
          .contains("mineralcds_hook_rejected_total 0.0")
          .contains(noneInFlight)
          .contains("mineralcds_hook_calls_limit 32.0");

      assertThat(scrape)
          .doesNotContain(PATIENT)
          .doesNotContain(TOKEN)
          .doesNotContain("Lindqvist")
          .doesNotContain("Margaret")
          .doesNotContain("mmol")
          .doesNotContain("no-such-service");
    }
  }
}
