package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.memory.TestDatabases;

/**
 * Nothing acknowledged is lost: feedback sent under load to the packaged jar, the process killed
 * with SIGKILL mid-stream, restarted on the same database; every feedback answered 200 is in the
 * database and every override still keeps its card away. On the embedded database and PostgreSQL.
 */
class MemoryKillIT {

  private static final Pattern LISTENING =
      Pattern.compile("^mineral-cds listening on (http://127\\.0\\.0\\.1:(\\d+))$");
  private static final int PATIENTS = 240;

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  @ParameterizedTest
  @MethodSource("databases")
  void everyAcknowledgedFeedbackAndSuppressionSurvivesKill9(String db) throws Exception {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--demo", "false"));
    String jdbcUrl;
    if (db.equals("embedded")) {
      Path dir = tmp.resolve("data");
      args.addAll(List.of("--data-dir", dir.toString()));
      jdbcUrl = "jdbc:sqlite:" + dir.toAbsolutePath().resolve("mineral-cds.db");
    } else {
      jdbcUrl = TestDatabases.freshPostgresUrl();
      args.addAll(List.of("--database-url", jdbcUrl));
    }

    Process first = start(args);
    Map<String, String> cardOfPatient = new ConcurrentHashMap<>();
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    try {
      String base = awaitListening(first);
      String service = base + "/cds-services/mineral-balance";
      for (int i = 0; i < PATIENTS; i++) {
        String patient = "kill-" + i;
        JsonNode cards =
            TestServers.JSON.readTree(TestServers.post(service, request(patient)).body());
        cardOfPatient.put(patient, cards.path("cards").get(0).path("uuid").asText());
      }
      // Feedback from 6 clients while 2 more keep calling the hook; SIGKILL mid-stream.
      ExecutorService clients = Executors.newFixedThreadPool(8);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger next = new AtomicInteger();
      List<String> patients = new ArrayList<>(cardOfPatient.keySet());
      for (int t = 0; t < 6; t++) {
        clients.execute(
            () -> {
              int i;
              while (!stop.get() && (i = next.getAndIncrement()) < patients.size()) {
                String patient = patients.get(i);
                try {
                  HttpResponse<String> r =
                      TestServers.post(service + "/feedback", override(cardOfPatient.get(patient)));
                  if (r.statusCode() == 200) {
                    acknowledged.add(patient);
                  }
                } catch (Exception e) {
                  return; // the process died under this request: not acknowledged
                }
              }
            });
      }
      for (int t = 0; t < 2; t++) {
        clients.execute(
            () -> {
              while (!stop.get()) {
                try {
                  TestServers.post(service, request("load-" + UUID.randomUUID()));
                } catch (Exception e) {
                  return;
                }
              }
            });
      }
      Instant until = Instant.now().plusSeconds(60);
      while (acknowledged.size() < PATIENTS / 2 && Instant.now().isBefore(until)) {
        Thread.sleep(5);
      }
      first.destroyForcibly(); // SIGKILL
      first.waitFor(30, TimeUnit.SECONDS);
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      first.destroyForcibly();
    }
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(PATIENTS / 2);
    assertThat(acknowledged.size()).as("killed mid-stream").isLessThan(PATIENTS);

    List<String> shownAgain = new ArrayList<>();
    Process second = start(args);
    try {
      String service = awaitListening(second) + "/cds-services/mineral-balance";
      for (String patient : acknowledged) {
        JsonNode cards =
            TestServers.JSON.readTree(TestServers.post(service, request(patient)).body());
        if (!cards.path("cards").isEmpty()) {
          shownAgain.add(patient);
        }
      }
    } finally {
      second.destroy();
      second.waitFor(30, TimeUnit.SECONDS);
      second.destroyForcibly();
    }
    Set<String> stored = new HashSet<>();
    try (Connection c =
            DriverManager.getConnection(jdbcUrl, TestDatabases.user(), TestDatabases.password());
        PreparedStatement s =
            c.prepareStatement(
                "SELECT f.card_uuid FROM feedback f JOIN suppression s ON s.card_uuid = f.card_uuid"
                    + " WHERE f.outcome = 'overridden'");
        ResultSet r = s.executeQuery()) {
      while (r.next()) {
        stored.add(r.getString(1));
      }
    }
    for (String patient : acknowledged) {
      assertThat(stored)
          .as("feedback and suppression of " + patient)
          .contains(cardOfPatient.get(patient));
    }
  }

  private static String request(String patient) throws Exception {
    ObjectNode body =
        (ObjectNode)
            TestServers.JSON.readTree(
                Path.of("hooks/mineral-balance/examples/hypokalemia-on-furosemide.request.json")
                    .toFile());
    body.put("hookInstance", UUID.randomUUID().toString());
    return TestServers.JSON
        .writeValueAsString(body)
        .replace("Patient/hypokalemia-on-furosemide\"", "Patient/" + patient + "\"")
        .replace(
            "\"patientId\":\"hypokalemia-on-furosemide\"", "\"patientId\":\"" + patient + "\"");
  }

  private static String override(String card) {
    return "{\"feedback\":[{\"card\":\""
        + card
        + "\",\"outcome\":\"overridden\",\"overrideReason\":{\"reason\":{\"code\":"
        + "\"already-addressed\"}},\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}]}";
  }

  private Process start(List<String> args) throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("MINERALCDS_DATABASE_USER", TestDatabases.user());
    pb.environment().put("MINERALCDS_DATABASE_PASSWORD", TestDatabases.password());
    return pb.start();
  }

  private static String awaitListening(Process process) throws Exception {
    Instant until = Instant.now().plusSeconds(90);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while (Instant.now().isBefore(until) && (line = out.readLine()) != null) {
      Matcher m = LISTENING.matcher(line.trim());
      if (m.matches()) {
        Thread drain =
            new Thread(
                () -> {
                  try {
                    out.lines().forEach(l -> {});
                  } catch (java.io.UncheckedIOException e) {
                    // the process was killed
                  }
                },
                "jar-stdout");
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new AssertionError("the jar did not print its listening line");
  }
}
