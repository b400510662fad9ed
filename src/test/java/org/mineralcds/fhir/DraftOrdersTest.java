package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.hook.HookError;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/** Reading the orders of an order-select or order-sign context. */
class DraftOrdersTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final R4Mapper MAPPER = new R4Mapper(K.labs(), K.drugs(), K.conditions());

  private static JsonNode context(String entries, String selections) throws Exception {
    return JSON.readTree(
        "{\"patientId\":\"p1\",\"draftOrders\":{\"resourceType\":\"Bundle\",\"type\":\"collection\","
            + "\"entry\":["
            + entries
            + "]}"
            + (selections == null ? "" : ",\"selections\":" + selections)
            + "}");
  }

  private static final String LOSARTAN =
      "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"m1\",\"status\":\"draft\","
          + "\"intent\":\"order\",\"medicationCodeableConcept\":{\"text\":\"losartan 50 MG Oral"
          + " Tablet\"},\"dispenseRequest\":{\"numberOfRepeatsAllowed\":2,"
          + "\"expectedSupplyDuration\":{\"value\":30,\"code\":\"d\"}}}}";
  private static final String MEDICATION_REF =
      "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"m2\",\"status\":\"draft\","
          + "\"intent\":\"order\",\"medicationReference\":{\"reference\":\"Medication/med1\"}}},"
          + "{\"resource\":{\"resourceType\":\"Medication\",\"id\":\"med1\",\"code\":{\"text\":"
          + "\"spironolactone 25 MG Oral Tablet\"}}}";
  private static final String TSH_ORDER =
      "{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"s1\",\"status\":\"draft\","
          + "\"intent\":\"order\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\","
          + "\"code\":\"3016-3\"}]}}}";

  @Test
  void medicationOrdersAreReadWithTheirSupplyAndReferencedMedicationsAndLabOrdersCountAsOrdered()
      throws Exception {
    DraftOrders drafts =
        DraftOrders.read(
            context(
                LOSARTAN
                    + ","
                    + MEDICATION_REF
                    + ","
                    + TSH_ORDER
                    + ",{\"resource\":"
                    + "{\"resourceType\":\"NutritionOrder\",\"id\":\"n1\"}}",
                null),
            false,
            MAPPER);
    assertThat(drafts.all()).hasSize(2);
    DraftOrder losartan = drafts.all().get(0);
    assertThat(losartan.reference()).isEqualTo("MedicationRequest/m1");
    assertThat(losartan.ingredients()).extracting(i -> i.name()).containsExactly("losartan");
    assertThat(losartan.expectedDays()).isEqualTo(90);
    assertThat(drafts.all().get(1).ingredients())
        .extracting(i -> i.name())
        .containsExactly("spironolactone");
    assertThat(drafts.orderedTests())
        .singleElement()
        .satisfies(t -> assertThat(t.loincCodes()).containsExactly("3016-3"));
  }

  @Test
  void selectionsChooseTheOrdersAndTheFingerprintFollowsTheContent() throws Exception {
    DraftOrders selected =
        DraftOrders.read(
            context(LOSARTAN + "," + MEDICATION_REF, "[\"MedicationRequest/m2\"]"), true, MAPPER);
    assertThat(selected.considered())
        .extracting(DraftOrder::reference)
        .containsExactly("MedicationRequest/m2");
    assertThat(selected.all()).hasSize(2);

    String first =
        DraftOrders.read(context(LOSARTAN, null), false, MAPPER).all().get(0).fingerprint();
    String same =
        DraftOrders.read(context(LOSARTAN, null), false, MAPPER).all().get(0).fingerprint();
    String other =
        DraftOrders.read(context(LOSARTAN.replace("50 MG", "100 MG"), null), false, MAPPER)
            .all()
            .get(0)
            .fingerprint();
    assertThat(same).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void badContextsAreA400() throws Exception {
    assertThatThrownBy(
            () -> DraftOrders.read(JSON.readTree("{\"patientId\":\"p1\"}"), false, MAPPER))
        .isInstanceOf(HookError.class)
        .hasMessageContaining("draftOrders");
    assertThatThrownBy(
            () ->
                DraftOrders.read(
                    JSON.readTree("{\"draftOrders\":{\"resourceType\":\"Patient\"}}"),
                    false,
                    MAPPER))
        .isInstanceOf(HookError.class)
        .hasMessageContaining("Bundle");
    assertThatThrownBy(() -> DraftOrders.read(context(LOSARTAN, null), true, MAPPER))
        .isInstanceOf(HookError.class)
        .hasMessageContaining("selections");
    assertThatThrownBy(() -> DraftOrders.read(context(LOSARTAN, "\"m1\""), true, MAPPER))
        .isInstanceOf(HookError.class);
    assertThatThrownBy(
            () -> DraftOrders.read(context(LOSARTAN, "[\"MedicationRequest/x\"]"), true, MAPPER))
        .isInstanceOf(HookError.class)
        .hasMessageContaining("not an entry");
    // A bare id names the entry with that id.
    assertThat(DraftOrders.read(context(LOSARTAN, "[\"m1\"]"), true, MAPPER).considered())
        .hasSize(1);
  }
}
