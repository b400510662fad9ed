package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.mineralcds.MineralCds;
import org.mineralcds.config.FhirLimits;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.demo.ScenarioFhirServer;
import org.mineralcds.demo.ScenarioStore;

/**
 * What the resilience tests share: the service on port 0 with a fixed clock, one HTTP client, stub
 * FHIR servers (Jetty handlers on 127.0.0.1), the scenario FHIR server, and a recording TCP
 * listener. Every address is on 127.0.0.0/8.
 */
final class Support {

  static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path EXAMPLES = Path.of("hooks/mineral-balance/examples");
  static final Path SCENARIOS = Path.of("fhir-resources/scenarios");
  static final String SERVICE_PATH = "/cds-services/" + MineralCds.SERVICE_ID;
  static final String FEEDBACK_PATH = SERVICE_PATH + "/feedback";

  /** One client for every test: HTTP/1.1 (no h2c upgrade attempt), bounded connect time. */
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private Support() {}

  /** The loopback-only default (no issuers), with the given timeouts and concurrency limit. */
  static ServiceConfig config(
      Duration connectTimeout, Duration readTimeout, Duration hookDeadline, int maxConcurrent) {
    return new ServiceConfig(
        "127.0.0.1",
        0,
        List.of("*"),
        List.of(),
        connectTimeout,
        readTimeout,
        hookDeadline,
        1_000_000,
        10,
        null,
        false,
        false,
        // As published at the default address: golden responses name their rule pages there.
        "http://127.0.0.1:8080",
        maxConcurrent,
        List.of(),
        false,
        ServiceConfig.DEFAULT_CLOCK_SKEW);
  }

  /** As {@link #config}, with these limits on what the service asks of FHIR servers. */
  static ServiceConfig config(
      Duration connectTimeout,
      Duration readTimeout,
      Duration hookDeadline,
      int maxConcurrent,
      FhirLimits fhirLimits) {
    ServiceConfig c = config(connectTimeout, readTimeout, hookDeadline, maxConcurrent);
    return new ServiceConfig(
        c.host(),
        c.port(),
        c.corsAllowedOrigins(),
        c.allowedFhirServers(),
        c.fhirConnectTimeout(),
        c.fhirReadTimeout(),
        c.hookDeadline(),
        c.maxBodyBytes(),
        c.maxFhirPages(),
        c.knowledgeDir(),
        c.demo(),
        c.insecureAllowRemoteUnauthenticated(),
        c.publicBaseUrl(),
        c.maxConcurrentHooks(),
        c.trustedIssuers(),
        c.allowSandboxIssuer(),
        c.clockSkew(),
        fhirLimits,
        c.now(),
        c.memory());
  }

  static ServiceConfig defaultConfig() {
    return config(
        Duration.ofSeconds(1),
        Duration.ofSeconds(3),
        Duration.ofSeconds(4),
        ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS);
  }

  static MineralCds start(ServiceConfig config) {
    return MineralCds.start(config, CLOCK);
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A patient-view request with no prefetch, fetching from {@code fhirServer} with a token. */
  static ObjectNode hookRequest(String patientId, String fhirServer, String token) {
    ObjectNode body = JSON.createObjectNode();
    body.put("hook", "patient-view");
    body.put("hookInstance", "0b6c2e3a-4f3d-4c1e-9a55-7d2f1e0c9b41");
    if (fhirServer != null) {
      body.put("fhirServer", fhirServer);
    }
    if (token != null) {
      ObjectNode auth = body.putObject("fhirAuthorization");
      auth.put("access_token", token);
      auth.put("token_type", "Bearer");
      auth.put("expires_in", 300);
      auth.put("scope", "patient/*.read");
      auth.put("subject", "mineral-cds");
    }
    ObjectNode context = body.putObject("context");
    context.put("userId", "Practitioner/example");
    context.put("patientId", patientId);
    return body;
  }

  static ObjectNode exampleRequest(String scenario) throws IOException {
    return (ObjectNode) JSON.readTree(EXAMPLES.resolve(scenario + ".request.json").toFile());
  }

  static JsonNode exampleResponse(String scenario) throws IOException {
    return JSON.readTree(EXAMPLES.resolve(scenario + ".response.json").toFile());
  }

  static HttpResponse<String> post(String url, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length == 0) {
      b.header("Content-Type", "application/json");
    } else {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A JSON POST sent without waiting for the answer (30 s timeout). */
  static CompletableFuture<HttpResponse<String>> postAsync(String url, String body) {
    return HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The body is a FHIR OperationOutcome with diagnostics; returns the diagnostics. */
  static String diagnostics(HttpResponse<String> response) throws IOException {
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("resourceType").asText())
        .as(response.body())
        .isEqualTo("OperationOutcome");
    String diagnostics = body.path("issue").path(0).path("diagnostics").asText();
    assertThat(diagnostics).as(response.body()).isNotBlank();
    assertThat(response.body()).doesNotContain("\tat ").doesNotContain("Exception:");
    return diagnostics;
  }

  static String searchset(String... entries) {
    StringBuilder b =
        new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":")
            .append(entries.length);
    if (entries.length > 0) {
      b.append(",\"entry\":[");
      for (int i = 0; i < entries.length; i++) {
        b.append(i == 0 ? "" : ",").append("{\"resource\":").append(entries[i]).append('}');
      }
      b.append(']');
    }
    return b.append('}').toString();
  }

  // ---- stub FHIR server ----------------------------------------------------------------------

  /** How a stub answers one request; {@code stub} is the server answering. */
  @FunctionalInterface
  interface Responder {
    void respond(StubFhir stub, Request request, Response response, Callback callback)
        throws Exception;
  }

  static void write(
      Response response, Callback callback, int status, String contentType, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    Content.Sink.write(response, true, body, callback);
  }

  static void fhirJson(Response response, Callback callback, int status, String body) {
    write(response, callback, status, "application/fhir+json;charset=utf-8", body);
  }

  /** The request target after the host: path and query. */
  static String target(Request request) {
    String query = request.getHttpURI().getQuery();
    return request.getHttpURI().getPath() + (query == null ? "" : "?" + query);
  }

  /**
   * A Jetty 12 server on 127.0.0.1:0 that records every request (target, Authorization header) and
   * answers with a {@link Responder} or a wrapped handler.
   */
  static final class StubFhir implements AutoCloseable {
    final Server server;
    final AtomicInteger requests = new AtomicInteger();
    final List<String> targets = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final CountDownLatch firstRequest = new CountDownLatch(1);

    /** Counted down when the stub closes: handlers that hang or sleep wait on it. */
    final CountDownLatch released = new CountDownLatch(1);

    StubFhir(Responder responder) throws Exception {
      this(responder, null);
    }

    /** A stub in front of a real handler (e.g. the scenario FHIR server). */
    StubFhir(Handler handler) throws Exception {
      this(null, handler);
    }

    private StubFhir(Responder responder, Handler handler) throws Exception {
      QueuedThreadPool threads = new QueuedThreadPool(200, 4);
      threads.setName("stub-fhir");
      threads.setDaemon(true);
      server = new Server(threads);
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      StubFhir self = this;
      Handler inner =
          handler != null
              ? handler
              : new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback)
                    throws Exception {
                  responder.respond(self, request, response, callback);
                  return true;
                }
              };
      server.setHandler(
          new Handler.Wrapper(inner) {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
                throws Exception {
              requests.incrementAndGet();
              targets.add(target(request));
              String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
              authorizations.add(auth == null ? "" : auth);
              firstRequest.countDown();
              return super.handle(request, response, callback);
            }
          });
      server.setStopTimeout(0);
      server.start();
    }

