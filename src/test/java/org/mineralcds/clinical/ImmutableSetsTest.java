package org.mineralcds.clinical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImmutableSetsTest {

  @Test
  void givesTheSetsSetCopyOfGives() {
    for (int size = 0; size <= Interpretation.values().length; size++) {
      Set<Interpretation> source = EnumSet.noneOf(Interpretation.class);
      source.addAll(Arrays.asList(Interpretation.values()).subList(0, size));
      Set<Interpretation> copy = ImmutableSets.copyOf(source);
      Set<Interpretation> expected = Set.copyOf(source);
      assertThat(copy).isEqualTo(expected);
      assertThat(copy.getClass()).isEqualTo(expected.getClass());
      assertThatThrownBy(() -> copy.add(Interpretation.values()[0]))
          .isInstanceOf(UnsupportedOperationException.class);
      source.clear();
      assertThat(copy).hasSize(size);
    }
  }

  @Test
  void refusesANullElementAsSetCopyOfDoes() {
    Set<String> withNull = new HashSet<>();
    withNull.add(null);
    assertThatThrownBy(() -> ImmutableSets.copyOf(withNull))
        .isInstanceOf(NullPointerException.class);
  }
}
