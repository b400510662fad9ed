package org.mineralcds.rules;

import java.util.Set;

/** The card topic codes of the card contract; a rule may only use these. */
public final class Topics {

  public static final Set<String> CODES =
      Set.of(
          "potassium-critical",
          "potassium-low",
          "potassium-high",
          "magnesium-critical",
          "magnesium-low",
          "magnesium-high",
          "calcium-critical",
          "calcium-low",
          "calcium-high",
          "primary-hyperparathyroidism-pattern",
          "secondary-hyperparathyroidism-pattern",
          "ckd-mineral-bone-disorder",
          "hypoparathyroidism-pattern",
          "pth-independent-hypercalcemia",
          "pth-high",
          "pth-low",
          "vitamin-d-deficient",
          "vitamin-d-inadequate",
          "vitamin-d-high",
          "tsh-high",
          "tsh-low",
          "hypothyroidism-pattern",
          "hyperthyroidism-pattern",
          "ck-high",
          "digoxin-electrolyte-risk",
          "monitoring-overdue",
          "symptom-workup",
          "lab-trend");

  private Topics() {}
}
