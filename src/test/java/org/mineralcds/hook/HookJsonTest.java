package org.mineralcds.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HookJsonTest {

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static JsonNode tree(Object value) throws JsonProcessingException {
    return JSON.readTree(JSON.writeValueAsString(value));
  }

  /** Paths of members or items that are null, "", [] or {} anywhere in the tree. */
  private static List<String> emptyMembers(JsonNode node, String path) {
    List<String> found = new ArrayList<>();
    if (node.isNull()
        || node.isTextual() && node.asText().isEmpty()
        || node.isContainerNode() && node.isEmpty()) {
      found.add(path);
      return found;
    }
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        found.addAll(emptyMembers(e.getValue(), path + "." + e.getKey()));
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        found.addAll(emptyMembers(node.get(i), path + "[" + i + "]"));
      }
    }
    return found;
  }

  /** cds-resp-6: a card with suggestions must also carry selectionBehavior. Violations by path. */
  private static List<String> cdsResp6Violations(JsonNode response) {
    List<String> violations = new ArrayList<>();
    JsonNode cards = response.path("cards");
    for (int i = 0; i < cards.size(); i++) {
      JsonNode card = cards.get(i);
      boolean hasSuggestions =
          card.path("suggestions").isArray() && !card.path("suggestions").isEmpty();
      String behavior = card.path("selectionBehavior").asText("");
      if (hasSuggestions && !List.of("at-most-one", "any").contains(behavior)) {
        violations.add("cards[" + i + "]");
      }
    }
    return violations;
  }

  private static Card sampleCard(List<Suggestion> suggestions, String selectionBehavior) {
    return new Card(
        "6f2d2c5e-34cd-4fcb-9d7e-6d6a61e3b1a4",
        "Potassium 2.7 mmol/L is critically low",
        "Repeat the potassium and check magnesium.",
        "critical",
        new Source(
            "Mineral CDS",
            "https://example.org/evidence",
            null,
            new Coding("http://example.org/topics", "potassium", null)),
        suggestions,
        selectionBehavior,
        null,
        List.of(new Link("Guideline", "https://example.org/guideline", "absolute", null, null)),
        Map.of("org.example.rules", List.of("potassium-critical-low")));
  }

  private static Suggestion orderMagnesium() {
    ObjectNode serviceRequest = JsonNodeFactory.instance.objectNode();
    serviceRequest
        .put("resourceType", "ServiceRequest")
        .put("status", "draft")
        .put("intent", "proposal");
    return new Suggestion(
        "Order serum magnesium",
        "2a3b4c5d-0000-4000-8000-000000000001",
        Boolean.TRUE,
        List.of(new Action("create", "Order magnesium", serviceRequest, null)));
  }

  @Test
  void responseWithoutCardsIsExactlyAnEmptyCardsArray() throws JsonProcessingException {
    assertThat(JSON.writeValueAsString(HookResponse.of(List.of()))).isEqualTo("{\"cards\":[]}");
    assertThat(JSON.writeValueAsString(new HookResponse(null, List.of())))
        .isEqualTo("{\"cards\":[]}");
  }

  @Test
  void cardWithNullAndEmptyOptionalMembersSerialisesWithoutEmptyValues()
      throws JsonProcessingException {
    Card card =
        new Card(
            "uuid-1",
            "Magnesium 1.2 mg/dL is low",
            "",
            "warning",
            new Source("Mineral CDS", "", null, null),
            List.of(),
            null,
            List.of(),
            null,
            Map.of());

    JsonNode json = tree(HookResponse.of(List.of(card)));

    assertThat(emptyMembers(json.get("cards").get(0), "cards[0]")).isEmpty();
    JsonNode c = json.get("cards").get(0);
    assertThat(c.properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("uuid", "summary", "indicator", "source");
    assertThat(c.get("source").properties()).extracting(Map.Entry::getKey).containsExactly("label");
  }

  @Test
  void emptyValueWalkerDetectsEmptyMembers() {
    ObjectNode bad = JsonNodeFactory.instance.objectNode();
    bad.put("ok", "x");
    bad.putObject("nested").put("blank", "");
    bad.putArray("list").addObject();

    assertThat(emptyMembers(bad, "$")).containsExactlyInAnyOrder("$.nested.blank", "$.list[0]");
  }

  @Test
  void fullCardKeepsItsSuggestionsAndLinks() throws JsonProcessingException {
    JsonNode json =
        tree(HookResponse.of(List.of(sampleCard(List.of(orderMagnesium()), "at-most-one"))));

    JsonNode card = json.get("cards").get(0);
    assertThat(emptyMembers(json, "$")).isEmpty();
    assertThat(
            card.path("suggestions")
                .get(0)
                .path("actions")
                .get(0)
                .path("resource")
                .path("resourceType")
                .asText())
        .isEqualTo("ServiceRequest");
    assertThat(card.path("suggestions").get(0).path("isRecommended").asBoolean()).isTrue();
    assertThat(card.path("links").get(0).path("type").asText()).isEqualTo("absolute");
    assertThat(card.path("source").path("topic").path("code").asText()).isEqualTo("potassium");
  }

  @Test
  void cardWithSuggestionsAndSelectionBehaviorSatisfiesCdsResp6() throws JsonProcessingException {
    JsonNode json =
        tree(
            new HookResponse(
                List.of(
                    sampleCard(List.of(orderMagnesium()), "at-most-one"),
                    sampleCard(List.of(), null)),
                null));

    assertThat(cdsResp6Violations(json)).isEmpty();
  }

  @Test
  void cdsResp6HelperFlagsSuggestionsWithoutSelectionBehavior() throws JsonProcessingException {
    JsonNode json =
        tree(
            HookResponse.of(
                List.of(sampleCard(List.of(), null), sampleCard(List.of(orderMagnesium()), null))));

    assertThat(cdsResp6Violations(json)).containsExactly("cards[1]");
  }

  @Test
  void discoveryWithNoServicesStillHasAServicesArray() throws JsonProcessingException {
    assertThat(JSON.writeValueAsString(new Discovery(List.of()))).isEqualTo("{\"services\":[]}");
  }

  @Test
  void discoveryServiceOmitsEmptyOptionalMembers() throws JsonProcessingException {
    ServiceDescriptor service =
        new ServiceDescriptor(
            "patient-view", null, "Reviews mineral results", "mineral-balance", Map.of(), "");

    JsonNode json = tree(new Discovery(List.of(service)));

    assertThat(emptyMembers(json, "$")).isEmpty();
    assertThat(json.get("services").get(0).properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("hook", "description", "id");
  }

  @Test
  void unknownMembersAreIgnoredOnInput() throws JsonProcessingException {
    Coding coding =
        JSON.readValue(
            "{\"system\":\"http://snomed.info/sct\",\"code\":\"1\",\"userSelectable\":true}",
            Coding.class);

    assertThat(coding).isEqualTo(new Coding("http://snomed.info/sct", "1", null));
  }

  @Test
  void nestingAtTheLimitIsAccepted() throws JsonProcessingException {
    JsonNode node = JSON.readTree(nestedArrays(HookJson.MAX_NESTING_DEPTH));

    int depth = 0;
    for (JsonNode n = node; n != null && n.isArray(); n = n.get(0)) {
      depth++;
    }
    assertThat(depth).isEqualTo(HookJson.MAX_NESTING_DEPTH);
  }

  @Test
  void nestingDeeperThanTheLimitIsRejected() {
    assertThatThrownBy(() -> JSON.readTree(nestedArrays(HookJson.MAX_NESTING_DEPTH + 1)))
        .isInstanceOf(StreamConstraintsException.class);
    assertThatThrownBy(() -> JSON.readTree(nestedObjects(HookJson.MAX_NESTING_DEPTH + 1)))
        .isInstanceOf(StreamConstraintsException.class);
  }

  private static String nestedArrays(int depth) {
    return "[".repeat(depth) + "]".repeat(depth);
  }

  private static String nestedObjects(int depth) {
    return "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }
}
