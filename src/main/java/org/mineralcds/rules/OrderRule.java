package org.mineralcds.rules;

import java.util.List;
import java.util.Set;

/**
 * A prescribing-time rule (hooks/prescribing/order-rules.yaml): about a drug being ordered. Ordered
 * drugs match by drug class id or ingredient name (drugs.yaml).
 */
public sealed interface OrderRule permits ConflictRule, BaselineRule {

  String TOPIC_CONFLICT = "order-lab-conflict";
  String TOPIC_BASELINE = "order-baseline-due";

  String id();

  String topic();

  Set<String> drugClasses();

  Set<String> ingredients();

  Indicator indicator();

  String summary();

  String meaning();

  String action();

  List<Citation> sources();

  /** Why the rule is as it is (optional, for reviewers), or null. */
  String rationale();

  String reviewStatus();

  /** A set that keeps the file's order (the report and cards list names as written). */
  static <T> Set<T> ordered(Set<T> values) {
    return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(values));
  }
}