    int port() {
      return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    String base() {
      return "http://127.0.0.1:" + port() + "/fhir";
    }

    /** Blocks a handler until the stub closes (bounded, so no thread outlives the test long). */
    void hang() throws InterruptedException {
      if (!released.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("hanging handler was never released");
      }
    }

    /** Sleeps {@code millis}, or less if the stub closes first. */
    void delay(long millis) throws InterruptedException {
      released.await(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      released.countDown();
      try {
        server.stop();
      } catch (Exception e) {
        throw new IllegalStateException("stub FHIR server did not stop", e);
      }
    }
  }

  /**
   * A FHIR server with no data, answering after {@code delayMillis}: a Patient for reads, empty
   * searchsets for searches.
   */
  /** A stub that gives every request the same FHIR JSON answer. */
  static StubFhir answering(int status, String body) throws Exception {
    return new StubFhir(
        (stub, request, response, callback) -> fhirJson(response, callback, status, body));
  }

  static StubFhir emptyFhir(long delayMillis) throws Exception {
    return new StubFhir(
        (stub, request, response, callback) -> {
          stub.delay(delayMillis);
          String path = request.getHttpURI().getPath();
          if (path.startsWith("/fhir/Patient/")) {
            String id = path.substring("/fhir/Patient/".length());
            fhirJson(
                response,
                callback,
                200,
                "{\"resourceType\":\"Patient\",\"id\":\""
                    + id
                    + "\",\"birthDate\":\"1970-01-01\"}");
          } else {
            fhirJson(response, callback, 200, searchset());
          }
        });
  }

  /** The value of an unlabelled sample in a Prometheus scrape, or NaN when it is absent. */
  static double sample(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  /** The scenario FHIR server (HAPI RestfulServer) with every scenario patient, dates unshifted. */
  static StubFhir scenarioServer() throws Exception {
    FhirContext fhir = FhirContext.forR4Cached();
    return new StubFhir(
        ScenarioFhirServer.context("/fhir", fhir, ScenarioStore.loadScenarios(fhir, 0)));
  }

  // ---- recording TCP listener ----------------------------------------------------------------

  /**
   * A plain TCP listener that counts the connections it accepts and keeps the first bytes of each
   * (so a test can tell whether a token reached it). It never answers.
   */
  static final class RecordingListener implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread acceptor;
    private final AtomicInteger connections = new AtomicInteger();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    RecordingListener(String host) throws IOException {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 50);
      socket.setSoTimeout(250); // accept() wakes up, so the loop's time bound holds
      acceptor = new Thread(this::acceptLoop, "recording-listener-" + host);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void acceptLoop() {
      long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (!socket.isClosed() && System.nanoTime() < until) {
        try (Socket s = socket.accept()) {
          connections.incrementAndGet();
          s.setSoTimeout(300);
          InputStream in = s.getInputStream();
          byte[] buffer = new byte[8192];
          int total = 0;
          try {
            for (int n = in.read(buffer); n > 0 && total < 65_536; n = in.read(buffer)) {
              synchronized (received) {
                received.write(buffer, 0, n);
              }
              total += n;
            }
          } catch (SocketTimeoutException e) {
            // The client sent what it had; keep it.
          }
        } catch (IOException e) {
          // An accept timeout (loop again) or the socket was closed (the loop ends).
        }
      }
    }

    int port() {
      return socket.getLocalPort();
    }

    int connections() {
      return connections.get();
    }

    String received() {
      synchronized (received) {
        return received.toString(StandardCharsets.ISO_8859_1);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
      try {
        acceptor.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
