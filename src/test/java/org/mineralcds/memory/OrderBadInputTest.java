package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.config.TestServiceConfigs.loopback;
import static org.mineralcds.memory.MemoryServiceTest.JSON;
import static org.mineralcds.memory.MemoryServiceTest.card;
import static org.mineralcds.memory.MemoryServiceTest.post;
import static org.mineralcds.memory.OrderServicesTest.SELECT;
import static org.mineralcds.memory.OrderServicesTest.SIGN;
import static org.mineralcds.memory.OrderServicesTest.actionTypes;
import static org.mineralcds.memory.OrderServicesTest.labOrder;
import static org.mineralcds.memory.OrderServicesTest.losartanDraft;
import static org.mineralcds.memory.OrderServicesTest.medication;
import static org.mineralcds.memory.OrderServicesTest.potassium;
import static org.mineralcds.memory.OrderServicesTest.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.config.ServiceConfig;

/**
 * What a prober sends to the prescribing hooks (issue 16, "Bad input"): every malformed or odd
 * {@code draftOrders} / {@code selections} gets a clear 400 with an OperationOutcome naming the
 * problem, or a quiet {@code {"cards": []}} where the spec allows it, never a 5xx or a stack trace.
 * Each case starts from a call that does give a card (losartan drafted with potassium 5.6 mmol/L),
 * so a quiet answer is the service ignoring the odd part, not a request that was quiet anyway.
 */
class OrderBadInputTest {

  private static MineralCds app;

