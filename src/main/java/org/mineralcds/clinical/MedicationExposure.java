package org.mineralcds.clinical;

import java.time.Instant;
import java.util.Set;

/**
 * An active medication from a MedicationRequest or MedicationStatement.
 *
 * @param description what the source called it (display or text), for card wording
 * @param start when it was ordered or started, or null if the source does not say
 */
public record MedicationExposure(
    String reference, String description, Instant start, Set<Ingredient> ingredients) {

  public MedicationExposure {
    ingredients = Set.copyOf(ingredients);
  }
}
