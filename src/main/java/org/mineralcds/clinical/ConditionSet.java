package org.mineralcds.clinical;

import java.util.List;
import java.util.Set;

/** A named group of condition codes: ICD-10-CM by prefix, SNOMED CT by exact code. */
public record ConditionSet(
    String id,
    String name,
    List<String> icd10cmPrefixes,
    Set<String> snomedCodes,
    Set<Analyte> relevantTo) {

  public static final String ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm";
  public static final String SNOMED_SYSTEM = "http://snomed.info/sct";

  public ConditionSet {
    icd10cmPrefixes = List.copyOf(icd10cmPrefixes);
    snomedCodes = Set.copyOf(snomedCodes);
    relevantTo = Set.copyOf(relevantTo);
  }

  public boolean matches(CodeRef coding) {
    if (coding.code() == null) {
      return false;
    }
    String code = coding.code().trim();
    if (ICD10CM_SYSTEM.equals(coding.system())) {
      for (String prefix : icd10cmPrefixes) {
        if (code.startsWith(prefix)) {
          return true;
        }
      }
      return false;
    }
    return SNOMED_SYSTEM.equals(coding.system()) && snomedCodes.contains(code);
  }
}
