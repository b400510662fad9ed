package org.mineralcds.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.config.TestServiceConfigs.everyInterface;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * Who counts as a local caller for {@code /metrics}, the analytics and the hook calls of an
 * unconfigured service, over real connections: the service listens on every interface and is called
 * through a non-loopback address of this machine (the connection then comes from that address, not
 * from loopback), and through loopback with the headers a same-host proxy adds. With a management
 * port, the main port serves no {@code /metrics} to anyone.
 */
class LocalCallersTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path tmp;

  /** An IPv4 address of this machine that is not loopback; the test is skipped without one. */
  private static String nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a.getHostAddress();
        }
      }
    }
    Assumptions.abort("this machine has no non-loopback IPv4 address");
    return null;
  }

  private static int get(String url, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void withoutAManagementPortOnlyLoopbackCallersNotRelayedByAProxyAreLocal() throws Exception {
    String remote = nonLoopbackAddress();
    try (MineralCds app =
        MineralCds.start(
            everyInterface(MemorySettings.embedded(tmp.resolve("data"))), Clock.systemUTC())) {
      String loopback = "http://127.0.0.1:" + app.port();
      String viaNetwork = "http://" + remote + ":" + app.port();
      for (String path : List.of("/metrics", "/admin/analytics", "/admin/analytics.html")) {
        assertThat(get(loopback + path, Map.of())).as(path).isEqualTo(200);
        // A caller on the network: as if the endpoint did not exist.
        assertThat(get(viaNetwork + path, Map.of())).as(path).isEqualTo(404);
        // A same-host proxy relaying a remote client: not local either.
        for (Map<String, String> relayed :
            List.of(
                Map.of("X-Forwarded-For", "203.0.113.9"),
                Map.of("Forwarded", "for=203.0.113.9"),
                Map.of("X-Real-IP", "203.0.113.9"))) {
          assertThat(get(loopback + path, relayed)).as(path + " " + relayed).isEqualTo(404);
        }
      }
      // The hook endpoints of this unconfigured service follow the same rule (401).
      assertThat(get(loopback + "/cds-services", Map.of())).isEqualTo(200);
      assertThat(get(viaNetwork + "/cds-services", Map.of())).isEqualTo(401);
      assertThat(get(loopback + "/cds-services", Map.of("X-Forwarded-For", "203.0.113.9")))
          .isEqualTo(401);
      // Health answers everyone.
      assertThat(get(viaNetwork + "/health/ready", Map.of())).isEqualTo(200);
    }
  }

  @Test
  void withAManagementPortTheMainPortServesNoMetricsToAnyone() throws Exception {
    String remote = nonLoopbackAddress();
    int managementPort;
    try (ServerSocket s = new ServerSocket(0)) {
      managementPort = s.getLocalPort();
    }
    MemorySettings withPort =
        new MemorySettings(
            true,
            tmp.resolve("data"),
            null,
            null,
            null,
            null,
            365,
            30,
            Map.of(),
            30,
            List.of(),
            List.of(),
            managementPort,
            50);
    try (MineralCds app = MineralCds.start(everyInterface(withPort), Clock.systemUTC())) {
      for (String base :
          List.of("http://127.0.0.1:" + app.port(), "http://" + remote + ":" + app.port())) {
        assertThat(get(base + "/metrics", Map.of())).as(base).isEqualTo(404);
        assertThat(get(base + "/admin/analytics", Map.of())).as(base).isEqualTo(404);
      }
      // The management port answers whoever reaches it (keep it off the EHRs' network).
      assertThat(get("http://127.0.0.1:" + app.managementPort() + "/metrics", Map.of()))
          .isEqualTo(200);
      assertThat(get("http://" + remote + ":" + app.managementPort() + "/metrics", Map.of()))
          .isEqualTo(200);
    }
  }
}
