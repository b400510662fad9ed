package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.config.TestServiceConfigs.loopback;
import static org.mineralcds.memory.MemoryServiceTest.JSON;
import static org.mineralcds.memory.MemoryServiceTest.card;
import static org.mineralcds.memory.MemoryServiceTest.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * The prescribing-time services called as the official CDS Hooks sandbox (cds-hooks/sandbox) calls
 * them from Rx View (order-select) and Rx Sign (order-sign), issue 16. The fixture is a request the
 * sandbox sent to the embedded demo (dates moved to the test clock, the patient's name left out):
 * one MedicationRequest with the fixed id {@code request-123}, {@code category} as an object (not
 * the R4 array), an RxNorm product code with the product name, dosage as {@code doseAndRate} with a
 * {@code {pill}} unit, {@code selections: ["MedicationRequest/request-123"]}, no encounterId, the
 * sandbox's user {@code Practitioner/COREPRACTITIONER1}, and the six prefetch keys read with POST
 * {@code _search}. Rx Sign sends the same draft without selections.
 */
class SandboxRequestsTest {

  private MineralCds app;

  @BeforeEach
  void start() throws Exception {
    app = MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock());
  }

  @AfterEach
  void stop() {
    app.close();
  }

  static ObjectNode rxView() throws Exception {
    try (InputStream in =
        SandboxRequestsTest.class.getResourceAsStream("/wire/sandbox-order-select-request.json")) {
      assertThat(in).as("test resource wire/sandbox-order-select-request.json").isNotNull();
      return (ObjectNode) JSON.readTree(in);
    }
  }

  /** Rx Sign: the same request on order-sign, without selections. */
  static ObjectNode rxSign() throws Exception {
    ObjectNode r = rxView();
    r.put("hook", "order-sign");
    ((ObjectNode) r.path("context")).remove("selections");
    return r;
  }

  static ObjectNode draft(ObjectNode request) {
    return (ObjectNode)
        request.path("context").path("draftOrders").path("entry").get(0).get("resource");
  }

  JsonNode cards(String service, ObjectNode request) throws Exception {
    HttpResponse<String> r = post(app.baseUrl() + "/cds-services/" + service, request.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("cards");
  }

  static List<String> suggestionLabels(JsonNode card) {
    List<String> labels = new ArrayList<>();
    card.path("suggestions").forEach(s -> labels.add(s.path("label").asText()));
    return labels;
  }

  @Test
  void rxViewStartingLithiumGetsTheBaselineCard() throws Exception {
    JsonNode baseline = card(cards("mineral-order-select", rxView()), "order-baseline-due");
    assertThat(baseline).isNotNull();
    assertThat(baseline.path("summary").asText()).startsWith("Starting lithium");
    assertThat(baseline.path("detail").asText())
        .contains("Lithium Carbonate 300 MG Oral Capsule (lithium)");
    assertThat(suggestionLabels(baseline))
        .contains("Order calcium", "Order TSH", "Order creatinine");
  }

  @Test
  void rxSignSendsTheSameDraftWithoutSelectionsAndGetsTheSameCard() throws Exception {
    JsonNode baseline = card(cards("mineral-order-sign", rxSign()), "order-baseline-due");
    assertThat(baseline).isNotNull();
    assertThat(baseline.path("summary").asText()).startsWith("Starting lithium");
  }

  @Test
  void aConflictOffersToWithdrawTheSandboxDraftById() throws Exception {
    for (ObjectNode request : List.of(rxView(), rxSign())) {
      ObjectNode medication = draft(request).putObject("medicationCodeableConcept");
      medication.put("text", "Losartan Potassium 50 MG Oral Tablet");
      medication
          .putArray("coding")
          .addObject()
          .put("display", "Losartan Potassium 50 MG Oral Tablet")
          .put("system", "http://www.nlm.nih.gov/research/umls/rxnorm")
          .put("code", "979492");
      ObjectNode potassium =
          (ObjectNode) request.path("prefetch").path("labs").path("entry").get(0).path("resource");
      ((ObjectNode) potassium.get("valueQuantity")).put("value", 5.6);
      String service =
          request.path("hook").asText().equals("order-select")
              ? "mineral-order-select"
              : "mineral-order-sign";
      JsonNode conflict = card(cards(service, request), "order-lab-conflict");
      assertThat(conflict).as(service).isNotNull();
      assertThat(conflict.path("summary").asText()).contains("losartan", "5.6 mmol/L");
      List<String> deleted = new ArrayList<>();
      conflict
          .path("suggestions")
          .forEach(
              s ->
                  s.path("actions")
                      .forEach(
                          a -> {
                            if (a.path("type").asText().equals("delete")) {
                              deleted.add(a.path("resourceId").asText());
                            }
                          }));
      assertThat(deleted).containsExactly("MedicationRequest/request-123");
    }
  }

  /**
   * Rx View calls order-select as soon as it opens, before a drug is chosen: a draft with a
   * subject, a date and a status but no medication. That is a quiet 200, not a 400.
   */
  @Test
  void rxViewBeforeADrugIsChosenIsQuiet() throws Exception {
    ObjectNode request = rxView();
    ObjectNode draft = draft(request);
    for (String field :
        List.of("medicationCodeableConcept", "dosageInstruction", "dispenseRequest", "intent")) {
      draft.remove(field);
    }
    assertThat(cards("mineral-order-select", request)).isEmpty();
  }
}
