package org.mineralcds.knowledge;

import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.rules.RuleSet;

/**
 * Everything loaded from hooks/&lt;service-id&gt;/, validated.
 *
 * @param prescribing the prescribing-time knowledge (hooks/prescribing/) when it was loaded with
 *     it, else null
 */
public record Knowledge(
    ServiceDefinition service,
    LabCatalog labs,
    DrugCatalog drugs,
    ConditionCatalog conditions,
    RuleSet rules,
    Prescribing prescribing) {

  /** The patient-view knowledge alone. */
  public Knowledge(
      ServiceDefinition service,
      LabCatalog labs,
      DrugCatalog drugs,
      ConditionCatalog conditions,
      RuleSet rules) {
    this(service, labs, drugs, conditions, rules, null);
  }

  /** The same knowledge with the prescribing-time knowledge that refers to it. */
  public Knowledge withPrescribing(Prescribing p) {
    return new Knowledge(service, labs, drugs, conditions, rules, p);
  }
}
