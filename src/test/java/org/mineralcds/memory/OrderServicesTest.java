package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.config.TestServiceConfigs.loopback;
import static org.mineralcds.memory.MemoryServiceTest.JSON;
import static org.mineralcds.memory.MemoryServiceTest.card;
import static org.mineralcds.memory.MemoryServiceTest.get;
import static org.mineralcds.memory.MemoryServiceTest.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;

/**
 * The prescribing-time services over HTTP (card contract, "Prescribing-time services"): conflicts
 * and baselines, quiet drafts, bad input, feedback, and the run-ahead from order-select to
 * order-sign on the embedded database and on PostgreSQL.
 */
class OrderServicesTest {

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  // ---- request building ---------------------------------------------------------------------

  static ObjectNode bundle(ObjectNode... resources) {
    ObjectNode b = JSON.createObjectNode();
    b.put("resourceType", "Bundle");
    b.put("type", "searchset");
    ArrayNode entries = b.putArray("entry");
    for (ObjectNode r : resources) {
      entries.addObject().set("resource", r);
    }
    return b;
  }

  static ObjectNode lab(String id, String loinc, double value, String unit, String when) {
    ObjectNode o = JSON.createObjectNode();
    o.put("resourceType", "Observation");
    o.put("id", id);
    o.put("status", "final");
    o.putObject("code")
        .putArray("coding")
        .addObject()
        .put("system", "http://loinc.org")
        .put("code", loinc);
    o.putObject("subject").put("reference", "Patient/p1");
    o.put("effectiveDateTime", when);
    o.putObject("valueQuantity").put("value", value).put("unit", unit);
    return o;
  }

  static ObjectNode medication(String id, String status, String text) {
    ObjectNode m = JSON.createObjectNode();
    m.put("resourceType", "MedicationRequest");
    m.put("id", id);
    m.put("status", status);
    m.put("intent", "order");
    m.putObject("medicationCodeableConcept").put("text", text);
    m.putObject("subject").put("reference", "Patient/p1");
    m.put("authoredOn", "2026-06-01");
    return m;
  }

  static ObjectNode labOrder(String id, String loinc) {
    ObjectNode s = JSON.createObjectNode();
    s.put("resourceType", "ServiceRequest");
    s.put("id", id);
    s.put("status", "draft");
    s.put("intent", "proposal");
    s.putObject("code")
        .putArray("coding")
        .addObject()
        .put("system", "http://loinc.org")
        .put("code", loinc);
    s.putObject("subject").put("reference", "Patient/p1");
    return s;
  }

  static String request(
      String hook,
      List<ObjectNode> labs,
      List<ObjectNode> meds,
      List<ObjectNode> drafts,
      String... selections) {
    ObjectNode body = JSON.createObjectNode();
    body.put("hook", hook);
    body.put("hookInstance", UUID.randomUUID().toString());
    ObjectNode context = body.putObject("context");
    context.put("userId", "Practitioner/1");
    context.put("patientId", "p1");
    ObjectNode draftOrders = bundle(drafts.toArray(ObjectNode[]::new));
    draftOrders.put("type", "collection");
    context.set("draftOrders", draftOrders);
    if (hook.equals("order-select")) {
      ArrayNode s = context.putArray("selections");
      for (String sel : selections) {
        s.add(sel);
      }
    }
    ObjectNode prefetch = body.putObject("prefetch");
    prefetch.putNull("patient");
    prefetch.set("labs", bundle(labs.toArray(ObjectNode[]::new)));
    prefetch.set("medicationRequests", bundle(meds.toArray(ObjectNode[]::new)));
    prefetch.putNull("medicationStatements");
    prefetch.putNull("conditions");
    prefetch.set("pendingLabOrders", bundle());
    return body.toString();
  }

