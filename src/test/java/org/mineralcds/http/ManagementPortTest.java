package org.mineralcds.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.config.TestServiceConfigs.loopback;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * {@code /metrics} is not on the public port when a management port is set: it is served there
 * (with the admin endpoints) and the main port answers 404. Without a management port it answers
 * loopback callers on the main port (the existing metrics tests).
 */
class ManagementPortTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withAManagementPortMetricsLeaveTheMainPort() throws Exception {
    int managementPort;
    try (ServerSocket s = new ServerSocket(0)) {
      managementPort = s.getLocalPort();
    }
    MemorySettings withPort =
        new MemorySettings(
            false,
            null,
            null,
            null,
            null,
            null,
            365,
            30,
            java.util.Map.of(),
            30,
            List.of(),
            List.of(),
            managementPort,
            50);
    try (MineralCds app = MineralCds.start(loopback(withPort), java.time.Clock.systemUTC())) {
      assertThat(get(app.baseUrl() + "/health/ready").statusCode()).isEqualTo(200);
      assertThat(get(app.baseUrl() + "/metrics").statusCode()).isEqualTo(404);
      HttpResponse<String> metrics = get("http://127.0.0.1:" + app.managementPort() + "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("mineralcds_");
      // The management port serves nothing of the public API.
      assertThat(get("http://127.0.0.1:" + app.managementPort() + "/cds-services").statusCode())
          .isEqualTo(404);
    }
  }
}
