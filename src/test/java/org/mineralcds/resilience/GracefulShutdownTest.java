package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * Closing the service (SIGTERM) lets the hook calls in flight finish, takes no new connections,
 * answers readiness 503 meanwhile, and writes the card log before it returns.
 */
class GracefulShutdownTest {

  @Test
  void aCallInFlightCompletesAndNewConnectionsAreRefused() throws Exception {
    try (Support.StubFhir slow = Support.emptyFhir(1_000)) {
      MineralCds service = Support.start(Support.defaultConfig());
      try {
        closeDuringACall(slow, service);
      } finally {
        service.close(); // idempotent: a no-op when the test already closed it
      }
    }
  }

  private static void closeDuringACall(Support.StubFhir slow, MineralCds service) throws Exception {
    int port = service.port();
    String url = service.baseUrl() + Support.SERVICE_PATH;
    CompletableFuture<HttpResponse<String>> inFlight =
        Support.HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        Support.hookRequest("shutdown-patient", slow.base(), "shutdown-token")
                            .toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(slow.firstRequest.await(10, TimeUnit.SECONDS)).isTrue();

    Thread closer = new Thread(service::close, "test-closer");
    long closing = System.nanoTime();
    closer.start();

    // While the call is still in flight, the listener stops taking connections.
    boolean refusedWhileInFlight = false;
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!inFlight.isDone() && System.nanoTime() < until) {
      if (!connects(port)) {
        refusedWhileInFlight = !inFlight.isDone();
        break;
      }
      Thread.sleep(20);
    }

    HttpResponse<String> response = inFlight.get(20, TimeUnit.SECONDS);
    assertThat(response.statusCode()).as(response.body()).isIn(200, 412);
    assertThat(Support.JSON.readTree(response.body()).isObject()).isTrue();
    if (response.statusCode() == 200) {
      assertThat(response.body()).isEqualTo("{\"cards\":[]}");
    }

    closer.join(15_000);
    assertThat(closer.isAlive()).as("close() returned").isFalse();
    long closeMillis = (System.nanoTime() - closing) / 1_000_000;
    System.out.println(
        "GracefulShutdownTest: in-flight call -> "
            + response.statusCode()
            + ", close() took "
            + closeMillis
            + " ms, refused while in flight: "
            + refusedWhileInFlight);

    assertThat(refusedWhileInFlight).as("new connections refused during shutdown").isTrue();
    assertThatThrownBy(
            () -> {
              try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
              }
            })
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void stoppingTurnsReadinessDownAndFlushesTheCardLogOfTheCallsItFinished(@TempDir Path tmp)
      throws Exception {
    Path data = tmp.resolve("data");
    try (Support.StubFhir slow = Support.emptyFhir(2_000)) {
      MineralCds service =
          Support.start(Support.defaultConfig().withMemory(MemorySettings.embedded(data)));
      // One client, one kept-alive connection, opened before the stop (as a load balancer's).
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest ready =
          HttpRequest.newBuilder(URI.create(service.baseUrl() + "/health/ready")).build();
      try {
        assertThat(client.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode())
            .isEqualTo(200);
        CompletableFuture<HttpResponse<String>> inFlight =
            Support.HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(service.baseUrl() + Support.SERVICE_PATH))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            Support.hookRequest("shutdown-patient", slow.base(), "t").toString()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(slow.firstRequest.await(10, TimeUnit.SECONDS)).isTrue();
        Thread closer = new Thread(service::close, "test-closer");
        closer.start();
        // Not ready while stopping: the probe's connection is refused (Jetty closes idle
        // connections and the listener), or, on a connection still open, readiness says 503.
        // Probed until the closer has begun (its thread may start late on a busy machine), well
        // within the 2 s the FHIR server takes to answer the call in flight.
        int whileStopping = 200;
        for (long deadline = System.nanoTime() + 1_500_000_000L;
            whileStopping == 200 && System.nanoTime() < deadline; ) {
          Thread.sleep(20);
          try {
            whileStopping = client.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode();
          } catch (java.io.IOException refused) {
            whileStopping = -1;
          }
        }
        assertThat(inFlight).as("still in flight").isNotDone();
        assertThat(whileStopping).isIn(-1, 503);

        assertThat(inFlight.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        closer.join(15_000);
        assertThat(closer.isAlive()).isFalse();
      } finally {
        service.close();
      }
    }
    // The call that finished during the stop is in the card log: the queue was written.
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + data.toAbsolutePath().resolve("mineral-cds.db"));
        ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM call_log")) {
      r.next();
      assertThat(r.getInt(1)).isEqualTo(1);
    }
  }

  private static boolean connects(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