  static JsonNode call(MineralCds app, String service, String body) throws Exception {
    HttpResponse<String> r = post(app.baseUrl() + "/cds-services/" + service, body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("cards");
  }

  static final String SELECT = "mineral-order-select";
  static final String SIGN = "mineral-order-sign";

  static ObjectNode losartanDraft(String dose) {
    ObjectNode d = medication("draft-1", "draft", "losartan " + dose + " MG Oral Tablet");
    d.remove("authoredOn");
    return d;
  }

  static List<ObjectNode> potassium(double value) {
    return List.of(lab("k1", "2823-3", value, "mmol/L", "2026-11-18T08:00:00Z"));
  }

  static List<String> actionTypes(JsonNode card) {
    List<String> types = new ArrayList<>();
    card.path("suggestions")
        .forEach(s -> s.path("actions").forEach(a -> types.add(a.path("type").asText())));
    return types;
  }

  // ---- conflicts ----------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("databases")
  void anArbWhileOnSpironolactoneWithHighPotassiumIsAConflictShownOnceFromSelectToSign(String db)
      throws Exception {
    MemorySettings memory = TestDatabases.fresh(db, tmp);
    MemoryServiceTest.TestClock clock = new MemoryServiceTest.TestClock();
    try (MineralCds app = MineralCds.start(loopback(memory), clock)) {
      List<ObjectNode> meds =
          List.of(medication("m1", "active", "spironolactone 25 MG Oral Tablet"));
      String select =
          request(
              "order-select",
              potassium(5.4),
              meds,
              List.of(losartanDraft("50")),
              "MedicationRequest/draft-1");
      JsonNode cards = call(app, SELECT, select);
      JsonNode conflict = card(cards, "order-lab-conflict");
      assertThat(conflict).as(cards.toString()).isNotNull();
      assertThat(conflict.path("indicator").asText()).isEqualTo("warning");
      assertThat(conflict.path("summary").asText())
          .contains("losartan", "5.4 mmol/L", "2026-11-18", "spironolactone")
          .hasSizeLessThan(140);
      assertThat(conflict.path("detail").asText()).contains("3.5–5.0 mmol/L");
      assertThat(conflict.path("source").path("url").asText())
          .endsWith("/knowledge/rules/order-potassium-raising-high-potassium");
      assertThat(actionTypes(conflict)).contains("delete", "create");
      JsonNode delete = conflict.path("suggestions").get(0).path("actions").get(0);
      assertThat(delete.path("type").asText()).isEqualTo("delete");
      assertThat(delete.path("resourceId").asText()).isEqualTo("MedicationRequest/draft-1");
      JsonNode recheck =
          conflict.path("suggestions").get(1).path("actions").get(0).path("resource");
      assertThat(recheck.path("resourceType").asText()).isEqualTo("ServiceRequest");
      assertThat(recheck.path("code").path("coding").get(0).path("code").asText())
          .isEqualTo("2823-3");
      assertThat(recheck.path("reasonReference").get(0).path("reference").asText())
          .isEqualTo("Observation/k1");

      // The same draft at signing: already shown, not repeated.
      String sign = request("order-sign", potassium(5.4), meds, List.of(losartanDraft("50")));
      assertThat(card(call(app, SIGN, sign), "order-lab-conflict")).isNull();
      // The run-ahead state expires after a day: signing the same draft then shows the card.
      clock.now = clock.now.plus(java.time.Duration.ofHours(25));
      assertThat(card(call(app, SIGN, sign), "order-lab-conflict")).isNotNull();
      // The draft changed (another dose): shown.
      String changed = request("order-sign", potassium(5.4), meds, List.of(losartanDraft("100")));
      assertThat(card(call(app, SIGN, changed), "order-lab-conflict")).isNotNull();
      // A new value: shown.
      String newer = request("order-sign", potassium(5.8), meds, List.of(losartanDraft("50")));
      assertThat(card(call(app, SIGN, newer), "order-lab-conflict")).isNotNull();
      // Feedback on a prescribing card is stored like mineral-balance's.
      HttpResponse<String> fb =
          post(
              app.baseUrl() + "/cds-services/" + SIGN + "/feedback",
              "{\"feedback\":["
                  + MemoryServiceTest.overridden(
                      card(call(app, SIGN, newer), "order-lab-conflict").path("uuid").asText(),
                      "already-addressed")
                  + "]}");
      assertThat(fb.statusCode()).as(fb.body()).isEqualTo(200);
    }
  }

  @Test
  void combinedPotassiumRaisingTherapyIsCriticalOnlyWhereTheNotesSaySo() throws Exception {
    try (MineralCds app =
        MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock())) {
      List<ObjectNode> meds =
          List.of(medication("m1", "active", "spironolactone 25 MG Oral Tablet"));
      JsonNode combined =
          card(
              call(
                  app,
                  SIGN,
                  request("order-sign", potassium(6.1), meds, List.of(losartanDraft("50")))),
              "order-lab-conflict");
      assertThat(combined.path("indicator").asText()).isEqualTo("critical");
      JsonNode alone =
          card(
              call(
                  app,
                  SIGN,
                  request("order-sign", potassium(6.1), List.of(), List.of(losartanDraft("50")))),
              "order-lab-conflict");
      assertThat(alone.path("indicator").asText()).isEqualTo("warning");
      // Normal potassium and nothing else: the ARB still needs its baseline? K is on file, so no.
      JsonNode quiet =
          call(
              app, SIGN, request("order-sign", potassium(4.2), meds, List.of(losartanDraft("50"))));
      assertThat(card(quiet, "order-lab-conflict")).isNull();
    }
  }

