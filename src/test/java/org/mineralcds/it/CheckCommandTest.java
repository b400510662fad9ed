package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.cli.CheckCommand;
import org.mineralcds.hook.HookRequest;

/**
 * The check command against a real HAPI FHIR server, an unreachable one and a refusing one, and on
 * hook request files (the golden examples of the three hooks, through prefetch and the server).
 */
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

  // ---- a request file (patient-view, order-select, order-sign) -------------------------------

  private static final Path ORDER_EXAMPLES = Path.of("hooks/prescribing/examples");
  private static final String NOW = "2026-11-20T12:00:00Z";

  static Stream<String> orderExamples() throws Exception {
    try (Stream<Path> files = Files.list(ORDER_EXAMPLES)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".request.json"))
          .map(n -> n.substring(0, n.length() - ".request.json".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest
  @MethodSource("orderExamples")
  void aPrescribingRequestFromItsPrefetchGivesTheGoldenCards(String example) throws Exception {
    Run r =
        run("--json", "--now", NOW, ORDER_EXAMPLES.resolve(example + ".request.json").toString());
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode json = TestServers.JSON.readTree(r.out());
    JsonNode golden =
        TestServers.JSON.readTree(ORDER_EXAMPLES.resolve(example + ".response.json").toFile());
    assertThat(json.path("cards")).isEqualTo(golden.path("cards"));
    assertThat(json.path("hook").asText())
        .isEqualTo(example.substring(example.lastIndexOf('.') + 1));
    assertThat(json.path("draftOrders")).isNotEmpty();
    assertThat(json.path("draftOrders").get(0).path("recognised")).isNotEmpty();
  }

  @Test
  void aPrescribingRequestAgainstAFhirServerReadsTheDataThereAndGivesTheSameCards()
      throws Exception {
    String example = "order-lithium-start-no-baseline.order-sign";
    Run r =
        run(
            "--fhir-server",
            fhir.base(),
            "--token",
            "t",
            "--now",
            NOW,
            ORDER_EXAMPLES.resolve(example + ".request.json").toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "mineral-cds check: order-sign request for patient order-lithium-start-no-baseline")
        .contains("on " + fhir.base())
        .contains("lithium carbonate")
        .contains("= lithium [")
        .contains("Data found")
        .contains("Cards (1)")
        .contains("[INFO]");
    Run json =
        run(
            "--fhir-server",
            fhir.base(),
            "--json",
            "--now",
            NOW,
            ORDER_EXAMPLES.resolve(example + ".request.json").toString());
    JsonNode golden =
        TestServers.JSON.readTree(ORDER_EXAMPLES.resolve(example + ".response.json").toFile());
    assertThat(TestServers.JSON.readTree(json.out()).path("cards")).isEqualTo(golden.path("cards"));
  }

  @Test
  void unknownDrugsInTheDraftsAndUnknownUnitsAreReported(@TempDir Path tmp) throws Exception {
    ObjectNode request =
        (ObjectNode)
            TestServers.JSON.readTree(
                ORDER_EXAMPLES
                    .resolve("order-arb-on-spironolactone-high-potassium.order-sign.request.json")
                    .toFile());
    ArrayNode entries = (ArrayNode) request.path("context").path("draftOrders").path("entry");
    ObjectNode unknown = entries.addObject().putObject("resource");
    unknown.put("resourceType", "MedicationRequest").put("id", "draft-x").put("status", "draft");
    unknown
        .put("intent", "order")
        .putObject("medicationCodeableConcept")
        .put("text", "Zyxorin 5 MG");
    ObjectNode lab = entries.addObject().putObject("resource");
    lab.put("resourceType", "ServiceRequest").put("id", "s1").put("status", "draft");
    lab.put("intent", "order")
        .putObject("code")
        .putArray("coding")
        .addObject()
        .put("system", "http://loinc.org")
        .put("code", "2160-0");
    ObjectNode odd =
        ((ObjectNode) request.path("prefetch").path("labs").path("entry").get(0).path("resource"))
            .deepCopy();
    odd.put("id", "odd-unit");
    ((ObjectNode) odd.path("valueQuantity")).put("unit", "mmol/dL").put("code", "mmol/dL");
    ((ArrayNode) request.path("prefetch").path("labs").path("entry"))
        .addObject()
        .set("resource", odd);
    Path file = tmp.resolve("request.json");
    Files.writeString(file, request.toString());

    Run r = run("--now", NOW, file.toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Draft orders (2 medication order(s), 2 checked)")
        .contains("MedicationRequest/draft-x  Zyxorin 5 MG (not recognized)")
        .contains("lab orders (count as ordered): 2160-0")
        .contains("Draft orders with no recognized drug (no implication)")
        .contains("  Zyxorin 5 MG (1)")
        .contains("Unrecognized units (values ignored)")
        .contains("potassium 'mmol/dL' (1)")
        .contains("[WARNING] Ordering losartan");
    JsonNode json = TestServers.JSON.readTree(run("--json", "--now", NOW, file.toString()).out());
    assertThat(json.path("draftOrders").get(1).path("recognised")).isEmpty();
    assertThat(json.path("data").path("unrecognisedUnits").path("potassium 'mmol/dL'").asInt())
        .isEqualTo(1);
  }

  @Test
  void theHookCanBeChosenAndADraftWithoutImplicationReadsNoData(@TempDir Path tmp)
      throws Exception {
    Path select =
        ORDER_EXAMPLES.resolve(
            "order-arb-on-spironolactone-high-potassium.order-select.request.json");
    ObjectNode request = (ObjectNode) TestServers.JSON.readTree(select.toFile());
    // An unrelated draft selected: order-select checks only it (quiet, no data read), order-sign
    // checks every draft.
    ArrayNode entries = (ArrayNode) request.path("context").path("draftOrders").path("entry");
    ObjectNode other = entries.addObject().putObject("resource");
    other.put("resourceType", "MedicationRequest").put("id", "amox").put("status", "draft");
    other.putObject("medicationCodeableConcept").put("text", "amoxicillin 500 MG Oral Capsule");
    ((ObjectNode) request.path("context")).putArray("selections").add("MedicationRequest/amox");
    request.remove("prefetch");
    Path file = tmp.resolve("select.json");
    Files.writeString(file, request.toString());

    Run quiet = run("--now", NOW, file.toString());
    assertThat(quiet.status()).as(quiet.err()).isZero();
    assertThat(quiet.out())
        .contains("order-select request")
        .contains("[not selected]")
        .contains("Data found: none read")
        .contains("Cards (0): nothing to flag.");

    Run asSign =
        run("--hook", "order-sign", "--fhir-server", fhir.base(), "--now", NOW, file.toString());
    assertThat(asSign.status()).as(asSign.err()).isZero();
    assertThat(asSign.out())
        .contains("order-sign request")
        .doesNotContain("[not selected]")
        .contains("[WARNING] Ordering losartan");
  }

  @Test
  void anotherServerNeverGetsTheRequestsOwnToken(@TempDir Path tmp) throws Exception {
    ObjectNode request = TestServers.JSON.createObjectNode();
    request.put("hook", "patient-view");
    request.put("fhirServer", "https://ehr.example.org/fhir");
    request.putObject("fhirAuthorization").put("access_token", "ehr-token");
    request.putObject("context").put("patientId", "p1");
    Path file = Files.writeString(tmp.resolve("r.json"), request.toString());
    HookRequest moved =
        CheckCommand.readRequest(file.toString(), null, "http://127.0.0.1:1/fhir", null, null);
    assertThat(moved.fhirServer()).isEqualTo("http://127.0.0.1:1/fhir");
    assertThat(moved.fhirAuthorization()).isNull();
    assertThat(moved.prefetch()).isEmpty();
    assertThat(moved.hookInstance()).isNotBlank();
    HookRequest withToken =
        CheckCommand.readRequest(
            file.toString(), "order-sign", "http://127.0.0.1:1/fhir", "p2", "t");
    assertThat(withToken.fhirAuthorization().accessToken()).isEqualTo("t");
    assertThat(withToken.hook()).isEqualTo("order-sign");
    assertThat(withToken.contextString("patientId")).isEqualTo("p2");
    assertThat(
            CheckCommand.readRequest(file.toString(), null, null, null, null).fhirAuthorization())
        .isNotNull();
  }

  @Test
  void aPatientViewRequestGivesItsGoldenCards() throws Exception {
    Path example = Path.of("hooks/mineral-balance/examples/hypokalemia-on-furosemide");
    Run r = run("--json", "--now", NOW, "--request", example + ".request.json");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode golden = TestServers.JSON.readTree(Path.of(example + ".response.json").toFile());
    assertThat(TestServers.JSON.readTree(r.out()).path("cards")).isEqualTo(golden.path("cards"));
  }

  @Test
  void badRequestFilesAreWrongUsage(@TempDir Path tmp) throws Exception {
    Run noFile = run("--hook", "order-sign");
    assertThat(noFile.status()).isEqualTo(2);
    assertThat(noFile.err()).contains("A order-sign check needs a request file");
    Run badHook = run("--hook", "order-entry", "x.json");
    assertThat(badHook.status()).isEqualTo(2);
    assertThat(badHook.err()).contains("--hook must be one of");
    Run missing = run(tmp.resolve("none.json").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).contains("Cannot read the request");
    Path notJson = Files.writeString(tmp.resolve("bad.json"), "{\"hook\":");
    assertThat(run(notJson.toString()).err()).contains("is not a valid hook call: not JSON");
    Path notBundle =
        Files.writeString(
            tmp.resolve("nb.json"),
            "{\"hook\":\"order-sign\",\"context\":{\"patientId\":\"p1\","
                + "\"draftOrders\":\"MedicationRequest/1\"},\"prefetch\":{}}");
    Run nb = run(notBundle.toString());
    assertThat(nb.status()).isEqualTo(2);
    assertThat(nb.err()).contains("'context.draftOrders' must be a FHIR Bundle");
    Path otherHook =
        Files.writeString(
            tmp.resolve("oh.json"),
            "{\"hook\":\"encounter-start\",\"hookInstance\":\"i\",\"context\":{}}");
    assertThat(run(otherHook.toString()).err()).contains("mineral-cds answers patient-view");
    assertThat(run("a.json", "b.json").status()).isEqualTo(2);
  }
}
