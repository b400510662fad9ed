package org.mineralcds.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FeedbackTest {

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static ObjectNode resource(String name) {
    try (InputStream in = FeedbackTest.class.getResourceAsStream("/wire/" + name)) {
      assertThat(in).as("test resource wire/" + name).isNotNull();
      return (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The resource with its first feedback item changed. */
  private static ObjectNode changed(String name, Consumer<ObjectNode> change) {
    ObjectNode body = resource(name);
    change.accept((ObjectNode) body.get("feedback").get(0));
    return body;
  }

  private static void assertBadRequest(JsonNode body, String messagePart) {
    assertThatThrownBy(() -> Feedback.fromJson(body))
        .isInstanceOfSatisfying(
            HookError.class, e -> assertThat(e.kind()).isEqualTo(HookError.Kind.BAD_REQUEST))
        .hasMessageContaining(messagePart);
  }

  @Test
  void acceptedFeedbackIsParsed() {
    Feedback feedback = Feedback.fromJson(resource("feedback-accepted.json"));

    assertThat(feedback.items()).hasSize(1);
    Feedback.Item item = feedback.items().get(0);
    assertThat(item.card()).isEqualTo("9368d37b-283f-44a0-93ea-547cebab93ed");
    assertThat(item.outcome()).isEqualTo("accepted");
    assertThat(item.acceptedSuggestions()).containsExactly("e56e1945-20b3-4393-8503-a1a20fd73152");
    assertThat(item.overrideReason()).isNull();
    assertThat(item.overrideComment()).isNull();
    assertThat(item.outcomeTimestamp()).isEqualTo(OffsetDateTime.parse("2026-11-20T10:15:00Z"));
  }

  @Test
  void overriddenFeedbackIsParsedWithReasonAndComment() {
    Feedback feedback = Feedback.fromJson(resource("feedback-overridden.json"));

    Feedback.Item item = feedback.items().get(0);
    assertThat(item.outcome()).isEqualTo("overridden");
    assertThat(item.acceptedSuggestions()).isEmpty();
    assertThat(item.overrideReason())
        .isEqualTo(
            new Coding(
                "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
                "patient-declined",
                "Patient declined"));
    assertThat(item.overrideComment()).isEqualTo("Will recheck at the next visit");
    assertThat(item.outcomeTimestamp().toInstant())
        .isEqualTo(OffsetDateTime.parse("2026-11-20T09:15:00Z").toInstant());
  }

  @Test
  void overriddenFeedbackWithoutOverrideReasonIsAccepted() {
    Feedback feedback =
        Feedback.fromJson(changed("feedback-overridden.json", f -> f.remove("overrideReason")));

    assertThat(feedback.items().get(0).overrideReason()).isNull();
    assertThat(feedback.items().get(0).overrideComment()).isNull();
  }

  @Test
  void overrideReasonWithOnlyAUserCommentIsAccepted() {
    Feedback feedback =
        Feedback.fromJson(
            changed(
                "feedback-overridden.json",
                f -> ((ObjectNode) f.get("overrideReason")).remove("reason")));

    assertThat(feedback.items().get(0).overrideReason()).isNull();
    assertThat(feedback.items().get(0).overrideComment())
        .isEqualTo("Will recheck at the next visit");
  }

  @Test
  void severalItemsAreParsedInOrder() {
    ObjectNode body = resource("feedback-accepted.json");
    ArrayNode items = (ArrayNode) body.get("feedback");
    items.add(resource("feedback-overridden.json").get("feedback").get(0).deepCopy());
    ((ObjectNode) items.get(1)).put("card", "second-card");

    Feedback feedback = Feedback.fromJson(body);

    assertThat(feedback.items())
        .extracting(Feedback.Item::card)
        .containsExactly("9368d37b-283f-44a0-93ea-547cebab93ed", "second-card");
    assertThat(feedback.items())
        .extracting(Feedback.Item::outcome)
        .containsExactly("accepted", "overridden");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ignored", "Accepted", "rejected", ""})
  void outcomeOtherThanAcceptedOrOverriddenIsBadRequest_cdsFb1(String outcome) {
    assertBadRequest(changed("feedback-accepted.json", f -> f.put("outcome", outcome)), "outcome");
  }

  @Test
  void missingOutcomeIsBadRequest_cdsFb1() {
    assertBadRequest(changed("feedback-accepted.json", f -> f.remove("outcome")), "outcome");
  }

  @Test
  void acceptedWithoutAcceptedSuggestionsIsBadRequest_cdsFb2() {
    assertBadRequest(
        changed("feedback-accepted.json", f -> f.remove("acceptedSuggestions")),
        "acceptedSuggestions");
    assertBadRequest(
        changed("feedback-accepted.json", f -> f.putArray("acceptedSuggestions")),
        "acceptedSuggestions");
  }

  @Test
  void acceptedSuggestionWithoutIdIsBadRequest() {
    assertBadRequest(
        changed(
            "feedback-accepted.json",
            f -> ((ArrayNode) f.get("acceptedSuggestions")).addObject().put("label", "x")),
        "acceptedSuggestions[].id");
  }

  @Test
  void overrideReasonWithNeitherReasonNorUserCommentIsBadRequest_cdsFb3() {
    assertBadRequest(
        changed("feedback-overridden.json", f -> f.putObject("overrideReason")), "overrideReason");
    assertBadRequest(
        changed(
            "feedback-overridden.json",
            f -> f.putObject("overrideReason").putNull("userComment").put("reason", "free text")),
        "overrideReason");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"yesterday", "2026-11-20", "2026-11-20T10:15:00", "2026-13-20T10:15:00Z", ""})
  void badOutcomeTimestampIsBadRequest(String timestamp) {
    assertBadRequest(
        changed("feedback-accepted.json", f -> f.put("outcomeTimestamp", timestamp)),
        "outcomeTimestamp");
  }

  @Test
  void missingOutcomeTimestampIsBadRequest() {
    assertBadRequest(
        changed("feedback-accepted.json", f -> f.remove("outcomeTimestamp")), "outcomeTimestamp");
  }

  @Test
  void missingCardIsBadRequest() {
    assertBadRequest(changed("feedback-accepted.json", f -> f.remove("card")), "card");
  }

  @Test
  void bodyWithoutFeedbackArrayIsBadRequest() throws IOException {
    assertBadRequest(JSON.readTree("{\"feedback\":{}}"), "'feedback' array");
    assertBadRequest(JSON.readTree("[]"), "'feedback' array");
    assertBadRequest(null, "'feedback' array");
  }

  @Test
  void errorNamesTheFailingItem() {
    ObjectNode body = resource("feedback-accepted.json");
    ((ArrayNode) body.get("feedback")).addObject().put("card", "c2").put("outcome", "maybe");

    assertBadRequest(body, "feedback[1].outcome");
  }
}
