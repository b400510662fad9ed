package org.mineralcds.knowledge;

import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.rules.RuleSet;

/** Everything loaded from hooks/&lt;service-id&gt;/, validated. */
public record Knowledge(
    ServiceDefinition service,
    LabCatalog labs,
    DrugCatalog drugs,
    ConditionCatalog conditions,
    RuleSet rules) {}