  @Test
  void severalConflictingDraftsAtSignShareOneCardOfTheirTopicWithAWithdrawalForEach()
      throws Exception {
    // The contract: a topic at most once per response. An ARB and a potassium supplement drafted
    // together with a high potassium: one order-lab-conflict card naming both drafts.
    try (MineralCds app =
        MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock())) {
      ObjectNode supplement =
          medication("draft-2", "draft", "potassium chloride 20 MEQ Extended Release Oral Tablet");
      supplement.remove("authoredOn");
      JsonNode cards =
          call(
              app,
              SIGN,
              request(
                  "order-sign",
                  potassium(5.6),
                  List.of(),
                  List.of(losartanDraft("50"), supplement)));
      List<String> topics = new ArrayList<>();
      cards.forEach(c -> topics.add(c.path("source").path("topic").path("code").asText()));
      assertThat(topics).doesNotHaveDuplicates().contains("order-lab-conflict");
      JsonNode conflict = card(cards, "order-lab-conflict");
      assertThat(conflict.path("summary").asText()).hasSizeLessThan(140);
      assertThat(conflict.path("detail").asText())
          .containsIgnoringCase("losartan")
          .containsIgnoringCase("potassium chloride");
      List<String> withdrawn = new ArrayList<>();
      conflict
          .path("suggestions")
          .forEach(
              s ->
                  s.path("actions")
                      .forEach(
                          a -> {
                            if (a.path("type").asText().equals("delete")) {
                              withdrawn.add(a.path("resourceId").asText());
                            }
                          }));
      assertThat(withdrawn)
          .containsExactlyInAnyOrder("MedicationRequest/draft-1", "MedicationRequest/draft-2");
      assertThat(actionTypes(conflict)).contains("create"); // never only withdrawals
      assertThat(conflict.path("extension").path("org.mineral-cds.orders"))
          .extracting(JsonNode::asText)
          .containsExactlyInAnyOrder("MedicationRequest/draft-1", "MedicationRequest/draft-2");
    }
  }

  @Test
  void aDraftWithoutMineralImplicationsIsQuietAndBadInputIsA400() throws Exception {
    try (MineralCds app =
        MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock())) {
      ObjectNode amoxicillin = medication("d2", "draft", "amoxicillin 500 MG Oral Capsule");
      ObjectNode uncoded =
          JSON.createObjectNode()
              .put("resourceType", "MedicationRequest")
              .put("id", "d3")
              .put("status", "draft");
      ObjectNode other =
          JSON.createObjectNode().put("resourceType", "NutritionOrder").put("id", "n1");
      String quiet =
          request("order-sign", potassium(5.6), List.of(), List.of(amoxicillin, uncoded, other));
      HttpResponse<String> r = post(app.baseUrl() + "/cds-services/" + SIGN, quiet);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"cards\":[]}");

      String good =
          request(
              "order-select",
              potassium(5.6),
              List.of(),
              List.of(amoxicillin),
              "MedicationRequest/d2");
      ObjectNode notBundle = (ObjectNode) JSON.readTree(good);
      ((ObjectNode) notBundle.path("context")).put("draftOrders", "MedicationRequest/d2");
      assertThat(post(app.baseUrl() + "/cds-services/" + SELECT, notBundle.toString()).statusCode())
          .isEqualTo(400);
      ObjectNode missing = (ObjectNode) JSON.readTree(good);
      ((ObjectNode) missing.path("context")).remove("draftOrders");
      HttpResponse<String> m = post(app.baseUrl() + "/cds-services/" + SELECT, missing.toString());
      assertThat(m.statusCode()).isEqualTo(400);
      assertThat(m.body()).contains("draftOrders");
      String unknownSelection =
          request(
              "order-select",
              potassium(5.6),
              List.of(),
              List.of(amoxicillin),
              "MedicationRequest/nope");
      HttpResponse<String> u = post(app.baseUrl() + "/cds-services/" + SELECT, unknownSelection);
      assertThat(u.statusCode()).isEqualTo(400);
      assertThat(u.body()).contains("selections");
      // The wrong hook for the service.
      assertThat(post(app.baseUrl() + "/cds-services/" + SIGN, good).statusCode()).isEqualTo(400);
    }
  }

  // ---- baselines ----------------------------------------------------------------------------

  @Test
  void startingLithiumSuggestsTheMissingBaselineTestsNotOnesAlreadyOrderedNorForARenewal()
      throws Exception {
    try (MineralCds app =
        MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock())) {
      ObjectNode lithium = medication("d1", "draft", "lithium carbonate 300 MG Oral Capsule");
      List<ObjectNode> labs = List.of(lab("k1", "2823-3", 4.2, "mmol/L", "2026-11-18T08:00:00Z"));
      JsonNode baseline =
          card(
              call(
                  app,
                  SIGN,
                  request(
                      "order-sign", labs, List.of(), List.of(lithium, labOrder("s1", "3016-3")))),
              "order-baseline-due");
      assertThat(baseline).isNotNull();
      assertThat(baseline.path("summary").asText())
          .contains("lithium", "calcium", "creatinine")
          .doesNotContain("TSH");
      List<String> codes = new ArrayList<>();
      baseline
          .path("suggestions")
          .forEach(
              s ->
                  s.path("actions")
                      .forEach(
                          a ->
                              codes.add(
                                  a.path("resource")
                                      .path("code")
                                      .path("coding")
                                      .get(0)
                                      .path("code")
                                      .asText())));
      assertThat(codes).contains("17861-6", "2160-0").doesNotContain("3016-3");

      // Lithium already taken: a renewal, not a start.
      List<ObjectNode> onLithium =
          List.of(medication("m1", "active", "lithium carbonate 300 MG Oral Capsule"));
      assertThat(
              card(
                  call(app, SIGN, request("order-sign", labs, onLithium, List.of(lithium))),
                  "order-baseline-due"))
          .isNull();
    }
  }

  @Test
  void discoveryListsTheThreeServices() throws Exception {
    try (MineralCds app =
        MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock())) {
      JsonNode services =
          JSON.readTree(get(app.baseUrl() + "/cds-services").body()).path("services");
      List<String> hooks = new ArrayList<>();
      services.forEach(s -> hooks.add(s.path("id").asText() + "@" + s.path("hook").asText()));
      assertThat(hooks)
          .containsExactly(
              "mineral-balance@patient-view",
              "mineral-order-select@order-select",
              "mineral-order-sign@order-sign");
      services.forEach(
          s ->
              assertThat(s.path("prefetch").path("labs").asText())
                  .contains("Observation?patient="));
    }
  }
}
