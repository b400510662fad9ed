package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;

/** At its limit of concurrent hook calls the service answers 503 with Retry-After at once. */
class ConcurrencyLimitTest {

  @Test
  void aSecondCallBeyondTheLimitGets503AndTheServiceRecovers() throws Exception {
    try (Support.StubFhir slow = Support.emptyFhir(1_500);
        MineralCds service =
            Support.start(
                Support.config(
                    Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(6), 1))) {
      String url = service.baseUrl() + Support.SERVICE_PATH;
      String body = Support.hookRequest("limit-patient", slow.base(), "limit-token").toString();

      CompletableFuture<HttpResponse<String>> first = Support.postAsync(url, body);
      // The first call holds the only slot once its FHIR queries have reached the stub.
      assertThat(slow.firstRequest.await(10, TimeUnit.SECONDS)).isTrue();

      long started = System.nanoTime();
      HttpResponse<String> second = Support.post(url, body);
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertThat(first).as("the first call is still in flight").isNotDone();
      assertThat(second.statusCode()).as(second.body()).isEqualTo(503);
      assertThat(second.headers().firstValue("Retry-After")).contains("1");
      assertThat(Support.diagnostics(second)).contains("limit");
      assertThat(millis).as("a refusal does not wait for the slot").isLessThan(1_000);

      HttpResponse<String> firstResponse = first.get(20, TimeUnit.SECONDS);
      assertThat(firstResponse.statusCode()).as(firstResponse.body()).isEqualTo(200);
      assertThat(firstResponse.body()).isEqualTo("{\"cards\":[]}");

      HttpResponse<String> third = Support.post(url, body);
      assertThat(third.statusCode()).as(third.body()).isEqualTo(200);

      String scrape = Support.get(service.baseUrl() + "/metrics").body();
      assertThat(Support.sample(scrape, "mineralcds_hook_rejected_total")).isEqualTo(1.0);
      assertThat(scrape)
          .contains("mineralcds_http_requests_total{endpoint=\"service\",status=\"503\"} 1.0");
    }
  }
}
