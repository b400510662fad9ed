package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar started as the contract says: {@code java -jar target/mineral-cds.jar --port 0}
 * prints the listening line, serves discovery, and answers a hook call against its embedded FHIR
 * server with the scenario patients.
 */
class JarIT {

  private static final Pattern LISTENING =
      Pattern.compile("^mineral-cds listening on (http://127\\.0\\.0\\.1:(\\d+))$");

  @Test
  void theJarStartsWithItsEmbeddedDefaultsAndAnswersAHook() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    assertThat(jar).exists();
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "--port",
                "0")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      String base = awaitListening(process, Duration.ofSeconds(60));
      JsonNode discovery = TestServers.getJson(base + "/cds-services");
      assertThat(discovery.path("services").get(0).path("id").asText())
          .isEqualTo("mineral-balance");

      String request =
          "{\"hook\":\"patient-view\",\"hookInstance\":\"2d3f6c0e-9a55-4f0e-8a4e-1c0c7a1f3b11\","
              + "\"fhirServer\":\""
              + base
              + "/fhir\","
              + "\"fhirAuthorization\":{\"access_token\":\"demo\",\"token_type\":\"Bearer\",\"expires_in\":300,"
              + "\"scope\":\"patient/*.read\",\"subject\":\"mineral-cds\"},"
              + "\"context\":{\"userId\":\"Practitioner/example\",\"patientId\":\"hypokalemia-on-furosemide\"}}";
      JsonNode cards =
          TestServers.JSON.readTree(
              TestServers.post(base + "/cds-services/mineral-balance", request).body());
      assertThat(cards.path("cards").get(0).path("source").path("topic").path("code").asText())
          .isEqualTo("potassium-low");
      assertThat(cards.path("cards").get(0).path("summary").asText()).contains("furosemide");
    } finally {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    assertThat(Files.exists(jar)).isTrue();
  }

  /**
   * {@code --log-format json}: every log line the jar writes is one JSON object, and SIGTERM (what
   * {@code docker stop} and Kubernetes send) leaves a "stopping" and a "stopped" line.
   */
  @Test
  void jsonLogsAndAShutdownLineOnSigterm() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    Process process =
        runJar(jar, "--port", "0", "--demo", "false", "--memory", "false", "--log-format", "json");
    List<String> lines = new ArrayList<>();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String base = null;
    try {
      String line;
      while (base == null && (line = out.readLine()) != null) {
        Matcher m = LISTENING.matcher(line.trim());
        if (m.matches()) {
          base = m.group(1);
        } else {
          lines.add(line);
        }
      }
      assertThat(base).as("the listening line").isNotNull();
      String request =
          "{\"hook\":\"patient-view\",\"hookInstance\":\"9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d\","
              + "\"context\":{\"userId\":\"Practitioner/1\",\"patientId\":\"p1\"},"
              + "\"prefetch\":{\"patient\":null,\"labs\":null,\"medicationRequests\":null,"
              + "\"medicationStatements\":null,\"conditions\":null,\"pendingLabOrders\":null}}";
      assertThat(TestServers.post(base + "/cds-services/mineral-balance", request).statusCode())
          .isEqualTo(200);
    } finally {
      // SIGTERM through the handle: Process.destroy() would also close our end of stdout.
      process.toHandle().destroy();
    }
    out.lines().forEach(lines::add);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<String> messages = new ArrayList<>();
    for (String line : lines) {
      JsonNode event = TestServers.JSON.readTree(line);
      assertThat(event.path("level").asText()).as(line).isNotEmpty();
      messages.add(event.path("formattedMessage").asText());
    }
    assertThat(messages).anyMatch(m -> m.startsWith("hook call hookInstance=9b1f2c3d"));
    int stopping = indexStartingWith(messages, "mineral-cds stopping");
    int stopped = indexStartingWith(messages, "mineral-cds stopped");
    assertThat(stopping).as("a stopping line").isNotNegative();
    assertThat(stopped).as("a stopped line after it").isGreaterThan(stopping);
  }

  /**
   * The golden examples replay: the jar started with {@code --now} at the examples' date (and the
   * public base URL their rule links use) answers every golden request with its golden response,
   * and {@code check --now} against its demo FHIR server prints the golden cards of a scenario.
   */
  @Test
  void theGoldenExamplesReplayThroughTheJarWithNow() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    Process process =
        runJar(
            jar,
            "--port",
            "0",
            "--now",
            GOLDEN_NOW,
            "--public-base-url",
            TestServers.PUBLIC_BASE_URL);
    try {
      String base = awaitListening(process, Duration.ofSeconds(60));
      List<Path> requests;
      try (var files = Files.list(EXAMPLES)) {
        requests =
            files
                .filter(f -> f.getFileName().toString().endsWith(".request.json"))
                .sorted()
                .toList();
      }
      assertThat(requests).hasSizeGreaterThan(50);
      for (Path request : requests) {
        String name = request.getFileName().toString().replace(".request.json", "");
        // As when the goldens were recorded, the EHR's FHIR server (here the jar's demo server,
        // dated for the same day) comes along with the prefetch: it serves only the Medications
        // that MedicationRequests reference, which prefetch templates cannot include.
        com.fasterxml.jackson.databind.node.ObjectNode body =
            (com.fasterxml.jackson.databind.node.ObjectNode)
                TestServers.JSON.readTree(request.toFile());
        body.put("fhirServer", base + "/fhir");
        JsonNode answer =
            TestServers.JSON.readTree(
                TestServers.post(base + "/cds-services/mineral-balance", body.toString()).body());
        assertThat(answer)
            .as("golden response of %s", name)
            .isEqualTo(
                TestServers.JSON.readTree(EXAMPLES.resolve(name + ".response.json").toFile()));
      }

      // check --now against the demo FHIR server (dated for the same day) gives the same cards,
      // apart from the uuids, which come from a random hookInstance.
      String patient = "hypokalemia-on-furosemide";
      Process check =
          runJar(
              jar,
              "check",
              "--fhir-server",
              base + "/fhir",
              "--patient",
              patient,
              "--now",
              GOLDEN_NOW,
              "--json");
      String printed = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(check.waitFor()).as(printed).isZero();
      JsonNode checked = withoutUuids(TestServers.JSON.readTree(printed).path("cards"));
      JsonNode golden =
          withoutUuids(
              TestServers.JSON
                  .readTree(EXAMPLES.resolve(patient + ".response.json").toFile())
                  .path("cards"));
      assertThat(checked).isEqualTo(golden);
    } finally {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /**
   * The prescribing goldens replay through the jar too, each through the service of its hook.
   * Without the memory: with it, order-sign would rightly hold back what order-select of the same
   * draft showed a moment before (run-ahead), while each golden stands alone.
   */
  @Test
  void thePrescribingGoldenExamplesReplayThroughTheJar() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    Process process =
        runJar(
            jar,
            "--port",
            "0",
            "--memory",
            "false",
            "--now",
            GOLDEN_NOW,
            "--public-base-url",
            TestServers.PUBLIC_BASE_URL);
    try {
      String base = awaitListening(process, Duration.ofSeconds(60));
      List<Path> requests;
      try (var files = Files.list(PRESCRIBING_EXAMPLES)) {
        requests =
            files
                .filter(f -> f.getFileName().toString().endsWith(".request.json"))
                .sorted()
                .toList();
      }
      assertThat(requests).hasSizeGreaterThanOrEqualTo(5);
      for (Path request : requests) {
        String name = request.getFileName().toString().replace(".request.json", "");
        com.fasterxml.jackson.databind.node.ObjectNode body =
            (com.fasterxml.jackson.databind.node.ObjectNode)
                TestServers.JSON.readTree(request.toFile());
        String service = "mineral-" + body.path("hook").asText();
        body.put("fhirServer", base + "/fhir");
        JsonNode answer =
            TestServers.JSON.readTree(
                TestServers.post(base + "/cds-services/" + service, body.toString()).body());
        assertThat(answer)
            .as("golden response of %s", name)
            .isEqualTo(
                TestServers.JSON.readTree(
                    PRESCRIBING_EXAMPLES.resolve(name + ".response.json").toFile()));
      }
    } finally {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static final Path PRESCRIBING_EXAMPLES = Path.of("hooks/prescribing/examples");

  private static final Path EXAMPLES = Path.of("hooks/mineral-balance/examples");

  /** The date the golden examples are written for (fhir-resources/README.md). */
  private static final String GOLDEN_NOW = "2026-11-20T12:00:00Z";

  private static JsonNode withoutUuids(JsonNode node) {
    JsonNode copy = node.deepCopy();
    strip(copy);
    return copy;
  }

  private static void strip(JsonNode node) {
    if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
      o.remove("uuid");
    }
    node.forEach(JarIT::strip);
  }

  @Test
  void theKnowledgeReportCommandPrintsTheReportTheBuildWrote() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    Path built = jar.resolveSibling("knowledge-report.md");
    assertThat(built).exists();

    Process report = runJar(jar, "knowledge-report");
    String printed = new String(report.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(report.waitFor()).isZero();
    assertThat(printed).isEqualTo(Files.readString(built, StandardCharsets.UTF_8));

    Process wrong = runJar(jar, "knowledge-report", "--bogus");
    wrong.getInputStream().readAllBytes();
    assertThat(wrong.waitFor()).isEqualTo(2);

    Process help = runJar(jar, "--help");
    String usage = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(help.waitFor()).isZero();
    assertThat(usage).contains("knowledge-report");
  }

  /**
   * At the recommended heap, a FHIR server that answers every query of every call with a body near
   * the 32 MiB per-response cap cannot exhaust memory: a call reads at most its byte budget and all
   * calls together at most the process's (issue 12: 15 × 32 MiB in flight ran a 160 MiB heap out of
   * memory).
   */
  @Test
  void hugeAnswersToConcurrentCallsStayWithinTheRecommendedHeap() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    byte[] huge = hugeSearchset(12L * 1024 * 1024);
    AtomicInteger answered = new AtomicInteger();
    HttpServer fhir = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    fhir.setExecutor(Executors.newFixedThreadPool(64));
    fhir.createContext(
        "/fhir",
        exchange -> {
          answered.incrementAndGet();
          exchange.getResponseHeaders().set("Content-Type", "application/fhir+json");
          exchange.sendResponseHeaders(200, huge.length);
          try (OutputStream body = exchange.getResponseBody()) {
            body.write(huge);
          } catch (IOException clientGaveUp) {
            // The service stops reading once a call's budget is spent.
          }
        });
    fhir.start();
    Path stderr = Files.createTempFile("mineral-cds-heap", ".log");
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx160m",
                "-Xmn64m",
                "-XX:+UseSerialGC",
                "-jar",
                jar.toString(),
                "--port",
                "0",
                "--demo",
                "false",
                // Time is not what this test is about: a loaded machine serves 400 MB slowly.
                "--hook-deadline-ms",
                "30000",
                "--fhir-read-timeout-ms",
                "20000")
            .redirectError(stderr.toFile())
            .start();
    try {
      String base = awaitListening(process, Duration.ofSeconds(60));
      String fhirBase = "http://127.0.0.1:" + fhir.getAddress().getPort() + "/fhir";
      List<String> bodies = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          calls.add(
              TestServers.HTTP.sendAsync(
                  HttpRequest.newBuilder(URI.create(base + "/cds-services/mineral-balance"))
                      .header("Content-Type", "application/json")
                      .timeout(Duration.ofSeconds(60))
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"hook\":\"patient-view\",\"hookInstance\":\"h"
                                  + round
                                  + "-"
                                  + i
                                  + "\",\"fhirServer\":\""
                                  + fhirBase
                                  + "\",\"context\":{\"patientId\":\"p"
                                  + i
                                  + "\"}}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> call : calls) {
          HttpResponse<String> response = call.get(60, TimeUnit.SECONDS);
          // Refused for size, or (on a very busy machine) out of time.
          assertThat(response.statusCode()).as(response.body()).isEqualTo(412);
          bodies.add(response.body());
        }
      }
      assertThat(bodies).anyMatch(b -> b.contains("larger than"));
      assertThat(answered.get()).isGreaterThanOrEqualTo(24);
      assertThat(process.isAlive()).isTrue();
      assertThat(TestServers.getJson(base + "/health/live").toString()).contains("UP");
      assertThat(Files.readString(stderr)).doesNotContain("OutOfMemoryError");
    } finally {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      fhir.stop(0);
      Files.deleteIfExists(stderr);
    }
  }

  /** A valid searchset of Observations of about {@code bytes} bytes. */
  private static byte[] hugeSearchset(long bytes) {
    String entry =
        "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":"
            + "{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2823-3\"}]},"
            + "\"valueQuantity\":{\"value\":4.1,\"unit\":\"mmol/L\"}}}";
    StringBuilder b =
        new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[");
    boolean first = true;
    while (b.length() < bytes) {
      b.append(first ? "" : ",").append(entry);
      first = false;
    }
    return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Process runJar(Path jar, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  private static String awaitListening(Process process, Duration timeout) throws Exception {
    Instant until = Instant.now().plus(timeout);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while (Instant.now().isBefore(until) && (line = out.readLine()) != null) {
      Matcher m = LISTENING.matcher(line.trim());
      if (m.matches()) {
        // Keep draining stdout so the service never blocks on a full pipe.
        Thread drain =
            new Thread(
                () -> {
                  try {
                    out.lines().forEach(l -> {});
                  } catch (java.io.UncheckedIOException e) {
                    // the process ended and its stream was closed
                  }
                },
                "jar-stdout");
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new AssertionError("the jar did not print its listening line within " + timeout);
  }

  private static int indexStartingWith(List<String> messages, String prefix) {
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }
}
