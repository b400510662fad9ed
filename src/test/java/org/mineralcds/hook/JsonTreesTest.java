package org.mineralcds.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The service's JSON reader against Jackson's own, with and without the unread FHIR members. */
class JsonTreesTest {

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Jackson's tree with the unread members removed at every depth below {@code node}. */
  private static JsonNode withoutUnreadMembers(JsonNode node) {
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> members = node.properties().iterator();
      while (members.hasNext()) {
        Map.Entry<String, JsonNode> member = members.next();
        if (JsonTrees.UNREAD_FHIR_MEMBERS.contains(member.getKey())) {
          members.remove();
        } else {
          withoutUnreadMembers(member.getValue());
        }
      }
    } else if (node.isArray()) {
      node.forEach(JsonTreesTest::withoutUnreadMembers);
    }
    return node;
  }

  private static List<Path> exampleRequests() throws Exception {
    try (Stream<Path> walk = Files.walk(Path.of("hooks"))) {
      return walk.filter(p -> p.toString().endsWith(".request.json")).toList();
    }
  }

  @Test
  void everyExampleRequestReadsAsJacksonsTreeWithTheUnreadMembersOfItsResourcesLeftOut()
      throws Exception {
    List<Path> files = exampleRequests();
    assertThat(files).hasSizeGreaterThan(80);
    int left = 0;
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      JsonNode jackson = JSON.readTree(bytes);
      JsonNode ours = JsonTrees.readRequest(JSON, bytes);

      ObjectNode expected = jackson.deepCopy();
      if (expected.has("prefetch")) {
        expected.get("prefetch").forEach(JsonTreesTest::withoutUnreadMembers);
      }
      assertThat(ours).as(file.toString()).isEqualTo(expected);
      // Outside the prefetch (context, draft orders) every member is kept.
      assertThat(ours.get("context")).as(file.toString()).isEqualTo(jackson.get("context"));
      left += jackson.toString().length() - ours.toString().length();
    }
    assertThat(left).as("characters left out over all examples").isGreaterThan(10_000);
  }

  @Test
  void aFhirAnswerLosesItsUnreadMembersAtEveryDepthAndKeepsTheRest() throws Exception {
    String bundle =
        """
        {"resourceType":"Bundle","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},
         "link":[{"relation":"next","url":"http://x/next"}],
         "entry":[{"fullUrl":"http://x/Observation/1","search":{"mode":"match"},
           "resource":{"resourceType":"Observation","id":"1",
             "text":{"status":"generated","div":"<div>big</div>"},
             "extension":[{"url":"u","valueString":"v"}],
             "category":[{"coding":[{"code":"laboratory"}]}],
             "code":{"coding":[{"system":"http://loinc.org","code":"2823-3","display":"K"}],"text":"K"},
             "subject":{"reference":"Patient/p"},"performer":[{"reference":"Organization/o"}],
             "valueQuantity":{"value":4.10,"unit":"mmol/L"},"note":[{"text":"hemolyzed"}]}}]}
        """;
    JsonNode ours = JsonTrees.readFhir(JSON, new ByteArrayInputStream(utf8(bundle)));

    assertThat(ours).isEqualTo(withoutUnreadMembers(JSON.readTree(bundle)));
    JsonNode obs = ours.get("entry").get(0).get("resource");
    assertThat(obs.get("text").get("status").asText()).isEqualTo("generated");
    assertThat(obs.has("text") && !obs.get("text").has("div")).isTrue();
    assertThat(obs.has("category") || obs.has("extension") || obs.has("performer")).isFalse();
    assertThat(obs.get("valueQuantity").get("value").decimalValue().toPlainString())
        .isEqualTo("4.10");
    assertThat(ours.get("link").get(0).get("url").asText()).isEqualTo("http://x/next");
    assertThat(JsonTrees.readFhir(JSON, bundle)).isEqualTo(ours);
  }

  @Test
  void aPrefetchKeyNamedLikeAnUnreadMemberIsStillRead() throws Exception {
    JsonNode ours =
        JsonTrees.readRequest(
            JSON,
            utf8(
                "{\"hook\":\"patient-view\",\"meta\":1,\"prefetch\":{\"meta\":"
                    + "{\"resourceType\":\"Patient\",\"id\":\"p\",\"meta\":{}}}}"));

    assertThat(ours.get("meta").asInt()).isEqualTo(1);
    assertThat(ours.get("prefetch").get("meta").get("id").asText()).isEqualTo("p");
    assertThat(ours.get("prefetch").get("meta").has("meta")).isFalse();
  }

  @Test
  void theUnreadCheckAgreesWithTheListOfUnreadMembers() {
    for (String name : JsonTrees.UNREAD_FHIR_MEMBERS) {
      assertThat(JsonTrees.unread(name)).as(name).isTrue();
      assertThat(JsonTrees.unread(new String(name.toCharArray()))).as(name).isTrue();
      assertThat(JsonTrees.unread(name + "x")).isFalse();
      assertThat(JsonTrees.unread(name.substring(1))).isFalse();
    }
    for (String name : java.util.List.of("code", "Meta", "status", "valueQuantity", "", "text")) {
      assertThat(JsonTrees.unread(name)).as(name).isFalse();
    }
  }

  @Test
  void repeatedMembersOfSmallAndLargeObjectsAreReadAsJacksonReadsThem() throws Exception {
    StringBuilder large = new StringBuilder("{");
    for (char c = 'a'; c <= 'p'; c++) {
      large.append('"').append(c).append("\":").append((int) c).append(',');
    }
    large.append("\"c\":1,\"a\":[2],\"p\":{\"x\":1,\"x\":2}}");
    String small =
        "{\"b\":1,\"a\":2,\"b\":3,\"longer name, with spaces\":4,\"longer name, with spaces\":5}";
    for (String text :
        java.util.List.of(large.toString(), small, "[" + small + "," + large + "]")) {
      assertThat(JsonTrees.readRequest(JSON, utf8(text))).isEqualTo(JSON.readTree(text));
      assertThat(JsonTrees.readFhir(JSON, text)).isEqualTo(JSON.readTree(text));
      assertThat(JsonTrees.readRequest(new ObjectMapper(), utf8(text)))
          .isEqualTo(JSON.readTree(text));
    }
  }

  @Test
  void numbersDuplicatesAndLiteralsAreReadAsJacksonReadsThem() throws Exception {
    String text =
        "{\"a\":1,\"b\":12345678901,\"c\":123456789012345678901234567890,\"d\":1.20,"
            + "\"e\":-0.0070,\"f\":1E+2,\"g\":true,\"h\":false,\"i\":null,\"a\":2,"
            + "\"j\":[1,[2,{}],\"s\"],\"k\":\"\\u00e9\"}";

    assertThat(JsonTrees.readRequest(JSON, utf8(text))).isEqualTo(JSON.readTree(text));
    assertThat(JsonTrees.readRequest(JSON, utf8("[1,2]"))).isEqualTo(JSON.readTree("[1,2]"));
    assertThat(JsonTrees.readRequest(JSON, utf8("\"x\""))).isEqualTo(JSON.readTree("\"x\""));
    assertThat(JsonTrees.readRequest(JSON, new byte[0]).isMissingNode()).isTrue();
    assertThat(JsonTrees.readRequest(JSON, utf8("  ")).isMissingNode()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "{\"a\":", "{\"a\":[1,", "[1,2", "{\"a\" 1}", "{\"a\":tru}", "}"})
  void brokenJsonIsAParseErrorAsWithJackson(String text) {
    assertThatThrownBy(() -> JSON.readTree(text)).isInstanceOf(JsonProcessingException.class);
    assertThatThrownBy(() -> JsonTrees.readRequest(JSON, utf8(text)))
        .isInstanceOf(JsonProcessingException.class);
  }

  @Test
  void theParsersNestingLimitHolds() {
    String deep = "[".repeat(HookJson.MAX_NESTING_DEPTH + 1) + "]".repeat(65);

    assertThatThrownBy(() -> JsonTrees.readRequest(JSON, utf8(deep)))
        .isInstanceOf(StreamConstraintsException.class);
  }
}
