package org.mineralcds.clinical;

import java.time.LocalDate;
import java.time.Period;

/** What the rules need from the Patient resource; birthDate may be null. */
public record Demographics(LocalDate birthDate, String gender) {

  /** Adult defaults apply when the age is unknown: most CDS callers are adult services. */
  public boolean isChildOn(LocalDate day) {
    return birthDate != null && Period.between(birthDate, day).getYears() < 18;
  }
}
