package org.mineralcds.clinical;

import java.time.Instant;
import java.util.Set;

/**
 * An active medication from a MedicationRequest or MedicationStatement.
 *
 * @param description what the source called it (display or text), for card wording
 * @param start when it was ordered or started, or null if the source does not say
 * @param startAtLeast {@code start} is the first date on file of a course that may have begun
 *     earlier (the order history read reaches back only so far): the drug has been taken since at
 *     least then, and a card must not call it the start
 */
public record MedicationExposure(
    String reference,
    String description,
    Instant start,
    Set<Ingredient> ingredients,
    boolean startAtLeast) {

  public MedicationExposure {
    ingredients = ImmutableSets.copyOf(ingredients);
  }

  /** An exposure whose start, when given, is the start. */
  public MedicationExposure(
      String reference, String description, Instant start, Set<Ingredient> ingredients) {
    this(reference, description, start, ingredients, false);
  }
}
