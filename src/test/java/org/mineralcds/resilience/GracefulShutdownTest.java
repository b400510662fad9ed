package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;

/** Closing the service lets the hook calls in flight finish and takes no new connections. */
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

  private static boolean connects(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
