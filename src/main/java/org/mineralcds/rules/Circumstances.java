package org.mineralcds.rules;

import java.math.BigDecimal;
import java.util.Set;

/**
 * Patient circumstances that change a due-test rule: it applies, its window shortens or its
 * indicator rises when ANY one part holds (a coded problem, a co-prescribed drug class, a low eGFR,
 * an age, or a low latest result).
 *
 * @param conditions condition set ids (conditions.yaml) of which one is on the problem list
 * @param drugClasses drug class ids (drugs.yaml) of which one is on the active medication list
 * @param egfrBelow the latest eGFR within a year is below this (mL/min/1.73m2), or null
 * @param ageAtLeast the patient is at least this many years old, or null
 * @param lowResults analytes whose latest result within a year is below its range
 */
public record Circumstances(
    Set<String> conditions,
    Set<String> drugClasses,
    BigDecimal egfrBelow,
    Integer ageAtLeast,
    Set<RuleAnalyte> lowResults) {

  public Circumstances {
    conditions = Set.copyOf(conditions);
    drugClasses = Set.copyOf(drugClasses);
    lowResults = Set.copyOf(lowResults);
    if (conditions.isEmpty()
        && drugClasses.isEmpty()
        && egfrBelow == null
        && ageAtLeast == null
        && lowResults.isEmpty()) {
      throw new IllegalArgumentException(
          "needs at least one of conditions, drugClasses, egfrBelow, ageAtLeast, lowResults");
    }
  }
}
