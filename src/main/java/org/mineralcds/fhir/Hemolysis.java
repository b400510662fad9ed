package org.mineralcds.fhir;

import static org.mineralcds.fhir.FhirJson.id;
import static org.mineralcds.fhir.FhirJson.object;
import static org.mineralcds.fhir.FhirJson.objects;
import static org.mineralcds.fhir.FhirJson.resourceType;
import static org.mineralcds.fhir.FhirJson.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether the lab marked an Observation's specimen hemolyzed. Labs say so in three places: the
 * Specimen's {@code condition} (HL7 v2 table 0493, code HEM), the Specimen contained in the
 * Observation or referenced and present among the data; a note or comment on the Observation
 * ("specimen hemolyzed", "haemolysed sample"); or the text of its interpretation or specimen
 * reference. A negated mention ("no hemolysis", "not hemolyzed") does not count.
 */
final class Hemolysis {

  static final String V2_SPECIMEN_CONDITION = "http://terminology.hl7.org/CodeSystem/v2-0493";
  static final String V2_SPECIMEN_CONDITION_STU3 = "http://hl7.org/fhir/v2/0493";

  /** HL7 v2 table 0490 (specimen reject reason) also has HEM, which some interfaces carry over. */
  static final String V2_REJECT_REASON = "http://terminology.hl7.org/CodeSystem/v2-0490";

  static final String HEMOLYZED = "HEM";

  private static final Pattern MENTION = Pattern.compile("\\bha?emoly[sz]\\w*");
  private static final Pattern NEGATION =
      Pattern.compile("\\b(no|not|non|without|negative for|free of)\\b[\\s-]*(\\w+[\\s-]+)?$");

  private Hemolysis() {}

  /**
   * @param specimens Specimen resources present among the data, by "Specimen/id"
   */
  static boolean marked(JsonNode obs, Map<String, JsonNode> specimens) {
    for (JsonNode note : objects(obs, "note")) {
      if (mentions(text(note, "text"))) {
        return true;
      }
    }
    for (JsonNode interpretation : objects(obs, "interpretation")) {
      if (mentions(text(interpretation, "text"))) {
        return true;
      }
    }
    JsonNode reference = object(obs, "specimen");
    if (reference == null) {
      return false;
    }
    if (mentions(text(reference, "display"))) {
      return true;
    }
    JsonNode specimen = specimen(obs, text(reference, "reference"), specimens);
    return specimen != null && conditionHemolyzed(specimen);
  }

  private static JsonNode specimen(JsonNode obs, String ref, Map<String, JsonNode> specimens) {
    if (ref == null) {
      return null;
    }
    if (ref.startsWith("#")) {
      for (JsonNode contained : objects(obs, "contained")) {
        if ("Specimen".equals(resourceType(contained)) && ref.substring(1).equals(id(contained))) {
          return contained;
        }
      }
      return null;
    }
    return specimens.get(R4Mapper.relativeReference(ref));
  }

  private static boolean conditionHemolyzed(JsonNode specimen) {
    for (JsonNode condition : objects(specimen, "condition")) {
      for (JsonNode coding : objects(condition, "coding")) {
        String system = text(coding, "system");
        String code = text(coding, "code");
        if ((V2_SPECIMEN_CONDITION.equals(system)
                || V2_SPECIMEN_CONDITION_STU3.equals(system)
                || V2_REJECT_REASON.equals(system))
            && code != null
            && HEMOLYZED.equals(code.trim())) {
          return true;
        }
        if (mentions(text(coding, "display"))) {
          return true;
        }
      }
      if (mentions(text(condition, "text"))) {
        return true;
      }
    }
    for (JsonNode note : objects(specimen, "note")) {
      if (mentions(text(note, "text"))) {
        return true;
      }
    }
    return false;
  }

  /** A mention of hemolysis in free text that is not negated ("no hemolysis seen"). */
  static boolean mentions(String text) {
    if (text == null) {
      return false;
    }
    String lower = text.toLowerCase(Locale.ROOT);
    Matcher m = MENTION.matcher(lower);
    while (m.find()) {
      String before = lower.substring(Math.max(0, m.start() - 24), m.start());
      if (!NEGATION.matcher(before).find()) {
        return true;
      }
    }
    return false;
  }
}
