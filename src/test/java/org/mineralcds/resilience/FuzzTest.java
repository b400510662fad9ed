package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.MineralCds;

/**
 * Thousands of deterministic (seeded) mutations of a valid patient-view request and of a valid
 * feedback report, sent over HTTP: none may produce a 5xx, every refusal must be an
 * OperationOutcome, and the service must still answer a valid request correctly afterwards.
 */
class FuzzTest {

  private static final long SEED = 0x5EED_2026_1120L;
  private static final int CASES = 3_200;
  private static final Duration TIME_LIMIT = Duration.ofSeconds(120);
  private static final String SCENARIO = "hypokalemia-on-furosemide";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String FEEDBACK =
      "{\"feedback\":[{\"card\":\"9368d37b-283f-44a0-93ea-547cebab93ed\",\"outcome\":\"accepted\","
          + "\"acceptedSuggestions\":[{\"id\":\"1cda716a-bdf6-36b2-8a00-7fecfa17a480\"}],"
          + "\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"},"
          + "{\"card\":\"5fd0d30a-a45a-3667-b795-7f7dabc73696\",\"outcome\":\"overridden\","
          + "\"overrideReason\":{\"reason\":{\"code\":\"already-addressed\","
          + "\"system\":\"https://mineral-cds.org/fhir/CodeSystem/override-reason\"},"
          + "\"userComment\":\"seen\"},\"outcomeTimestamp\":\"2026-11-20T12:01:00Z\"}]}";
  private static final List<String> CONTENT_TYPES =
      List.of(
          "text/plain",
          "application/xml",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=xyz",
          "application/jsonx",
          "application/json, text/plain",
          "*/*",
          "",
          "APPLICATION/JSON",
          "application/json; charset=utf-16",
          "application/fhir+json",
          "application/json-patch+json",
          "application/json;;;",
          "json");

  private static MineralCds service;
  private static ObjectNode hookBase;
  private static ObjectNode feedbackBase;

  @BeforeAll
  static void start() throws IOException {
    service = Support.start(Support.defaultConfig());
    hookBase = Support.exampleRequest(SCENARIO);
    feedbackBase = (ObjectNode) Support.JSON.readTree(FEEDBACK);
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  /** One generated request. */
  private record Case(int index, String kind, String path, String contentType, byte[] body) {
    String describe() {
      String text = new String(body, StandardCharsets.UTF_8);
      return "#"
          + index
          + " "
          + kind
          + " "
          + path
          + " ["
          + contentType
          + "] "
          + (text.length() > 300 ? text.substring(0, 300) + "…(" + text.length() + ")" : text);
    }
  }

  @Test
  void mutatedRequestsNeverCauseA5xxAndAreAnsweredWithOperationOutcomes() throws Exception {
    Random random = new Random(SEED);
    Map<String, Integer> byStatus = new TreeMap<>();
    Map<String, Integer> byKindAndStatus = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long started = System.nanoTime();
    long until = started + TIME_LIMIT.toNanos();
    int sent = 0;
    for (int i = 0; i < CASES && System.nanoTime() < until; i++) {
      Case c = generate(random, i);
      String outcome;
      String problem;
      try {
        HttpResponse<String> response = send(c);
        outcome = Integer.toString(response.statusCode());
        problem = check(c, response);
      } catch (IOException e) {
        // Jetty closes the connection after a 413 without reading the rest of the body; the
        // client may then see the reset before the response. Acceptable for oversize bodies only.
        outcome = "reset";
        problem = c.kind().equals("oversize") ? null : "connection failed: " + e;
      }
      sent++;
      byStatus.merge(outcome, 1, Integer::sum);
      byKindAndStatus.merge(c.kind() + " " + outcome, 1, Integer::sum);
      if (problem != null && failures.size() < 25) {
        failures.add(problem + "\n    request: " + c.describe());
      }
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000;
    System.out.println(
        "FuzzTest: " + sent + " requests in " + seconds + " s; status histogram " + byStatus);
    System.out.println("FuzzTest: by mutation and status " + byKindAndStatus);

    assertThat(failures).as(String.join("\n", failures)).isEmpty();
    assertThat(sent).as("requests sent within the time limit").isEqualTo(CASES);
    assertThat(byStatus.keySet()).allMatch(s -> s.equals("reset") || Integer.parseInt(s) < 500);

    // Still healthy: the valid request gives exactly the golden cards.
    HttpResponse<String> valid =
        Support.post(service.baseUrl() + Support.SERVICE_PATH, hookBase.toString());
    assertThat(valid.statusCode()).as(valid.body()).isEqualTo(200);
    assertThat(Support.JSON.readTree(valid.body())).isEqualTo(Support.exampleResponse(SCENARIO));
    assertThat(Support.post(service.baseUrl() + Support.FEEDBACK_PATH, FEEDBACK).statusCode())
        .isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"null", "5", "\"x\"", "true"})
  void aBundleEntryWhoseResourceIsNotAnObjectIs400(String resource) throws Exception {
    String body =
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"},"
            + "\"prefetch\":{\"labs\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\","
            + "\"entry\":[{\"resource\":"
            + resource
            + "}]}}}";
    HttpResponse<String> response = Support.post(service.baseUrl() + Support.SERVICE_PATH, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(Support.diagnostics(response)).contains("prefetch.labs");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"effectiveDateTime\":\"yesterday\",\"valueQuantity\":{\"value\":3.1}"
            + "| Observation.effectiveDateTime is not a FHIR dateTime",
        "\"effectiveDateTime\":\"2026-11-18\",\"valueQuantity\":{\"value\":\"3,1\"}"
            + "| Observation.valueQuantity.value is not a FHIR decimal",
        "\"effectiveDateTime\":\"2026-11-18\",\"valueQuantity\":{\"value\":1E+999999}"
            + "| Observation.valueQuantity.value is not a FHIR decimal within range"
      })
  void aPrefetchedValueThatIsNotFhirIs400NamingTheKeyAndElement(String members, String message)
      throws Exception {
    // Written as text: a JSON tree in the test would round the number before the service saw it.
    ObjectNode request = hookBase.deepCopy();
    ((ObjectNode) request.path("prefetch")).put("labs", "@labs@");
    String body =
        request
            .toString()
            .replace(
                "\"@labs@\"",
                "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":"
                    + "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":"
                    + "[{\"system\":\"http://loinc.org\",\"code\":\"2823-3\"}]},"
                    + members
                    + "}}]}");
    HttpResponse<String> response = Support.post(service.baseUrl() + Support.SERVICE_PATH, body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(Support.diagnostics(response))
        .isEqualTo("'prefetch.labs' is not a valid FHIR R4 resource: " + message.trim() + ".");
  }

  @Test
  void aPrefetchOfAnUnknownResourceTypeInsideABundleIs400() throws Exception {
    String body =
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\"},"
            + "\"prefetch\":{\"labs\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\","
            + "\"entry\":[{\"resource\":{\"resourceType\":\"Observaton\"}}]}}}";
    HttpResponse<String> response = Support.post(service.baseUrl() + Support.SERVICE_PATH, body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(Support.diagnostics(response)).contains("prefetch.labs", "resourceType");
  }

  @Test
  void aTooLongNumberIsNotReportedAsTooDeep() throws Exception {
    String body =
        "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{\"patientId\":\"p\","
            + "\"n\":"
            + "9".repeat(1_500)
            + "}}";
    HttpResponse<String> response = Support.post(service.baseUrl() + Support.SERVICE_PATH, body);
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Support.diagnostics(response)).doesNotContain("nests deeper");
  }

  /** Null when the response keeps the contract, else what is wrong. */
  private static String check(Case c, HttpResponse<String> response) {
    int status = response.statusCode();
    String body = response.body();
    if (status >= 500) {
      return "status " + status + ": " + body;
    }
    try {
      if (status == 200) {
        JsonNode json = Support.JSON.readTree(body);
        boolean ok =
            c.path().equals(Support.FEEDBACK_PATH)
                ? json.isObject() && json.isEmpty()
                : json.path("cards").isArray();
        return ok ? null : "200 with an unexpected body: " + body;
      }
      if ((status == 401 || status == 204) && body.isEmpty()) {
        return null;
      }
      JsonNode json = Support.JSON.readTree(body);
      if (!"OperationOutcome".equals(json.path("resourceType").asText())
          || json.path("issue").path(0).path("diagnostics").asText().isBlank()) {
        return "status " + status + " without an OperationOutcome: " + body;
      }
      if (body.contains("\tat ") || body.contains("Exception")) {
        return "status " + status + " leaks internals: " + body;
      }
      return null;
    } catch (IOException e) {
      return "status " + status + " with a body that is not JSON: " + body;
    }
  }

  private static HttpResponse<String> send(Case c) throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(service.baseUrl() + c.path()))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofByteArray(c.body()));
    if (c.contentType() != null) {
      b.header("Content-Type", c.contentType());
    }
    return Support.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ---- generation ----------------------------------------------------------------------------

  private static Case generate(Random r, int index) throws IOException {
    boolean feedback = r.nextInt(5) == 0;
    String path = feedback ? Support.FEEDBACK_PATH : Support.SERVICE_PATH;
    ObjectNode base = (feedback ? feedbackBase : hookBase).deepCopy();
    String json = "application/json";
    int pick = r.nextInt(100);
    if (pick < 14) {
      mutateTree(r, base, Kind.DELETE);
      return new Case(index, "delete", path, json, bytes(base));
    } else if (pick < 28) {
      mutateTree(r, base, Kind.RETYPE);
      return new Case(index, "retype", path, json, bytes(base));
    } else if (pick < 38) {
      mutateTree(r, base, Kind.UNICODE);
      return new Case(index, "unicode", path, json, bytes(base));
    } else if (pick < 48) {
      byte[] whole = bytes(base);
      int at = r.nextInt(whole.length);
      return new Case(index, "truncate", path, json, Arrays.copyOf(whole, at));
    } else if (pick < 56) {
      return new Case(
          index,
          "duplicate-key",
          path,
          json,
          withDuplicateKey(r, base).getBytes(StandardCharsets.UTF_8));
    } else if (pick < 64) {
      mutateTree(r, base, Kind.HUGE_NUMBER);
      return new Case(index, "huge-number", path, json, bytes(base));
    } else if (pick < 74) {
      int depth = r.nextBoolean() ? 1 + r.nextInt(50) : 65 + r.nextInt(200);
      setRandom(r, base, nested(r, depth));
      return new Case(
          index, depth <= 50 ? "nest-under-64" : "nest-over-64", path, json, bytes(base));
    } else if (pick < 80) {
      String type = CONTENT_TYPES.get(r.nextInt(CONTENT_TYPES.size()));
      return new Case(index, "content-type", path, type.isEmpty() ? null : type, bytes(base));
    } else if (pick < 86) {
      byte[] noise = new byte[r.nextInt(2_000)];
      r.nextBytes(noise);
      if (noise.length > 0 && r.nextBoolean()) {
        noise[0] = '{';
      }
      return new Case(index, "random-bytes", path, json, noise);
    } else if (pick < 97) {
      int n = 2 + r.nextInt(4);
      for (int k = 0; k < n; k++) {
        mutateTree(r, base, Kind.values()[r.nextInt(Kind.values().length)]);
      }
      return new Case(index, "combined", path, json, bytes(base));
    } else if (pick < 98) {
      // Over the 1 MB body limit.
      base.put("pad", "x".repeat(1_100_000));
      return new Case(index, "oversize", path, json, bytes(base));
    } else {
      // The other endpoint's body, and unmutated bodies.
      ObjectNode other = (feedback ? hookBase : feedbackBase).deepCopy();
      return new Case(index, "swapped-or-valid", path, json, bytes(r.nextBoolean() ? other : base));
    }
  }

  private enum Kind {
    DELETE,
    RETYPE,
    UNICODE,
    HUGE_NUMBER
  }

  /** Where a node lives: in an object under a field name, or in an array at an index. */
  private record Slot(JsonNode parent, String field, int index, int depth) {
    JsonNode get() {
      return parent.isObject() ? parent.get(field) : parent.get(index);
    }

    void set(JsonNode value) {
      if (parent instanceof ObjectNode o) {
        o.set(field, value);
      } else {
        ((ArrayNode) parent).set(index, value);
      }
    }

    void remove() {
      if (parent instanceof ObjectNode o) {
        o.remove(field);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static List<Slot> slots(JsonNode root) {
    List<Slot> slots = new ArrayList<>();
    collect(root, 1, slots);
    return slots;
  }

  private static void collect(JsonNode node, int depth, List<Slot> slots) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        slots.add(new Slot(node, e.getKey(), -1, depth));
        collect(e.getValue(), depth + 1, slots);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        slots.add(new Slot(node, null, i, depth));
        collect(node.get(i), depth + 1, slots);
      }
    }
  }

  /** A random slot; a third of the time one near the top, where the wire model is checked. */
  private static Slot pickSlot(Random r, JsonNode root) {
    List<Slot> all = slots(root);
    if (all.isEmpty()) {
      return null;
    }
    if (r.nextInt(3) == 0) {
      List<Slot> shallow = all.stream().filter(s -> s.depth() <= 2).toList();
      if (!shallow.isEmpty()) {
        return shallow.get(r.nextInt(shallow.size()));
      }
    }
    return all.get(r.nextInt(all.size()));
  }

  private static void mutateTree(Random r, ObjectNode root, Kind kind) {
    Slot slot = pickSlot(r, root);
    if (slot == null) {
      return;
    }
    switch (kind) {
      case DELETE -> slot.remove();
      case RETYPE -> slot.set(otherType(r, slot.get()));
      case UNICODE -> slot.set(NODES.textNode(randomUnicode(r)));
      case HUGE_NUMBER -> slot.set(hugeNumber(r));
    }
  }

  private static void setRandom(Random r, ObjectNode root, JsonNode value) {
    Slot slot = pickSlot(r, root);
    if (slot != null) {
      slot.set(value);
    }
  }

  private static JsonNode otherType(Random r, JsonNode current) {
    for (int attempt = 0; attempt < 10; attempt++) {
      JsonNode candidate =
          switch (r.nextInt(7)) {
            case 0 -> NODES.textNode(current.isValueNode() ? current.asText() : "x");
            case 1 -> NODES.numberNode(r.nextInt(2_000) - 1_000);
            case 2 -> NODES.numberNode(r.nextDouble() * 1e6);
            case 3 -> NODES.arrayNode().add(current.deepCopy());
            case 4 -> NODES.objectNode().set("value", current.deepCopy());
            case 5 -> NODES.nullNode();
            default -> NODES.booleanNode(r.nextBoolean());
          };
      if (candidate.getNodeType() != current.getNodeType()) {
        return candidate;
      }
    }
    return NODES.nullNode();
  }

  private static String randomUnicode(Random r) {
    int length = r.nextInt(r.nextInt(10) == 0 ? 5_000 : 40);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      int cp =
          switch (r.nextInt(6)) {
            case 0 -> r.nextInt(0x20); // control characters, NUL included
            case 1 -> 0x20 + r.nextInt(0x5F); // printable ASCII
            case 2 -> 0xA0 + r.nextInt(0x700); // Latin, Greek, Cyrillic …
            case 3 -> 0x1F300 + r.nextInt(0x300); // emoji (surrogate pairs in UTF-16)
            case 4 -> 0xFFF0 + r.nextInt(0x10); // specials, BOM-like, non-characters
            default -> 0x4E00 + r.nextInt(0x5000); // CJK
          };
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = '?';
      }
      b.appendCodePoint(cp);
    }
    return b.toString();
  }

  private static JsonNode hugeNumber(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> NODES.numberNode(new BigInteger("9".repeat(20 + r.nextInt(200))));
      case 1 -> NODES.numberNode(new BigInteger("-" + "9".repeat(900 + r.nextInt(200))));
      case 2 -> NODES.numberNode(new BigInteger("1" + "0".repeat(2_000 + r.nextInt(5_000))));
      case 3 -> NODES.numberNode(new BigDecimal("1E+" + (300 + r.nextInt(999_999_000))));
      case 4 -> NODES.numberNode(new BigDecimal("-1E-" + (300 + r.nextInt(999_999_000))));
      case 5 -> NODES.numberNode(Double.MAX_VALUE);
      case 6 -> NODES.numberNode(Long.MIN_VALUE);
      default -> NODES.numberNode(new BigDecimal("0." + "3".repeat(500 + r.nextInt(1_000))));
    };
  }

  /** Arrays and objects nested {@code depth} deep around a scalar. */
  private static JsonNode nested(Random r, int depth) {
    JsonNode node = NODES.textNode("deep");
    for (int i = 0; i < depth; i++) {
      node = r.nextBoolean() ? NODES.arrayNode().add(node) : NODES.objectNode().set("n", node);
    }
    return node;
  }

  /** Which member to write twice, the second value, and whether the copy comes first. */
  private record Duplicate(Slot slot, JsonNode value, boolean before) {}

  /** The tree as JSON text with one member of one object written twice (the copy mutated). */
  private static String withDuplicateKey(Random r, ObjectNode root) throws IOException {
    List<Slot> members = slots(root).stream().filter(s -> s.parent().isObject()).toList();
    Slot chosen = members.get(r.nextInt(members.size()));
    JsonNode copy = r.nextBoolean() ? chosen.get().deepCopy() : otherType(r, chosen.get());
    StringBuilder out = new StringBuilder();
    write(root, new Duplicate(chosen, copy, r.nextBoolean()), out);
    return out.toString();
  }

  private static void write(JsonNode node, Duplicate dup, StringBuilder out) throws IOException {
    if (node.isObject()) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        boolean twice = node == dup.slot().parent() && e.getKey().equals(dup.slot().field());
        if (twice && dup.before()) {
          first = member(e.getKey(), dup.value(), dup, first, out);
        }
        first = member(e.getKey(), e.getValue(), dup, first, out);
        if (twice && !dup.before()) {
          first = member(e.getKey(), dup.value(), dup, first, out);
        }
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        out.append(i == 0 ? "" : ",");
        write(node.get(i), dup, out);
      }
      out.append(']');
    } else {
      out.append(Support.JSON.writeValueAsString(node));
    }
  }

  private static boolean member(
      String name, JsonNode value, Duplicate dup, boolean first, StringBuilder out)
      throws IOException {
    out.append(first ? "" : ",").append(Support.JSON.writeValueAsString(name)).append(':');
    write(value, dup, out);
    return false;
  }

  private static byte[] bytes(JsonNode node) throws IOException {
    return Support.JSON.writeValueAsBytes(node);
  }
}
