package org.mineralcds.clinical;

import java.util.Set;

/**
 * A medication order being written (a MedicationRequest of the hook's draftOrders), as the rules
 * see it.
 *
 * @param reference "MedicationRequest/id" (what a delete action names), or null without an id
 * @param description what the order calls the drug (display or text), for card wording
 * @param ingredients the recognised ingredients (empty: no mineral or electrolyte implication)
 * @param priorPrescription the order this one renews, as "MedicationRequest/id", or null
 * @param expectedDays the supply the order covers, refills included, in days; null when it does not
 *     say (then it is not known to be long-term)
 * @param fingerprint a digest of what the rules read of this order (drug codes and text, route,
 *     supply, status, intent, prior prescription): the same order with the same content has the
 *     same fingerprint, at order-select and at order-sign
 */
public record DraftOrder(
    String reference,
    String description,
    Set<Ingredient> ingredients,
    String priorPrescription,
    Integer expectedDays,
    String fingerprint) {

  public DraftOrder {
    ingredients = Set.copyOf(ingredients);
  }
}
