package org.mineralcds.clinical;

import java.util.List;
import java.util.Map;

/**
 * A drug class and the direction in which it moves analytes.
 *
 * @param effects effect key (potassium, magnesium, calcium, pth, tsh, vitamin-d) to direction
 * @param systemicOnly the class acts only when taken systemically: a cream, ointment, eye or ear
 *     drop, nasal spray or inhaler of one of its members does not count (hydrocortisone cream is
 *     not a systemic corticosteroid)
 */
public record DrugClass(
    String id,
    String name,
    List<String> atcPrefixes,
    Map<String, Direction> effects,
    String source,
    boolean systemicOnly) {

  /** A class whose members count by whatever route. */
  public DrugClass(
      String id,
      String name,
      List<String> atcPrefixes,
      Map<String, Direction> effects,
      String source) {
    this(id, name, atcPrefixes, effects, source, false);
  }

  public DrugClass {
    atcPrefixes = List.copyOf(atcPrefixes);
    effects = Map.copyOf(effects);
  }
}
