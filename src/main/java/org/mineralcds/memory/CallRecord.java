package org.mineralcds.memory;

import java.time.Instant;
import java.util.List;

/**
 * One hook call for the card log: every card computed, shown or silent.
 *
 * @param resulted accepted tests whose result has now arrived (for time-to-result analytics)
 */
public record CallRecord(
    String callId,
    PatientKey patient,
    String hookInstance,
    Instant at,
    List<LoggedCard> cards,
    List<PatientMemory.AcceptedTest> resulted) {

  public CallRecord {
    cards = List.copyOf(cards);
    resulted = List.copyOf(resulted);
  }

  /** A card as computed; {@code silent} cards were logged and counted but not returned. */
  public record LoggedCard(CardFacts facts, boolean silent) {}
}
