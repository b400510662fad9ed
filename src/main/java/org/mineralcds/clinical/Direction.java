package org.mineralcds.clinical;

/** The direction of an abnormality or of a drug's effect on an analyte. */
public enum Direction {
  LOW,
  HIGH
}
