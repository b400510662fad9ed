package org.mineralcds.clinical;

import java.util.List;
import java.util.Map;

/**
 * A drug class and the direction in which it moves analytes.
 *
 * @param effects effect key (potassium, magnesium, calcium, pth, tsh, vitamin-d) to direction
 */
public record DrugClass(
    String id,
    String name,
    List<String> atcPrefixes,
    Map<String, Direction> effects,
    String source) {

  public DrugClass {
    atcPrefixes = List.copyOf(atcPrefixes);
    effects = Map.copyOf(effects);
  }
}
