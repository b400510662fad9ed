package org.mineralcds.hook;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** A feedback report (CDS Hooks 2.0 §Feedback), validated against cds-fb-1..3. */
public record Feedback(List<Item> items) {

  /** One card's outcome. */
  public record Item(
      String card,
      String outcome,
      List<String> acceptedSuggestions,
      Coding overrideReason,
      String overrideComment,
      OffsetDateTime outcomeTimestamp) {}

  public static Feedback fromJson(JsonNode body) {
    if (body == null || !body.isObject() || !body.path("feedback").isArray()) {
      throw HookError.badRequest("The body must be an object with a 'feedback' array.");
    }
    List<Item> items = new ArrayList<>();
    int index = 0;
    for (JsonNode f : body.get("feedback")) {
      String at = "feedback[" + index++ + "]";
      String card = f.path("card").asText("");
      if (card.isBlank()) {
        throw HookError.badRequest(at + ".card is required.");
      }
      String outcome = f.path("outcome").asText("");
      if (!outcome.equals("accepted") && !outcome.equals("overridden")) {
        throw HookError.badRequest(at + ".outcome must be 'accepted' or 'overridden'.");
      }
      List<String> accepted = new ArrayList<>();
      for (JsonNode s : f.path("acceptedSuggestions")) {
        String id = s.path("id").asText("");
        if (id.isBlank()) {
          throw HookError.badRequest(at + ".acceptedSuggestions[].id is required.");
        }
        accepted.add(id);
      }
      if (outcome.equals("accepted") && accepted.isEmpty()) {
        throw HookError.badRequest(at + ": an accepted outcome needs acceptedSuggestions.");
      }
      Coding reason = null;
      String comment = null;
      JsonNode override = f.get("overrideReason");
      if (override != null && !override.isNull()) {
        JsonNode r = override.get("reason");
        if (r != null && r.isObject()) {
          reason =
              new Coding(
                  r.path("system").asText(null),
                  r.path("code").asText(null),
                  r.path("display").asText(null));
        }
        comment = override.hasNonNull("userComment") ? override.get("userComment").asText() : null;
        if (reason == null && comment == null) {
          throw HookError.badRequest(at + ".overrideReason needs a reason or a userComment.");
        }
      }
      OffsetDateTime timestamp;
      try {
        timestamp = OffsetDateTime.parse(f.path("outcomeTimestamp").asText(""));
      } catch (DateTimeParseException e) {
        throw HookError.badRequest(at + ".outcomeTimestamp must be an RFC 3339 date-time.");
      }
      items.add(new Item(card, outcome, accepted, reason, comment, timestamp));
    }
    return new Feedback(items);
  }
}
