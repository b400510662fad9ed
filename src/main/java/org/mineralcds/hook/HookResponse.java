package org.mineralcds.hook;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The response to a hook call; {@code cards} is always present, {@code []} when quiet. */
public record HookResponse(
    @JsonInclude(JsonInclude.Include.ALWAYS) List<Card> cards, List<Action> systemActions) {

  public HookResponse {
    cards = cards == null ? List.of() : List.copyOf(cards);
  }

  public static HookResponse of(List<Card> cards) {
    return new HookResponse(cards, null);
  }
}
