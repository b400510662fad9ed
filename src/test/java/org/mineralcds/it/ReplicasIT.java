package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.memory.TestDatabases;

/**
 * Replicas behind a proxy, as a hospital runs them: three packaged-jar processes sharing one
 * PostgreSQL behind nginx (Debian's package, started here with a generated configuration in a
 * temporary directory), EHR calls with a fresh JWT each driven through nginx while one replica is
 * killed with SIGKILL (and started again), then the others are restarted in turn with SIGTERM.
 *
 * <p>Asserted: no call fails, across the kill and the rolling restart (a replica stopping finishes
 * its calls in flight, its listener closes first, and nginx sends the calls it cannot connect to to
 * another replica; the calls in flight on the killed replica are sent again by nginx with the same
 * JWT and the same {@code X-Request-ID}, nginx's {@code $request_id}, which the replicas accept as
 * the proxy's retry with {@code --proxy-retry-header X-Request-ID}); a JWT used on one replica is
 * refused by another, and a replay through nginx (the same JWT and body in a new client request) is
 * refused, whatever X-Request-ID the client sends; feedback for a card returned by one replica,
 * sent to another, is linked to the card and suppresses it on the third; analytics count the calls
 * of all. The numbers are printed (BENCHMARKS.md "Replicas").
 */
class ReplicasIT {

  private static final String ISSUER = "https://ehr.replicas.example.org";
  private static final String SERVICE_PATH = "/cds-services/mineral-balance";
  private static final int REPLICAS = 3;
  private static final int CLIENTS = 6;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @TempDir Path tmp;

  private RSAKey key;
  private String publicBase;

  /** One replica: its ports, its current process and its output file. */
  private final class Replica {
    final int index;
    final int port = freePort();
    final int managementPort = freePort();
    final List<String> args;
    Process process;
    Path out;
    int starts;

    Replica(int index, List<String> args) {
      this.index = index;
      this.args = args;
    }

    String base() {
      return "http://127.0.0.1:" + port;
    }

