package org.mineralcds.clinical;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * An active, not refuted Condition (problem list item or encounter diagnosis).
 *
 * @param recorded recordedDate or onset, or null
 * @param sets the condition sets its codes belong to
 */
public record ConditionRecord(
    String reference,
    String description,
    List<CodeRef> codes,
    Instant recorded,
    Set<ConditionSet> sets) {

  public ConditionRecord {
    codes = List.copyOf(codes);
    sets = ImmutableSets.copyOf(sets);
  }
}
