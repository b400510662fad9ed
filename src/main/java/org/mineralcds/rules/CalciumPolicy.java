package org.mineralcds.rules;

import java.math.BigDecimal;

/**
 * How the calcium value is chosen: ionized when measured at the same draw as (or after) the latest
 * total calcium and within {@code preferIonizedWithinDays}; else total calcium corrected for
 * albumin (Payne) when an albumin within {@code albuminWithinHours} is below {@code
 * correctWhenAlbuminBelow}; else total calcium.
 */
public record CalciumPolicy(
    int preferIonizedWithinDays,
    int albuminWithinHours,
    BigDecimal correctWhenAlbuminBelow,
    BigDecimal referenceAlbumin,
    BigDecimal factorPerGramPerDeciliter,
    Citation source,
    Citation caveatSource) {}
