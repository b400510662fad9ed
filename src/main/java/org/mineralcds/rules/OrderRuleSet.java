package org.mineralcds.rules;

import java.util.List;
import java.util.stream.Stream;

/**
 * The prescribing-time rules, in file order.
 *
 * @param renewalGapDays a draft of a drug the patient had on an order ended at most this long ago
 *     is a renewal, not a start
 */
public record OrderRuleSet(
    List<ConflictRule> conflicts, List<BaselineRule> baselines, int renewalGapDays) {

  public OrderRuleSet {
    conflicts = List.copyOf(conflicts);
    baselines = List.copyOf(baselines);
  }

  public List<OrderRule> all() {
    return Stream.concat(conflicts.stream(), baselines.stream()).map(r -> (OrderRule) r).toList();
  }
}
