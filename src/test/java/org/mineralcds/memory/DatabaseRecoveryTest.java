package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.config.TestServiceConfigs.loopback;
import static org.mineralcds.memory.MemoryServiceTest.TestClock;
import static org.mineralcds.memory.MemoryServiceTest.card;
import static org.mineralcds.memory.MemoryServiceTest.cards;
import static org.mineralcds.memory.MemoryServiceTest.feedback;
import static org.mineralcds.memory.MemoryServiceTest.get;
import static org.mineralcds.memory.MemoryServiceTest.overridden;
import static org.mineralcds.memory.MemoryServiceTest.potassiumRequest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * PostgreSQL goes away under a running service and comes back: hook calls answer throughout, the
 * feedback refused meanwhile (503) is accepted once the database is back, readiness follows, and
 * the card log written while it was away catches up. The database is reached through a TCP relay
 * the test cuts (every connection closed, new ones refused) and restores on the same port.
 */
class DatabaseRecoveryTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A TCP relay on loopback to the test PostgreSQL that can be cut and restored. */
  static final class Relay implements AutoCloseable {
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final int port;
    private volatile ServerSocket listener;

    Relay(int targetPort) throws IOException {
      this.targetPort = targetPort;
      this.port = listen(0);
    }

    int port() {
      return port;
    }

    private int listen(int at) throws IOException {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), at));
      listener = s;
      Thread accept =
          new Thread(
              () -> {
                while (!s.isClosed()) {
                  try {
                    Socket client = s.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    open.add(client);
                    open.add(server);
                    pump(client, server);
                    pump(server, client);
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "relay-accept");
      accept.setDaemon(true);
      accept.start();
      return s.getLocalPort();
    }

    private void pump(Socket from, Socket to) {
      Thread t =
          new Thread(
              () -> {
                byte[] buffer = new byte[16_384];
                try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                  int n;
                  while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                } catch (IOException e) {
                  // cut: the other direction ends too
                } finally {
                  closeQuietly(from);
                  closeQuietly(to);
                }
              },
              "relay-pump");
      t.setDaemon(true);
      t.start();
    }

    /** The database goes away: connections cut, new ones refused. */
    void cut() throws IOException {
      listener.close();
      for (Socket s : open) {
        closeQuietly(s);
      }
      open.clear();
    }

    /** The database is back, on the same address. */
    void restore() throws IOException {
      listen(port);
    }

    @Override
    public void close() throws IOException {
      cut();
    }

    private static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }

  @Test
  void theServiceRecoversWhenPostgresqlComesBack() throws Exception {
    Assumptions.assumeTrue(TestDatabases.postgresUrl() != null, "needs the test PostgreSQL");
    String direct = TestDatabases.freshPostgresUrl();
    URI db = URI.create(direct.substring("jdbc:".length()));
    try (Relay relay = new Relay(db.getPort())) {
      String viaRelay =
          "jdbc:postgresql://127.0.0.1:" + relay.port() + db.getPath() + "?connectTimeout=2";
      MemorySettings memory =
          MemorySettings.postgres(viaRelay, TestDatabases.user(), TestDatabases.password());
      try (MineralCds app = MineralCds.start(loopback(memory), new TestClock())) {
        JsonNode before = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
        assertThat(before).isNotNull();
        assertThat(app.memory().drain(Duration.ofSeconds(10))).isTrue();

        relay.cut();
        // Care goes on: the card is computed and returned (suppression could not be checked).
        JsonNode during = card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low");
        assertThat(during).isNotNull();
        String override = overridden(during.path("uuid").asText(), "already-addressed");
        assertThat(feedback(app, override).statusCode()).isEqualTo(503);
        assertThat(get(app.baseUrl() + "/health/ready").statusCode()).isEqualTo(503);

        relay.restore();
        // The EHR retries its feedback: accepted once the database answers again (the service
        // looks again after a short back-off), and the card logged while it was away is there.
        int status = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
          status = feedback(app, override).statusCode();
          if (status == 200) {
            break;
          }
          assertThat(status).isEqualTo(503);
          Thread.sleep(250);
        }
        assertThat(status).as("feedback accepted after the database came back").isEqualTo(200);
        HttpResponse<String> ready = get(app.baseUrl() + "/health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(card(cards(app, potassiumRequest("k1", 3.1)), "potassium-low"))
            .as("overridden while the database was away, suppressed now")
            .isNull();
        assertThat(app.memory().drain(Duration.ofSeconds(20))).isTrue();
        JsonNode report =
            JSON.readTree(
                get(app.baseUrl() + "/admin/analytics?from=2026-11-01&to=2026-12-31").body());
        assertThat(report.path("chartOpenings").asLong())
            .as("every call is in the card log, the one made while it was away too")
            .isEqualTo(3);
      }
    }
  }
}
