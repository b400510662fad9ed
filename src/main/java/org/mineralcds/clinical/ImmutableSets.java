package org.mineralcds.clinical;

import java.util.Set;

/**
 * {@link Set#copyOf}, without its hash set for the sets of none or one element most records carry
 * (a lab result's flags, a medication's ingredients): the same immutable sets it returns for them
 * ({@code Set.of()}, {@code Set.of(e)}), built directly. Every lab result of a call made one.
 */
final class ImmutableSets {

  private ImmutableSets() {}

  static <E> Set<E> copyOf(Set<? extends E> set) {
    return switch (set.size()) {
      case 0 -> Set.of();
      case 1 -> Set.of(set.iterator().next());
      default -> Set.copyOf(set);
    };
  }
}
