package org.mineralcds.rules;

import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.Direction;

/** A second analyte that must be out of range, drawn within {@code withinDays} of the first. */
public record Companion(Analyte analyte, Direction is, int withinDays) {}
