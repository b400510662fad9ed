package org.mineralcds.memory;

import java.time.Instant;
import java.util.List;

/**
 * One feedback item as the memory stores it.
 *
 * @param outcome {@code accepted} or {@code overridden}
 * @param overrideReason the reason code, or null
 * @param comment the clinician's comment, or null (bounded by the caller)
 */
public record FeedbackItem(
    String cardUuid,
    String outcome,
    List<String> acceptedSuggestions,
    String overrideReason,
    String comment,
    Instant outcomeAt) {

  public FeedbackItem {
    acceptedSuggestions = List.copyOf(acceptedSuggestions);
  }
}
