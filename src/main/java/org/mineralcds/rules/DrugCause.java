package org.mineralcds.rules;

import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.MedicationExposure;

/** A current medication whose class moves the analyte in the direction found. */
public record DrugCause(MedicationExposure medication, Ingredient ingredient) {}