  @BeforeAll
  static void start() {
    app = MineralCds.start(loopback(MemorySettings.disabled()), new MemoryServiceTest.TestClock());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** What the answer must be: 400 naming {@code says}, quiet (200, no card) or a conflict card. */
  enum Expect {
    BAD_REQUEST,
    QUIET,
    CONFLICT
  }

  record Case(String name, String hook, Consumer<ObjectNode> change, Expect expect, String says) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static ObjectNode context(ObjectNode body) {
    return (ObjectNode) body.path("context");
  }

  private static ArrayNode entries(ObjectNode body) {
    return (ArrayNode) body.path("context").path("draftOrders").path("entry");
  }

  private static ObjectNode draft(ObjectNode body) {
    return (ObjectNode) entries(body).get(0).path("resource");
  }

  private static Case sign(String name, Consumer<ObjectNode> change, Expect expect, String says) {
    return new Case(name, "order-sign", change, expect, says);
  }

  private static Case select(String name, Consumer<ObjectNode> change, Expect expect, String says) {
    return new Case(name, "order-select", change, expect, says);
  }

  static Stream<Case> cases() {
    return Stream.of(
        sign("unchanged: the conflict card", b -> {}, Expect.CONFLICT, null),
        // ---- draftOrders itself
        sign(
            "draftOrders missing",
            b -> context(b).remove("draftOrders"),
            Expect.BAD_REQUEST,
            "'context.draftOrders' is required"),
        sign(
            "draftOrders null",
            b -> context(b).putNull("draftOrders"),
            Expect.BAD_REQUEST,
            "'context.draftOrders' is required"),
        sign(
            "draftOrders a string",
            b -> context(b).put("draftOrders", "MedicationRequest/draft-1"),
            Expect.BAD_REQUEST,
            "must be a FHIR Bundle"),
        sign(
            "draftOrders an array of resources",
            b -> context(b).putArray("draftOrders").add(losartanDraft("50")),
            Expect.BAD_REQUEST,
            "must be a FHIR Bundle"),
        sign(
            "draftOrders a MedicationRequest, not a Bundle",
            b -> context(b).set("draftOrders", losartanDraft("50")),
            Expect.BAD_REQUEST,
            "must be a FHIR Bundle"),
        sign(
            "draftOrders a Bundle without resourceType",
            b -> ((ObjectNode) context(b).path("draftOrders")).remove("resourceType"),
            Expect.BAD_REQUEST,
            "must be a FHIR Bundle"),
        sign(
            "draftOrders.entry an object",
            b -> ((ObjectNode) context(b).path("draftOrders")).putObject("entry"),
            Expect.BAD_REQUEST,
            "'context.draftOrders.entry' must be an array"),
        sign(
            "draftOrders an empty Bundle (no entry)",
            b -> ((ObjectNode) context(b).path("draftOrders")).remove("entry"),
            Expect.QUIET,
            null),
        sign("draftOrders.entry empty", b -> entries(b).removeAll(), Expect.QUIET, null),
        // ---- entries
        sign(
            "entries that are not objects or have no resource",
            b -> {
              entries(b).removeAll();
              entries(b).add("MedicationRequest/draft-1").add(42).addNull().addObject();
              entries(b).addObject().put("resource", "MedicationRequest/draft-1");
              entries(b).addObject().putObject("resource").put("id", "no-type");
              entries(b).addObject().putObject("resource").put("resourceType", 7);
            },
            Expect.QUIET,
            null),
        sign(
            "entries of unknown or non-order types only",
            b -> {
              entries(b).removeAll();
              entries(b)
                  .addObject()
                  .putObject("resource")
                  .put("resourceType", "NutritionOrder")
                  .put("id", "n1");
              entries(b)
                  .addObject()
                  .putObject("resource")
                  .put("resourceType", "Patient")
                  .put("id", "p1");
              entries(b)
                  .addObject()
                  .putObject("resource")
                  .put("resourceType", "Bundle")
                  .put("type", "collection");
              entries(b)
                  .addObject()
                  .putObject("resource")
                  .put("resourceType", "VisionPrescription")
                  .put("id", "v1");
            },
            Expect.QUIET,
            null),
        sign(
            "an entry of an unknown type beside the drug",
            b ->
                entries(b)
                    .addObject()
                    .putObject("resource")
                    .put("resourceType", "DeviceRequest")
                    .put("id", "dev1"),
            Expect.CONFLICT,
            null),
        // ---- the medication of an order
        sign(
            "an order with neither code nor text",
            b -> draft(b).remove("medicationCodeableConcept"),
            Expect.QUIET,
            null),
        sign(
            "an order with an empty code",
            b -> draft(b).putObject("medicationCodeableConcept").putArray("coding").addObject(),
            Expect.QUIET,
            null),
        sign(
            "an order with a blank text",
            b -> draft(b).putObject("medicationCodeableConcept").put("text", " "),
            Expect.QUIET,
            null),
        sign(
            "an order whose code is a string, not a CodeableConcept: no drug",
            b -> draft(b).put("medicationCodeableConcept", "losartan"),
            Expect.QUIET,
            null),
        sign(
            "a medicationReference to a contained Medication",
            b -> {
              ObjectNode d = draft(b);
              d.remove("medicationCodeableConcept");
              d.putObject("medicationReference").put("reference", "#med");
              d.putArray("contained")
                  .addObject()
                  .put("resourceType", "Medication")
                  .put("id", "med")
                  .putObject("code")
                  .put("text", "losartan 50 MG Oral Tablet");
            },
            Expect.CONFLICT,
            null),
        sign(
            "a medicationReference to a Medication entry of the Bundle",
            b -> {
              draft(b).remove("medicationCodeableConcept");
              draft(b).putObject("medicationReference").put("reference", "Medication/med1");
              entries(b)
                  .addObject()
                  .putObject("resource")
                  .put("resourceType", "Medication")
                  .put("id", "med1")
                  .putObject("code")
                  .put("text", "losartan 50 MG Oral Tablet");
            },
            Expect.CONFLICT,
            null),
        sign(
            "a medicationReference to a Medication that is nowhere",
            b -> {
              draft(b).remove("medicationCodeableConcept");
              draft(b).putObject("medicationReference").put("reference", "Medication/gone");
            },
            Expect.QUIET,
            null),
        sign(
            "a medicationReference to a contained Medication that is not there",
            b -> {
              draft(b).remove("medicationCodeableConcept");
              draft(b).putObject("medicationReference").put("reference", "#gone");
            },
            Expect.QUIET,
            null),
        sign(
            "a medicationReference with only a display: the drug by its name",
            b -> {
              draft(b).remove("medicationCodeableConcept");
              draft(b).putObject("medicationReference").put("display", "losartan");
            },
            Expect.CONFLICT,
            null),
        sign(
            "a medicationReference that is a string",
            b -> {
              draft(b).remove("medicationCodeableConcept");
              draft(b).put("medicationReference", "Medication/med1");
            },
            Expect.QUIET,
            null),
        // ---- status and intent
        sign(
            "status entered-in-error: not an order being written",
            b -> draft(b).put("status", "entered-in-error"),
            Expect.QUIET,
            null),
        sign(
            "status cancelled: not an order being written",
            b -> draft(b).put("status", "cancelled"),
            Expect.QUIET,
            null),
        sign(
            "status completed: not an order being written",
            b -> draft(b).put("status", "completed"),
            Expect.QUIET,
            null),
        sign(
            "status active (an EHR sending its order as active): checked",
            b -> draft(b).put("status", "active"),
            Expect.CONFLICT,
            null),
        sign("status missing: checked", b -> draft(b).remove("status"), Expect.CONFLICT, null),
        sign(
            "status an unknown code: checked",
            b -> draft(b).put("status", "pending-signature"),
            Expect.CONFLICT,
            null),
        sign(
            "status a number: not a known status, checked",
            b -> draft(b).put("status", 3),
            Expect.CONFLICT,
            null),
        sign(
            "intent proposal: checked",
            b -> draft(b).put("intent", "proposal"),
            Expect.CONFLICT,
            null),
        sign(
            "intent an unknown code: checked",
            b -> draft(b).put("intent", "wish"),
            Expect.CONFLICT,
            null),
        sign(
            "intent an object: intent is not read",
            b -> draft(b).putObject("intent").put("code", "order"),
            Expect.CONFLICT,
            null),
        // ---- the rest of an order
        sign(
            "an order without an id: a card without a withdrawal",
            b -> draft(b).remove("id"),
            Expect.CONFLICT,
            null),
        sign(
            "two entries with the same id",
            b -> entries(b).add(entries(b).get(0).deepCopy()),
            Expect.CONFLICT,
            null),
        sign(
            "a supply duration that is not a number",
            b ->
                draft(b)
                    .putObject("dispenseRequest")
                    .putObject("expectedSupplyDuration")
                    .put("value", "thirty")
                    .put("code", "d"),
            Expect.BAD_REQUEST,
            "not valid FHIR R4"),
        sign(
            "a validity period that is not a date",
            b ->
                draft(b)
                    .putObject("dispenseRequest")
                    .putObject("validityPeriod")
                    .put("start", "soon")
                    .put("end", "later"),
            Expect.BAD_REQUEST,
            "not valid FHIR R4"),
        sign(
            "refills that are not a number",
            b -> draft(b).putObject("dispenseRequest").put("numberOfRepeatsAllowed", "many"),
            Expect.CONFLICT,
            null),
        sign(
            "a priorPrescription that is a string: not a renewal",
            b -> draft(b).put("priorPrescription", "MedicationRequest/old"),
            Expect.CONFLICT,
            null),
        sign(
            "a lab order without a code beside the drug",
            b -> entries(b).addObject().set("resource", labOrder("s1", "x").without("code")),
            Expect.CONFLICT,
            null),
        sign(
            "more entries than are checked in one call",
            b -> {
              for (int i = 0; i < 500; i++) {
                entries(b)
                    .addObject()
                    .set(
                        "resource",
                        medication("a" + i, "draft", "amoxicillin 500 MG Oral Capsule"));
              }
            },
            Expect.BAD_REQUEST,
            "'context.draftOrders' has 501 entries; at most 500"),
        sign(
            "as many entries as are checked, the drug last",
            b -> {
              ObjectNode losartan = draft(b).deepCopy();
              entries(b).removeAll();
              for (int i = 0; i < 499; i++) {
                entries(b)
                    .addObject()
                    .set(
                        "resource",
                        medication("a" + i, "draft", "amoxicillin 500 MG Oral Capsule"));
              }
              entries(b).addObject().set("resource", losartan);
            },
            Expect.CONFLICT,
            null),
        // ---- selections (order-select)
        select(
            "selections missing",
            b -> context(b).remove("selections"),
            Expect.BAD_REQUEST,
            "'context.selections' is required"),
        select(
            "selections null",
            b -> context(b).putNull("selections"),
            Expect.BAD_REQUEST,
            "'context.selections' is required"),
        select(
            "selections a string",
            b -> context(b).put("selections", "MedicationRequest/draft-1"),
            Expect.BAD_REQUEST,
            "must be an array of references"),
        select(
            "selections an object",
            b -> context(b).putObject("selections"),
            Expect.BAD_REQUEST,
            "must be an array of references"),
        select(
            "selections with a number",
            b -> context(b).putArray("selections").add(1),
            Expect.BAD_REQUEST,
            "must be an array of references"),
        select(
            "selections with null",
            b -> context(b).putArray("selections").addNull(),
            Expect.BAD_REQUEST,
            "must be an array of references"),
        select(
            "selections with an object",
            b ->
                context(b)
                    .putArray("selections")
                    .addObject()
                    .put("reference", "MedicationRequest/draft-1"),
            Expect.BAD_REQUEST,
            "must be an array of references"),
        select(
            "selections with a blank string",
            b -> context(b).putArray("selections").add(" "),
            Expect.BAD_REQUEST,
            "must be an array of references"),
        select(
            "selections naming an order not in draftOrders",
            b -> context(b).putArray("selections").add("MedicationRequest/nope"),
            Expect.BAD_REQUEST,
            "which is not an entry of 'context.draftOrders'"),
        select(
            "selections naming an order with control characters",
            b -> context(b).putArray("selections").add("MedicationRequest/x\r\nInjected: 1"),
            Expect.BAD_REQUEST,
            "MedicationRequest/x__Injected__1"),
        select(
            "selections empty: nothing selected",
            b -> context(b).putArray("selections"),
            Expect.QUIET,
            null),
        select(
            "selections naming a lab order of draftOrders",
            b -> {
              entries(b).addObject().set("resource", labOrder("s1", "2823-3"));
              context(b).putArray("selections").add("ServiceRequest/s1");
            },
            Expect.QUIET,
            null),
        select(
            "selections by bare id",
            b -> context(b).putArray("selections").add("draft-1"),
            Expect.CONFLICT,
            null),
        select(
            "a selected draft whose status is not draft but cancelled",
            b -> draft(b).put("status", "cancelled"),
            Expect.QUIET,
            null),
        select(
            "a selected draft whose status is active",
            b -> draft(b).put("status", "active"),
            Expect.CONFLICT,
            null),
        select(
            "selections with an order twice",
            b ->
                context(b)
                    .putArray("selections")
                    .add("MedicationRequest/draft-1")
                    .add("MedicationRequest/draft-1"),
            Expect.CONFLICT,
            null));
  }

  private static ObjectNode base(String hook) throws Exception {
    return (ObjectNode)
        JSON.readTree(
            request(
                hook,
                potassium(5.6),
                List.of(),
                List.of(losartanDraft("50")),
                "MedicationRequest/draft-1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyOddDraftOrdersOrSelectionsIsA400OrQuietNeverA5xx(Case c) throws Exception {
    ObjectNode body = base(c.hook());
    c.change().accept(body);
    String service = c.hook().equals("order-select") ? SELECT : SIGN;
    HttpResponse<String> r = post(app.baseUrl() + "/cds-services/" + service, body.toString());
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    JsonNode json = JSON.readTree(r.body());
    switch (c.expect()) {
      case BAD_REQUEST -> {
        assertThat(r.statusCode()).as(c.name()).isEqualTo(400);
        assertThat(json.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(json.path("issue").get(0).path("diagnostics").asText()).contains(c.says());
      }
      case QUIET -> {
        assertThat(r.statusCode()).as(c.name()).isEqualTo(200);
        assertThat(json.path("cards")).as(c.name()).isEmpty();
      }
      case CONFLICT -> {
        assertThat(r.statusCode()).as(c.name()).isEqualTo(200);
        JsonNode conflict = card(json.path("cards"), "order-lab-conflict");
        assertThat(conflict).as(c.name()).isNotNull();
        // A withdrawal names the draft it withdraws, and only one with an id.
        conflict
            .path("suggestions")
            .forEach(
                s ->
                    s.path("actions")
                        .forEach(
                            a -> {
                              if (a.path("type").asText().equals("delete")) {
                                assertThat(a.path("resourceId").asText())
                                    .startsWith("MedicationRequest/")
                                    .doesNotEndWith("/null");
                              }
                            }));
        assertThat(actionTypes(conflict)).contains("create");
      }
    }
  }

  @Test
  void aBundlePastTheBodySizeLimitIs413() throws Exception {
    // A service taking bodies up to 50,000 bytes (--max-body-bytes), and a Bundle of drafts past
    // that (small enough for the socket buffers, so the refusal is read, not a reset upload).
    ServiceConfig small =
        new ServiceConfig(
                "127.0.0.1",
                0,
                List.of("*"),
                List.of(),
                Duration.ofSeconds(1),
                Duration.ofSeconds(3),
                Duration.ofSeconds(4),
                50_000,
                10,
                null,
                false,
                false)
            .withMemory(MemorySettings.disabled());
    try (MineralCds limited = MineralCds.start(small, new MemoryServiceTest.TestClock())) {
      ObjectNode body = base("order-sign");
      for (int i = 0; i < 300; i++) {
        entries(body)
            .addObject()
            .set("resource", medication("a" + i, "draft", "amoxicillin 500 MG Oral Capsule"));
      }
      assertThat(body.toString().length()).isBetween(50_001, 200_000);
      HttpResponse<String> r = post(limited.baseUrl() + "/cds-services/" + SIGN, body.toString());
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(r.body()).contains("OperationOutcome").doesNotContain("Exception");
    }
  }
}
