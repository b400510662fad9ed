package org.mineralcds.rules;

import org.mineralcds.clinical.Analyte;

/**
 * A test the service may suggest.
 *
 * @param analyte results of this analyte's family count as "already resulted"
 */
public record TestSpec(String id, String loinc, String display, String label, Analyte analyte) {}
