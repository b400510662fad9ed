package org.mineralcds.clinical;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Recognises condition sets in a condition's codings. */
public final class ConditionCatalog {

  private final List<ConditionSet> sets;

  public ConditionCatalog(List<ConditionSet> sets) {
    this.sets = List.copyOf(sets);
  }

  /** The condition sets, in declaration order. */
  public List<ConditionSet> sets() {
    return sets;
  }

  public Set<ConditionSet> recognise(List<CodeRef> codings) {
    Set<ConditionSet> found = new LinkedHashSet<>();
    for (CodeRef coding : codings) {
      for (ConditionSet set : sets) {
        if (set.matches(coding)) {
          found.add(set);
        }
      }
    }
    return found;
  }
}