    void start() throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      // The recommended heap; C1 only, so that restarts under load take less CPU (not a bench).
      command.addAll(
          List.of("-Xmx160m", "-Xmn64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar"));
      command.add(
          Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar")).toString());
      command.addAll(args);
      command.addAll(
          List.of(
              "--port",
              Integer.toString(port),
              "--management-port",
              Integer.toString(managementPort)));
      out = tmp.resolve("replica-" + index + "-" + (++starts) + ".log");
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()));
      pb.environment().put("MINERALCDS_DATABASE_USER", TestDatabases.user());
      pb.environment().put("MINERALCDS_DATABASE_PASSWORD", TestDatabases.password());
      process = pb.start();
    }

    void awaitReady() throws Exception {
      long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < until) {
        if (!process.isAlive()) {
          throw new AssertionError("replica " + index + " exited: " + Files.readString(out));
        }
        try {
          HttpResponse<String> r =
              HTTP.send(
                  HttpRequest.newBuilder(URI.create(base() + "/health/ready"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(100);
      }
      throw new AssertionError("replica " + index + " not ready: " + Files.readString(out));
    }
  }

  @Test
  void replicasBehindNginxLoseNoCallAcrossAKillAndARollingRestartAndShareTheirState()
      throws Exception {
    String nginx = nginx();
    String postgres = TestDatabases.postgresUrl();
    Assumptions.assumeTrue(postgres != null, "PostgreSQL (MINERALCDS_TEST_DATABASE_URL)");
    String database = TestDatabases.freshPostgresUrl();

    key = new RSAKeyGenerator(2048).keyID("replicas-1").generate();
    Path jwks = tmp.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(List.of(key.toPublicJWK())).toString());
    int nginxPort = freePort();
    publicBase = "http://127.0.0.1:" + nginxPort;
    Path config = tmp.resolve("config.yaml");
    Files.writeString(
        config,
        "publicBaseUrl: "
            + publicBase
            + "\ntrustedIssuers:\n  - issuer: "
            + ISSUER
            + "\n    jwksFile: "
            + jwks
            + "\n");
    List<String> args =
        List.of(
            "--demo",
            "false",
            "--database-url",
            database,
            "--config",
            config.toString(),
            "--proxy-retry-header",
            "X-Request-ID");

    List<Replica> replicas = new ArrayList<>();
    for (int i = 0; i < REPLICAS; i++) {
      replicas.add(new Replica(i, args));
    }
    Process proxy = null;
    long started = System.nanoTime();
    try {
      for (Replica r : replicas) {
        r.start();
      }
      for (Replica r : replicas) {
        r.awaitReady();
      }
      proxy = startNginx(nginx, nginxPort, replicas);

      // --- load through nginx, while one replica is killed and all are rolled ---------------
      Load load = new Load(publicBase + SERVICE_PATH);
      load.start();
      Thread.sleep(3_000);
      Replica victim = replicas.get(1);
      long killedAt = System.nanoTime();
      victim.process.destroyForcibly(); // SIGKILL
      victim.process.waitFor(10, TimeUnit.SECONDS);
      long killWindowEnd = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      Thread.sleep(500);
      victim.start();
      victim.awaitReady();
      List<String> shutdownLines = new ArrayList<>();
      for (Replica r : replicas) {
        if (r == victim) {
          continue; // the others are rolled
        }
        r.process.destroy(); // SIGTERM: graceful stop
        assertThat(r.process.waitFor(30, TimeUnit.SECONDS)).as("replica stops").isTrue();
        String log = Files.readString(r.out);
        assertThat(log).contains("mineral-cds stopping: readiness DOWN");
        shutdownLines.add(
            log.lines().filter(l -> l.contains("mineral-cds stopped in")).findFirst().orElse(""));
        r.start();
        r.awaitReady();
      }
      Thread.sleep(1_000);
      load.stop();
      long loadMillis = load.millis();

      List<Failure> duringKill = new ArrayList<>();
      List<Failure> otherwise = new ArrayList<>();
      for (Failure f : load.failures) {
        (f.at >= killedAt && f.at <= killWindowEnd ? duringKill : otherwise).add(f);
      }
      System.out.printf(
          "ReplicasIT: %d replicas behind nginx, %d clients, %d hook calls in %.1f s"
              + " (%.0f calls/s), failed: %d during the SIGKILL (statuses %s), %d otherwise"
              + " (statuses %s); nginx retried %d calls on another replica, of which the replicas"
              + " accepted %d as the proxy's retry of a JWT seen before%n",
          REPLICAS,
          CLIENTS,
          load.calls.get(),
          loadMillis / 1000.0,
          load.calls.get() * 1000.0 / loadMillis,
          duringKill.size(),
          duringKill.stream().map(f -> f.status).toList(),
          otherwise.size(),
          otherwise.stream().map(f -> f.status).toList(),
          retried(proxy),
          acceptedRetries());
      shutdownLines.forEach(l -> System.out.println("ReplicasIT: SIGTERM -> " + l.trim()));
      assertThat(duringKill).as("failed calls during the SIGKILL").isEmpty();
      assertThat(otherwise).as("failed calls outside the kill").isEmpty();
      assertThat(load.calls.get()).isGreaterThan(500);
      assertThat(shutdownLines).allSatisfy(l -> assertThat(l).contains("card log flushed"));

      Replica a = replicas.get(0);
      Replica b = replicas.get(1);
      Replica c = replicas.get(2);

      // --- analytics count the calls of every replica -------------------------------------
      long logged = stableOpenings(c);
      long answered = load.calls.get() - load.failures.size();
      System.out.printf(
          "ReplicasIT: card log kept %d chart openings for %d calls answered 200 under load"
              + " (a SIGKILL loses the killed replica's unwritten queue)%n",
          logged, answered);
      assertThat(logged).isLessThanOrEqualTo(load.calls.get());
      assertThat(logged).isGreaterThanOrEqualTo(answered * 9 / 10);

      // --- feedback at B for A's card suppresses it at C; analytics count all ---------------
      String patient = "feedback-" + UUID.randomUUID();
      JsonNode cards =
          JSON.readTree(post(a.base() + SERVICE_PATH, jwt(SERVICE_PATH), request(patient)).body());
      assertThat(cards.path("cards")).isNotEmpty();
      String card = cards.path("cards").get(0).path("uuid").asText();
      String summary = cards.path("cards").get(0).path("summary").asText();
      HttpResponse<String> feedback =
          post(
              b.base() + SERVICE_PATH + "/feedback",
              jwt(SERVICE_PATH + "/feedback"),
              override(card));
      assertThat(feedback.statusCode()).as(feedback.body()).isEqualTo(200);
      JsonNode after =
          JSON.readTree(post(c.base() + SERVICE_PATH, jwt(SERVICE_PATH), request(patient)).body());
      assertThat(after.path("cards").findValuesAsText("summary")).doesNotContain(summary);
      try (Connection db =
              DriverManager.getConnection(
                  database, TestDatabases.user(), TestDatabases.password());
          PreparedStatement s =
              db.prepareStatement(
                  "SELECT COUNT(*) FROM feedback f JOIN card_log l ON l.card_uuid = f.card_uuid"
                      + " JOIN suppression s ON s.card_uuid = f.card_uuid WHERE f.card_uuid = ?")) {
        s.setString(1, card);
        try (ResultSet r = s.executeQuery()) {
          r.next();
          assertThat(r.getInt(1)).as("feedback linked to the card log, suppressing").isEqualTo(1);
        }
      }
      // A's call and C's call: two more openings, seen from B.
      assertThat(stableOpenings(b)).isEqualTo(logged + 2);
      JsonNode report = analytics(b);
      assertThat(report.toString()).contains("\"overridden\":1");

      // --- a JWT used on one replica is refused by another ----------------------------------
      String token = jwt(SERVICE_PATH);
      String body = request("replay-" + UUID.randomUUID());
      assertThat(post(a.base() + SERVICE_PATH, token, body).statusCode()).isEqualTo(200);
      assertThat(post(b.base() + SERVICE_PATH, token, body).statusCode()).isEqualTo(401);
      assertThat(post(c.base() + SERVICE_PATH, token, body).statusCode()).isEqualTo(401);
      assertThat(post(publicBase + SERVICE_PATH, token, body).statusCode()).isEqualTo(401);

      // --- a replay through nginx is refused: a new client request gets a new X-Request-ID ----
      String viaProxy = jwt(SERVICE_PATH);
      String sameBody = request("replay-" + UUID.randomUUID());
      assertThat(
              post(publicBase + SERVICE_PATH, viaProxy, sameBody, "client-chosen-1").statusCode())
          .isEqualTo(200);
      assertThat(
              post(publicBase + SERVICE_PATH, viaProxy, sameBody, "client-chosen-1").statusCode())
          .as("the same JWT and body again through nginx")
          .isEqualTo(401);
      // nginx overwrote the client's X-Request-ID: sending it straight to a replica is a replay.
      for (Replica r : replicas) {
        assertThat(
                post(r.base() + SERVICE_PATH, viaProxy, sameBody, "client-chosen-1").statusCode())
            .isEqualTo(401);
      }
      System.out.printf("ReplicasIT: whole test %.0f s%n", (System.nanoTime() - started) / 1e9);
    } finally {
      for (Replica r : replicas) {
        if (r.process != null) {
          r.process.destroy();
        }
      }
      for (Replica r : replicas) {
        if (r.process != null && !r.process.waitFor(20, TimeUnit.SECONDS)) {
          r.process.destroyForcibly();
        }
      }
      if (proxy != null) {
        proxy.destroy();
        if (!proxy.waitFor(10, TimeUnit.SECONDS)) {
          proxy.destroyForcibly();
        }
      }
    }
  }

  // ---- load -----------------------------------------------------------------------------------

  private record Failure(long at, int status) {}

  /** CLIENTS threads calling the hook through nginx, each call with a fresh JWT. */
  private final class Load {
    final String url;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong calls = new AtomicLong();
    final List<Failure> failures = new CopyOnWriteArrayList<>();
    final ExecutorService threads = Executors.newFixedThreadPool(CLIENTS);
    long startedAt;
    long stoppedAt;

    Load(String url) {
      this.url = url;
    }

    void start() {
      startedAt = System.nanoTime();
      for (int t = 0; t < CLIENTS; t++) {
        threads.execute(
            () -> {
              while (!stop.get()) {
                int status;
                try {
                  status =
                      post(url, jwt(SERVICE_PATH), request("load-" + UUID.randomUUID()))
                          .statusCode();
                } catch (Exception e) {
                  status = -1;
                }
                calls.incrementAndGet();
                if (status != 200) {
                  failures.add(new Failure(System.nanoTime(), status));
                }
              }
            });
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      threads.shutdown();
      assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
      stoppedAt = System.nanoTime();
    }

    long millis() {
      return (stoppedAt - startedAt) / 1_000_000;
    }
  }

  // ---- nginx ----------------------------------------------------------------------------------

  /** The nginx binary; with CI=true its absence fails the test (.ci/run installs it). */
  private static String nginx() {
    for (String candidate : List.of("/usr/sbin/nginx", "/usr/bin/nginx")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI=true but nginx is not installed (apt-get install nginx)");
    }
    Assumptions.abort("nginx is not installed");
    return null;
  }

  /**
   * nginx in the foreground with its own configuration, pid, logs and temporary directories under
   * the test's directory (it needs no root: as root, its workers run as nobody).
   */
  private Process startNginx(String nginx, int port, List<Replica> replicas) throws Exception {
    Path dir = tmp.resolve("nginx");
    Files.createDirectories(dir.resolve("logs"));
    StringBuilder upstream = new StringBuilder();
    for (Replica r : replicas) {
      upstream
          .append("    server 127.0.0.1:")
          .append(r.port)
          .append(" max_fails=1 fail_timeout=2s;\n");
    }
    // Kept in step with the proxy settings documented in deploy/README.md.
    String conf =
        """
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 1024; }
        http {
          log_format replicas '$status "$upstream_addr" "$upstream_status" $request_time';
          access_log %1$s/logs/access.log replicas;
          client_body_temp_path %1$s/client_body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          client_body_buffer_size 1m;
          client_max_body_size 10m;
          upstream mineral_cds {
        %2$s  }
          server {
            listen 127.0.0.1:%3$d;
            location / {
              proxy_pass http://mineral_cds;
              proxy_http_version 1.1;
              proxy_set_header Host $http_host;
              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
              proxy_set_header X-Request-ID $request_id;
              proxy_connect_timeout 2s;
              proxy_read_timeout 30s;
              proxy_buffers 16 64k;
              proxy_max_temp_file_size 0;
              proxy_next_upstream error timeout http_502 http_503 non_idempotent;
              proxy_next_upstream_tries 3;
              proxy_next_upstream_timeout 10s;
            }
          }
        }
        """
            .formatted(dir, upstream, port);
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf);
    Process p =
        new ProcessBuilder(
                nginx,
                "-e",
                dir.resolve("logs/error.log").toString(),
                "-p",
                dir.toString(),
                "-c",
                file.toString(),
                "-g",
                "daemon off;")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("logs/stdout.log").toFile())
            .start();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < until) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "nginx exited: "
                + Files.readString(dir.resolve("logs/stdout.log"))
                + Files.readString(dir.resolve("logs/error.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return p;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("nginx did not listen");
  }

  /** Calls nginx passed to another replica after the first failed (access log). */
  private long retried(Process proxy) throws IOException {
    Path log = tmp.resolve("nginx/logs/access.log");
    if (!Files.exists(log)) {
      return 0;
    }
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(", ")).count();
    }
  }

  // ---- requests -------------------------------------------------------------------------------

  private String jwt(String path) {
    try {
      Instant now = Instant.now();
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS384)
                  .keyID(key.getKeyID())
                  .type(JOSEObjectType.JWT)
                  .build(),
              new JWTClaimsSet.Builder()
                  .issuer(ISSUER)
                  .audience(publicBase + path)
                  .issueTime(Date.from(now))
                  .expirationTime(Date.from(now.plusSeconds(300)))
                  .jwtID(UUID.randomUUID().toString())
                  .build());
      jwt.sign(new RSASSASigner(key));
      return "Bearer " + jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpResponse<String> post(String url, String authorization, String body)
      throws Exception {
    return post(url, authorization, body, null);
  }

  /** A POST, with an X-Request-ID of the client's choosing when {@code requestId} is not null. */
  private static HttpResponse<String> post(
      String url, String authorization, String body, String requestId) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Authorization", authorization);
    if (requestId != null) {
      b.header("X-Request-ID", requestId);
    }
    return HTTP.send(
        b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Calls the replicas accepted as nginx's retry of a JWT seen before (their log lines). */
  private long acceptedRetries() throws IOException {
    long n = 0;
    try (var files = Files.list(tmp)) {
      for (Path log :
          files.filter(f -> f.getFileName().toString().startsWith("replica-")).toList()) {
        try (var lines = Files.lines(log)) {
          n += lines.filter(l -> l.contains("the proxy's retry of a request")).count();
        }
      }
    }
    return n;
  }

  /** Chart openings once the card log writers are done (two equal readings 500 ms apart). */
  private static long stableOpenings(Replica r) throws Exception {
    long previous = -1;
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < until) {
      long now = analytics(r).path("chartOpenings").asLong();
      if (now == previous) {
        return now;
      }
      previous = now;
      Thread.sleep(500);
    }
    return previous;
  }

  private static JsonNode analytics(Replica r) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + r.managementPort + "/admin/analytics"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static final Map<String, String> EXAMPLE = new ConcurrentHashMap<>();

  /** The low-potassium example for another patient, with a fresh hookInstance. */
  private static String request(String patient) throws IOException {
    String example =
        EXAMPLE.computeIfAbsent(
            "k",
            k -> {
              try {
                return Files.readString(
                    Path.of(
                        "hooks/mineral-balance/examples/hypokalemia-on-furosemide.request.json"));
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    ObjectNode body = (ObjectNode) JSON.readTree(example);
    body.put("hookInstance", UUID.randomUUID().toString());
    return JSON.writeValueAsString(body)
        .replace("Patient/hypokalemia-on-furosemide\"", "Patient/" + patient + "\"")
        .replace(
            "\"patientId\":\"hypokalemia-on-furosemide\"", "\"patientId\":\"" + patient + "\"");
  }

  private static String override(String card) {
    return "{\"feedback\":[{\"card\":\""
        + card
        + "\",\"outcome\":\"overridden\",\"overrideReason\":{\"reason\":{\"code\":"
        + "\"already-addressed\"}},\"outcomeTimestamp\":\""
        + Instant.now()
        + "\"}]}";
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
