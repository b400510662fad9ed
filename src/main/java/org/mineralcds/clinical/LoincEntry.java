package org.mineralcds.clinical;

/**
 * A LOINC code of an analyte family.
 *
 * @param unitWhenMissing unit assumed when a result has none; null unless every conventional unit
 *     of this code has the same factor
 */
public record LoincEntry(String code, Analyte analyte, String display, String unitWhenMissing) {}
