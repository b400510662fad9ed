package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mineralcds.cli.CheckCommand;

/** The check command against a real HAPI FHIR server, an unreachable one and a refusing one. */
class CheckCommandTest {

  private static TestServers.FhirServer fhir;
  private static Server refusing;

  @BeforeAll
  static void start() throws Exception {
    fhir = new TestServers.FhirServer();
    refusing = new Server();
    ServerConnector connector = new ServerConnector(refusing);
    connector.setHost("127.0.0.1");
    refusing.addConnector(connector);
    refusing.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(401);
            callback.succeeded();
            return true;
          }
        });
    refusing.start();
  }

  @AfterAll
  static void stop() throws Exception {
    fhir.close();
    refusing.stop();
  }

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        CheckCommand.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            TestServers.CLOCK);
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void printsTheDataFoundAndTheCardsAsText() {
    Run r =
        run(
            "--fhir-server",
            fhir.base(),
            "--patient",
            "low-magnesium-on-omeprazole",
            "--token",
            "t");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains("potassium            1 result(s)   latest 3.2 mmol/L on 2026-11-15")
        .contains("magnesium            1 result(s)   latest 0.55 mmol/L")
        .contains("omeprazole [proton pump inhibitor]")
        .contains("Cards (2)")
        .contains("[WARNING] Low magnesium 0.55 mmol/L")
        .contains("suggestion: Order calcium");
  }

  @Test
  void reportsUnitsItCouldNotUse() {
    Run r = run("--fhir-server", fhir.base(), "--patient", "unknown-unit-ignored");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains("Unrecognized units (values ignored)")
        .contains("potassium 'mmol/dL' (1)");
  }

  @Test
  void printsJsonWithCardsAndCounts() throws Exception {
    Run r =
        run(
            "--fhir-server",
            fhir.base() + "/",
            "--patient",
            "critical-potassium-flagged",
            "--json");
    assertThat(r.status()).isZero();
    JsonNode json = TestServers.JSON.readTree(r.out());
    assertThat(json.path("data").path("analytes").path("potassium").path("results").asInt())
        .isEqualTo(1);
    assertThat(json.path("cards").get(0).path("source").path("topic").path("code").asText())
        .isEqualTo("potassium-critical");
  }

  @Test
  void saysWhenThePatientDoesNotExist() {
    Run r = run("--fhir-server", fhir.base(), "--patient", "no-such-patient");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("Patient 'no-such-patient' was not found");
  }

  @Test
  void saysWhenTheServerCannotBeReached() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Run r =
        run(
            "--fhir-server",
            "http://127.0.0.1:" + port + "/fhir",
            "--patient",
            "p1",
            "--timeout-ms",
            "2000");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("could not be reached").contains("could not connect");
  }

  @Test
  void saysWhenTheServerRefusesTheToken() {
    int port = ((ServerConnector) refusing.getConnectors()[0]).getLocalPort();
    Run r =
        run(
            "--fhir-server",
            "http://127.0.0.1:" + port + "/fhir",
            "--patient",
            "p1",
            "--token",
            "bad");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("refused access (401)").contains("--token");
  }

  @Test
  void explainsItsUsage() {
    assertThat(run("--help").status()).isZero();
    assertThat(run("--help").out()).contains("--fhir-server URL").contains("--json");
    Run missing = run("--patient", "x");
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).contains("--fhir-server and --patient are required");
    assertThat(run("--fhir-server", "ftp://x", "--patient", "p").status()).isEqualTo(2);
    assertThat(run("--bogus").status()).isEqualTo(2);
  }
}
