package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/**
 * What the lab says about the specimen (hemolyzed) and what the prescription says about the route
 * (a cream is not a systemic drug), as the R4 mapper reads them.
 */
class SpecimenAndRouteMappingTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final R4Mapper MAPPER = new R4Mapper(K.labs(), K.drugs(), K.conditions());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A potassium of 6.4 mmol/L with extra Observation fields (a JSON fragment, may be empty). */
  private static String potassium(String extra) {
    return "{'resourceType':'Observation','id':'k1','status':'final',"
        + "'code':{'coding':[{'system':'http://loinc.org','code':'2823-3'}]},"
        + "'effectiveDateTime':'2026-11-19T08:00:00Z',"
        + "'valueQuantity':{'value':6.4,'unit':'mmol/L','system':'http://unitsofmeasure.org',"
        + "'code':'mmol/L'}"
        + extra
        + "}";
  }

  private static LabResult single(String observation, Map<String, JsonNode> specimens) {
    List<LabResult> results =
        MAPPER.labResults(json(observation), NOW, new MappingReport(), specimens);
    assertThat(results).hasSize(1);
    return results.get(0);
  }

  private static final String HEM_SPECIMEN =
      "{'resourceType':'Specimen','id':'s1','condition':[{'coding':[{'system':"
          + "'http://terminology.hl7.org/CodeSystem/v2-0493','code':'HEM','display':'Hemolyzed'}]}]}";

  @Test
  void aContainedSpecimenWithConditionHemIsHemolyzed() {
    LabResult r =
        single(
            potassium(",'contained':[" + HEM_SPECIMEN + "],'specimen':{'reference':'#s1'}"),
            Map.of());
    assertThat(r.hemolyzed()).isTrue();
  }

  @Test
  void aReferencedSpecimenPresentAmongTheDataIsRead() {
    String obs = potassium(",'specimen':{'reference':'Specimen/s1'}");
    assertThat(single(obs, Map.of("Specimen/s1", json(HEM_SPECIMEN))).hemolyzed()).isTrue();
    // The same reference without the Specimen in the data: nothing is known about it.
    assertThat(single(obs, Map.of()).hemolyzed()).isFalse();
  }

  @Test
  void aSpecimenWithAnotherConditionIsNotHemolyzed() {
    String specimen =
        "{'resourceType':'Specimen','id':'s1','condition':[{'coding':[{'system':"
            + "'http://terminology.hl7.org/CodeSystem/v2-0493','code':'CLOT'}]}]}";
    assertThat(
            single(
                    potassium(",'specimen':{'reference':'Specimen/s1'}"),
                    Map.of("Specimen/s1", json(specimen)))
                .hemolyzed())
        .isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Specimen hemolyzed; interpret with caution.",
        "Haemolysed sample",
        "Moderate hemolysis present",
        "SLIGHTLY HEMOLYZED"
      })
  void aNoteSayingHemolyzedMarksTheResult(String note) {
    assertThat(single(potassium(",'note':[{'text':'" + note + "'}]"), Map.of()).hemolyzed())
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"No hemolysis detected", "Specimen not hemolyzed", "without haemolysis", ""})
  void aNegatedOrAbsentMentionDoesNot(String note) {
    assertThat(single(potassium(",'note':[{'text':'" + note + "'}]"), Map.of()).hemolyzed())
        .isFalse();
  }

  @Test
  void aPlainResultIsNotHemolyzed() {
    assertThat(single(potassium(""), Map.of()).hemolyzed()).isFalse();
  }

  // ---- route and dose form -------------------------------------------------------------------

  private static Set<String> classesOf(String medicationRequest) {
    MedicationExposure m = MAPPER.medication(json(medicationRequest), Map.of()).orElseThrow();
    return m.ingredients().stream().map(i -> i.drugClass().id()).collect(Collectors.toSet());
  }

  private static String request(String medication, String dosage) {
    return "{'resourceType':'MedicationRequest','id':'mr1','status':'active','intent':'order',"
        + "'medicationCodeableConcept':{'text':'"
        + medication
        + "'}"
        + dosage
        + "}";
  }

  @Test
  void hydrocortisoneCreamIsNotASystemicCorticosteroid() {
    assertThat(classesOf(request("hydrocortisone 1 % Topical Cream", ""))).isEmpty();
    assertThat(classesOf(request("Hydrocortisone 10 MG Oral Tablet", "")))
        .containsExactly("corticosteroid");
  }

  @Test
  void aLocalRouteOnTheDosageCountsAsWellAsTheName() {
    String topical =
        ",'dosageInstruction':[{'route':{'coding':[{'system':'http://snomed.info/sct',"
            + "'code':'6064005','display':'Topical route'}]}}]";
    assertThat(classesOf(request("hydrocortisone 2.5 %", topical))).isEmpty();
    String eye = ",'dosageInstruction':[{'route':{'text':'ophthalmic'}}]";
    assertThat(classesOf(request("ketorolac 0.5 %", eye))).isEmpty();
    String oral = ",'dosageInstruction':[{'route':{'text':'oral'}}]";
    assertThat(classesOf(request("prednisone 10 mg", oral))).containsExactly("corticosteroid");
  }

  @Test
  void aSystemicOnlyClassCountsOnlyWhenTakenSystemically() {
    assertThat(classesOf(request("Tacrolimus 0.1 % Topical Ointment", ""))).isEmpty();
    assertThat(classesOf(request("Tacrolimus 1 MG Oral Capsule", "")))
        .containsExactly("calcineurin-inhibitor");
  }

  @Test
  void sacubitrilValsartanIsOneArbContainingIngredient() {
    MedicationExposure m =
        MAPPER
            .medication(
                json(request("sacubitril 49 MG / valsartan 51 MG Oral Tablet [Entresto]", "")),
                Map.of())
            .orElseThrow();
    assertThat(m.ingredients())
        .extracting(Ingredient::name)
        .containsExactly("sacubitril/valsartan");
    assertThat(m.ingredients())
        .extracting(i -> i.drugClass().id())
        .containsExactly("angiotensin-receptor-blocker");
  }
}
