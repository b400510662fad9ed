package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.FhirLimits;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.demo.ScenarioFhirServer;
import org.mineralcds.demo.ScenarioStore;

/**
 * What the service asks of a FHIR server (issue 12): few requests per chart, pending orders only
 * when a test is about to be suggested, optional parameters a server refuses left out, one retry
 * when told to come back, a bounded number of requests in flight, and a bounded number of bytes
 * held per call and for the whole process.
 */
class FhirQueryPlanTest {

  private static final String TOKEN = "plan-token-5e1f";
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static ScenarioStore scenarios;
  private static MineralCds service;

  @BeforeAll
  static void start() {
    scenarios = ScenarioStore.loadScenarios(FHIR, 0);
    service = Support.start(Support.defaultConfig());
  }

  @AfterAll
  static void stop() {
    service.close();
  }

  /** The scenario FHIR server, answering through {@code intercept} first. */
  private static Support.StubFhir scenarioServer(Intercept intercept) throws Exception {
    Handler scenario = ScenarioFhirServer.context("/fhir", FHIR, scenarios);
    return new Support.StubFhir(
        new Handler.Wrapper(scenario) {
          @Override
          public boolean handle(Request request, Response response, Callback callback)
              throws Exception {
            return intercept.handle(request, response, callback)
                || super.handle(request, response, callback);
          }
        });
  }

  @FunctionalInterface
  private interface Intercept {
    /** True when it answered the request itself. */
    boolean handle(Request request, Response response, Callback callback) throws Exception;
  }

  private static final Intercept NONE = (request, response, callback) -> false;

  /**
   * A server that answers 400 (an OperationOutcome with {@code diagnostics}) to every query naming
   * {@code parameter}, counting the refusals.
   */
  private static Intercept refusing(String parameter, String diagnostics, AtomicInteger refused) {
    return (request, response, callback) -> {
      String query = request.getHttpURI().getQuery();
      if (query == null || !query.contains(parameter)) {
        return false;
      }
      refused.incrementAndGet();
      Support.fhirJson(
          response,
          callback,
          400,
          "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
              + "\"code\":\"not-supported\",\"diagnostics\":\""
              + diagnostics
              + "\"}]}");
      return true;
    };
  }

  private static HttpResponse<String> call(MineralCds svc, String patient, String fhirBase)
      throws Exception {
    return Support.post(
        svc.baseUrl() + Support.SERVICE_PATH,
        Support.hookRequest(patient, fhirBase, TOKEN).toString());
  }

  /** A service with these limits on FHIR servers and this deadline (other settings default). */
  private static MineralCds startWith(FhirLimits limits, Duration deadline) {
    return Support.start(
        Support.config(
            Duration.ofSeconds(1),
            Duration.ofSeconds(3),
            deadline,
            ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS,
            limits));
  }

  /** {@code count} hook calls for {@code patient}, sent together. */
  private static List<CompletableFuture<HttpResponse<String>>> callsAtOnce(
      MineralCds svc, String patient, String fhirBase, int count) {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      calls.add(
          Support.postAsync(
              svc.baseUrl() + Support.SERVICE_PATH,
              Support.hookRequest(patient, fhirBase, TOKEN).toString()));
    }
    return calls;
  }

  private static List<String> topics(HttpResponse<String> response) throws Exception {
    List<String> topics = new ArrayList<>();
    Support.JSON
        .readTree(response.body())
        .path("cards")
        .forEach(c -> topics.add(c.path("source").path("topic").path("code").asText()));
    return topics;
  }

  private static List<String> expectedTopics(String scenario) throws Exception {
    List<String> topics = new ArrayList<>();
    Support.exampleResponse(scenario)
        .path("cards")
        .forEach(c -> topics.add(c.path("source").path("topic").path("code").asText()));
    return topics;
  }

  private static long count(List<String> targets, Predicate<String> which) {
    return targets.stream().filter(which).count();
  }

  @Test
  void aChartWithNothingToSuggestCostsOneRoundOfFourRequests() throws Exception {
    try (Support.StubFhir fhir = scenarioServer(NONE)) {
      HttpResponse<String> response = call(service, "normal-labs-on-lisinopril", fhir.base());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(topics(response)).isEmpty();
      assertThat(fhir.targets)
          .as(
              "one lab search, the Patient with its medication statements, dispenses and"
                  + " conditions, current medication orders, ended orders within the lookback")
          .hasSize(4)
          .anyMatch(t -> t.startsWith("/fhir/Observation?") && t.contains("_include"))
          .anyMatch(
              t ->
                  t.startsWith("/fhir/Patient?_id=")
                      && t.contains("_revinclude=MedicationStatement")
                      && t.contains("_revinclude=MedicationDispense")
                      && t.contains("_revinclude=Condition"))
          .anyMatch(
              t ->
                  t.startsWith("/fhir/MedicationRequest?")
                      && t.contains("status=active")
                      && !t.contains("authoredon"))
          .anyMatch(
              t ->
                  t.startsWith("/fhir/MedicationRequest?")
                      && t.contains("status=completed")
                      && t.contains("authoredon=ge2023-11-21"))
          .noneMatch(t -> t.startsWith("/fhir/Condition?"))
          .noneMatch(t -> t.startsWith("/fhir/MedicationStatement?"))
          .noneMatch(t -> t.startsWith("/fhir/MedicationDispense?"))
          .noneMatch(t -> t.startsWith("/fhir/Patient/"))
          .noneMatch(t -> t.startsWith("/fhir/ServiceRequest"))
          .noneMatch(t -> t.contains("_sort"));
    }
  }

  /**
   * The problem list arrives with the Patient (a {@code _revinclude} cannot filter by status), so
   * the service keeps only the active problems itself, as a {@code clinical-status=active} search
   * would have: a resolved heart failure is not named on the card; the same problem active is.
   */
  @Test
  void problemsReadWithThePatientCountOnlyWhenActive() throws Exception {
    String patient = "digoxin-low-potassium";
    for (String status : List.of("resolved", "active")) {
      ScenarioStore store = ScenarioStore.loadScenarios(FHIR, 0);
      store.put(heartFailure(patient, status));
      try (Support.StubFhir fhir =
          new Support.StubFhir(ScenarioFhirServer.context("/fhir", FHIR, store))) {
        HttpResponse<String> response = call(service, patient, fhir.base());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(fhir.targets)
            .hasSize(4)
            .noneMatch(t -> t.startsWith("/fhir/Condition?"))
            .anyMatch(t -> t.startsWith("/fhir/Patient?") && t.contains("Condition"));
        assertThat(topics(response)).isEqualTo(expectedTopics(patient));
        assertThat(response.body()).contains("Atrial fibrillation (I48.91)");
        if (status.equals("active")) {
          assertThat(response.body()).contains("Heart failure, unspecified (I50.9)");
        } else {
          assertThat(response.body()).doesNotContain("I50.9");
        }
      }
    }
  }

  /**
   * A search and a {@code _revinclude} return the same problems in different orders; the card lists
   * them in one order (oldest first) whichever way, and in whatever order, they arrived.
   */
  @Test
  void theProblemListReadsTheSameWhicheverOrderItArrivesIn() throws Exception {
    String patient = "digoxin-low-potassium";
    ScenarioStore store = ScenarioStore.loadScenarios(FHIR, 0);
    Condition heartFailure = heartFailure(patient, "active");
    heartFailure.setRecordedDateElement(new DateTimeType("2001-03-04"));
    store.put(heartFailure);
    List<String> problemLists = new ArrayList<>();
    try (Support.StubFhir fhir =
        new Support.StubFhir(ScenarioFhirServer.context("/fhir", FHIR, store))) {
      problemLists.add(problemList(call(service, patient, fhir.base())));
      // The same two problems sent as prefetch, in one order and then the other.
      ObjectNode conditions =
          (ObjectNode)
              Support.JSON.readTree(
                  Support.get(fhir.base() + "/Condition?patient=" + patient).body());
      for (int pass = 0; pass < 2; pass++) {
        ObjectNode body = Support.hookRequest(patient, fhir.base(), TOKEN);
        body.putObject("prefetch").set("conditions", conditions.deepCopy());
        problemLists.add(
            problemList(Support.post(service.baseUrl() + Support.SERVICE_PATH, body.toString())));
        ArrayNode entries = (ArrayNode) conditions.get("entry");
        entries.insert(0, entries.remove(entries.size() - 1));
      }
    }
    assertThat(problemLists)
        .containsOnly("Heart failure, unspecified (I50.9); Atrial fibrillation (I48.91)");
  }

  /** A heart failure (ICD-10-CM I50.9) on {@code patient}'s problem list, with this status. */
  private static Condition heartFailure(String patient, String clinicalStatus) {
    Condition heartFailure = new Condition();
    heartFailure.setId(patient + "-heart-failure");
    heartFailure.setSubject(new Reference("Patient/" + patient));
    heartFailure
        .getClinicalStatus()
        .addCoding()
        .setSystem("http://terminology.hl7.org/CodeSystem/condition-clinical")
        .setCode(clinicalStatus);
    heartFailure
        .getCode()
        .addCoding()
        .setSystem("http://hl7.org/fhir/sid/icd-10-cm")
        .setCode("I50.9")
        .setDisplay("Heart failure, unspecified");
    return heartFailure;
  }

  /** The "On the problem list" line of the response's first card that has one. */
  private static String problemList(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    for (JsonNode card : Support.JSON.readTree(response.body()).path("cards")) {
      String detail = card.path("detail").asText();
      int at = detail.indexOf("**On the problem list:** ");
      if (at >= 0) {
        String rest = detail.substring(at + "**On the problem list:** ".length());
        return rest.substring(0, rest.indexOf(".\n"));
      }
    }
    return null;
  }

  @Test
  void pendingOrdersAreReadOnlyWhenACardIsAboutToSuggestATest() throws Exception {
    try (Support.StubFhir fhir = scenarioServer(NONE)) {
      HttpResponse<String> suggesting = call(service, "hypokalemia-on-furosemide", fhir.base());
      assertThat(suggesting.statusCode()).as(suggesting.body()).isEqualTo(200);
      assertThat(suggesting.body()).contains("\"type\":\"create\"");
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/ServiceRequest?"))).isEqualTo(1);
      assertThat(fhir.targets).hasSize(5);

      // The pending order read that way keeps its test from being suggested again.
      fhir.targets.clear();
      HttpResponse<String> pending = call(service, "pending-magnesium-order", fhir.base());
      assertThat(pending.statusCode()).as(pending.body()).isEqualTo(200);
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/ServiceRequest?"))).isEqualTo(1);
      assertThat(topics(pending)).isEqualTo(expectedTopics("pending-magnesium-order"));
      assertThat(pending.body()).doesNotContain("\"code\":\"19123-9\"");
    }
  }

  /**
   * An order-sign call for {@code patient} with one draft MedicationRequest named {@code drug}
   * (RxNorm product text), fetching from {@code fhirBase}.
   */
  private static HttpResponse<String> orderSign(String patient, String drug, String fhirBase)
      throws Exception {
    ObjectNode body = Support.hookRequest(patient, fhirBase, TOKEN);
    body.put("hook", "order-sign");
    ObjectNode order = Support.JSON.createObjectNode();
    order.put("resourceType", "MedicationRequest");
    order.put("id", "plan-draft");
    order.put("status", "draft");
    order.put("intent", "order");
    order.putObject("medicationCodeableConcept").put("text", drug);
    order.putObject("subject").put("reference", "Patient/" + patient);
    ObjectNode draftOrders = ((ObjectNode) body.get("context")).putObject("draftOrders");
    draftOrders.put("resourceType", "Bundle");
    draftOrders.put("type", "collection");
    draftOrders.putArray("entry").addObject().set("resource", order);
    return Support.post(service.baseUrl() + "/cds-services/mineral-order-sign", body.toString());
  }

  /**
   * Holds the lab search's answer until the pending-orders search arrives (at most 2 s) and records
   * whether it did: true when both were asked in the same round, false when the pending orders were
   * asked only after the labs were answered (a second round).
   */
  private static final class RoundWatch implements Intercept {
    final CountDownLatch pendingOrdersAsked = new CountDownLatch(1);
    final List<Boolean> labsHeldUntilPendingOrders = new CopyOnWriteArrayList<>();

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String target = Support.target(request);
      if (target.startsWith("/fhir/ServiceRequest?")) {
        pendingOrdersAsked.countDown();
      } else if (target.startsWith("/fhir/Observation?")) {
        labsHeldUntilPendingOrders.add(pendingOrdersAsked.await(2, TimeUnit.SECONDS));
      }
      return false;
    }
  }

  @Test
  void aDraftThatNeedsBaselinesHasItsPendingOrdersReadInTheFirstRound() throws Exception {
    RoundWatch watch = new RoundWatch();
    try (Support.StubFhir fhir = scenarioServer(watch)) {
      HttpResponse<String> response =
          orderSign(
              "order-lithium-start-no-baseline",
              "lithium carbonate 300 MG Oral Capsule",
              fhir.base());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(response.body()).contains("\"code\":\"order-baseline-due\"");
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/ServiceRequest?"))).isEqualTo(1);
      assertThat(fhir.targets)
          .as("one round: labs, Patient with conditions, orders, order history, pending orders")
          .hasSize(5);
      assertThat(watch.labsHeldUntilPendingOrders)
          .as("the pending orders were asked while the lab search was still unanswered")
          .containsExactly(true);
    }
  }

  @Test
  void aDraftAConflictRuleIsAboutHasItsPendingOrdersReadInTheFirstRoundToo() throws Exception {
    RoundWatch watch = new RoundWatch();
    try (Support.StubFhir fhir = scenarioServer(watch)) {
      // Furosemide has no baseline rule but conflict rules (low potassium, low magnesium), whose
      // cards offer a recheck: with this patient's low potassium the card offers one.
      HttpResponse<String> response =
          orderSign("hypokalemia-on-furosemide", "furosemide 40 MG Oral Tablet", fhir.base());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(response.body())
          .contains("\"code\":\"order-lab-conflict\"")
          .contains("\"type\":\"create\"");
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/ServiceRequest?"))).isEqualTo(1);
      assertThat(fhir.targets).as("one round of five searches").hasSize(5);
      assertThat(watch.labsHeldUntilPendingOrders)
          .as("the pending orders were asked while the lab search was still unanswered")
          .containsExactly(true);
    }
  }

  @Test
  void patientViewReadsPendingOrdersOnlyWhenACardSuggestsATest() throws Exception {
    RoundWatch watch = new RoundWatch();
    try (Support.StubFhir fhir = scenarioServer(watch)) {
      // Low potassium on furosemide: the card suggests magnesium, so the pending orders are
      // read, after the first round (patient-view has no context that predicts it).
      HttpResponse<String> response = call(service, "hypokalemia-on-furosemide", fhir.base());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/ServiceRequest?"))).isEqualTo(1);
      assertThat(watch.labsHeldUntilPendingOrders)
          .as("the pending orders were asked only after the lab search was answered")
          .containsExactly(false);
    }
  }

  @Test
  void aReferencedSpecimenComesWithTheLabSearchOrIsReadWhenThePrefetchLacksIt() throws Exception {
    String scenario = "hemolyzed-potassium-referenced-specimen";
    try (Support.StubFhir fhir = scenarioServer(NONE)) {
      HttpResponse<String> fetched = call(service, scenario, fhir.base());
      assertThat(fetched.statusCode()).as(fetched.body()).isEqualTo(200);
      assertThat(fetched.body()).contains("hemolyzed").doesNotContain("\"critical\"");
      assertThat(fhir.targets).noneMatch(t -> t.startsWith("/fhir/Specimen"));

      // An EHR's prefetch cannot include the Specimen (no _include in prefetch templates).
      fhir.targets.clear();
      com.fasterxml.jackson.databind.node.ObjectNode request = Support.exampleRequest(scenario);
      request.put("fhirServer", fhir.base());
      assertThat(request.path("prefetch").toString()).doesNotContain("\"Specimen\"");
      HttpResponse<String> prefetched =
          Support.post(service.baseUrl() + Support.SERVICE_PATH, request.toString());
      assertThat(prefetched.statusCode()).as(prefetched.body()).isEqualTo(200);
      assertThat(topics(prefetched)).isEqualTo(topics(fetched));
      assertThat(prefetched.body()).contains("hemolyzed").doesNotContain("\"critical\"");
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/Specimen"))).isEqualTo(1);
    }
  }

  @Test
  void medicationsAPrefetchOnlyReferencesAreReadInOneSearch() throws Exception {
    String scenario = "pending-magnesium-order";
    try (Support.StubFhir fhir = scenarioServer(NONE)) {
      com.fasterxml.jackson.databind.node.ObjectNode request = Support.exampleRequest(scenario);
      request.put("fhirServer", fhir.base());
      assertThat(request.path("prefetch").toString()).contains("\"medicationReference\"");
      HttpResponse<String> prefetched =
          Support.post(service.baseUrl() + Support.SERVICE_PATH, request.toString());
      assertThat(prefetched.statusCode()).as(prefetched.body()).isEqualTo(200);
      assertThat(topics(prefetched)).isEqualTo(expectedTopics(scenario));
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/Medication?_id="))).isEqualTo(1);
      assertThat(fhir.targets).noneMatch(t -> t.startsWith("/fhir/Medication/"));
    }
  }

  @Test
  void aServerThatRefusesIncludeIsAskedAgainWithoutItAndNotAskedWithItAgain() throws Exception {
    AtomicInteger refused = new AtomicInteger();
    try (MineralCds svc = Support.start(Support.defaultConfig());
        Support.StubFhir fhir =
            scenarioServer(refusing("_include", "Unknown search parameter: _include", refused))) {
      HttpResponse<String> first = call(svc, "hypokalemia-on-furosemide", fhir.base());
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      assertThat(topics(first)).isEqualTo(expectedTopics("hypokalemia-on-furosemide"));
      // Labs, medication orders and their history carry _include and go out together: how many
      // of them reach the server before the first refusal is remembered depends on timing, but
      // each is refused at most once and each is then answered without it.
      int refusedOnFirstCall = refused.get();
      assertThat(refusedOnFirstCall).isBetween(1, 3);
      Predicate<String> orders = t -> t.startsWith("/fhir/MedicationRequest?");
      Predicate<String> history = orders.and(t -> t.contains("authoredon"));
      for (Predicate<String> search :
          List.of(t -> t.startsWith("/fhir/Observation?"), orders.and(history.negate()), history)) {
        assertThat(count(fhir.targets, search.and(t -> !t.contains("_include"))))
            .as("each search answered without _include: %s", fhir.targets)
            .isEqualTo(1);
      }
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/Patient?_id="))).isEqualTo(1);

      fhir.targets.clear();
      HttpResponse<String> second = call(svc, "hypokalemia-on-furosemide", fhir.base());
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(topics(second)).isEqualTo(topics(first));
      assertThat(refused.get())
          .as("the refusal is remembered for this server")
          .isEqualTo(refusedOnFirstCall);
      assertThat(fhir.targets).noneMatch(t -> t.contains("_include"));
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/Patient?_id="))).isEqualTo(1);

      String scrape = Support.get(svc.baseUrl() + "/metrics").body();
      assertThat(scrape)
          .contains(
              "mineralcds_fhir_refused_parameters_total{parameter=\"_include\"} "
                  + refusedOnFirstCall
                  + ".0");
    }
  }

  @Test
  void aServerThatRefusesRevincludeGetsTheDispensesStatementsAndConditionsAskedForOnTheirOwn()
      throws Exception {
    String scenario = "dispensed-lisinopril-before-first-order";
    AtomicInteger refused = new AtomicInteger();
    try (MineralCds svc = Support.start(Support.defaultConfig());
        Support.StubFhir fhir =
            scenarioServer(
                refusing("_revinclude", "Invalid _revinclude parameter value", refused))) {
      HttpResponse<String> first = call(svc, scenario, fhir.base());
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      // The dispenses since 2022 date the lisinopril: no "started 21 days ago" card.
      assertThat(topics(first)).isEqualTo(expectedTopics(scenario)).isEmpty();
      assertThat(refused.get()).isEqualTo(1);
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/MedicationDispense?"))).isEqualTo(1);
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/MedicationStatement?"))).isEqualTo(1);
      assertThat(count(fhir.targets, t -> t.startsWith("/fhir/Condition?"))).isEqualTo(1);

      fhir.targets.clear();
      HttpResponse<String> second = call(svc, scenario, fhir.base());
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(topics(second)).isEqualTo(topics(first));
      assertThat(refused.get()).as("the refusal is remembered for this server").isEqualTo(1);
      assertThat(fhir.targets)
          .as("the Patient, and the three keys it included, asked for on their own, with the rest")
          .hasSize(7)
          .noneMatch(t -> t.contains("_revinclude"));
    }
  }

  @Test
  void aServerThatRefusesTheHistoryLookbackIsAskedAgainWithoutItAndGivesTheSameCards()
      throws Exception {
    AtomicInteger refused = new AtomicInteger();
    String scenario = "monitoring-lithium-overdue";
    try (MineralCds svc = Support.start(Support.defaultConfig());
        Support.StubFhir fhir =
            scenarioServer(
                refusing("authoredon", "Unknown search parameter: authoredon", refused))) {
      HttpResponse<String> response = call(svc, scenario, fhir.base());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(refused.get()).isEqualTo(1);
      assertThat(
              count(
                  fhir.targets,
                  t -> t.startsWith("/fhir/MedicationRequest?") && t.contains("status=completed")))
          .as("the history asked again without the lookback")
          .isEqualTo(2);
      // The whole history came back; the service reads it from the lookback on all the same.
      JsonNode expected = Support.exampleResponse(scenario);
      assertThat(topics(response)).isEqualTo(expectedTopics(scenario));
      assertThat(Support.JSON.readTree(response.body()).path("cards").get(0).path("detail"))
          .isEqualTo(expected.path("cards").get(0).path("detail"));
      assertThat(response.body()).contains("since at least 2024-11-20");
    }
  }

  @Test
  void aServerAskingToComeBackIsAskedOnceMoreWithinTheDeadline() throws Exception {
    AtomicInteger labQueries = new AtomicInteger();
    Intercept busyOnce =
        (request, response, callback) -> {
          if (request.getHttpURI().getPath().equals("/fhir/Observation")
              && labQueries.incrementAndGet() == 1) {
            response.getHeaders().put("Retry-After", "0");
            Support.fhirJson(response, callback, 503, "{}");
            return true;
          }
          return false;
        };
    try (Support.StubFhir fhir = scenarioServer(busyOnce)) {
      HttpResponse<String> response = call(service, "hypokalemia-on-furosemide", fhir.base());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(topics(response)).isEqualTo(expectedTopics("hypokalemia-on-furosemide"));
      assertThat(labQueries.get()).isEqualTo(2);
    }

    AtomicInteger throttled = new AtomicInteger();
    Intercept alwaysThrottled =
        (request, response, callback) -> {
          if (request.getHttpURI().getPath().equals("/fhir/Observation")) {
            throttled.incrementAndGet();
            Support.fhirJson(response, callback, 429, "{}");
            return true;
          }
          return false;
        };
    try (Support.StubFhir fhir = scenarioServer(alwaysThrottled)) {
      HttpResponse<String> response = call(service, "hypokalemia-on-furosemide", fhir.base());
      assertThat(response.statusCode()).isEqualTo(412);
      assertThat(Support.diagnostics(response)).contains("labs", "429").doesNotContain(TOKEN);
      assertThat(throttled.get()).as("one retry, not more").isEqualTo(2);
    }

    AtomicInteger later = new AtomicInteger();
    Intercept comeBackAfterTheDeadline =
        (request, response, callback) -> {
          if (request.getHttpURI().getPath().equals("/fhir/Observation")) {
            later.incrementAndGet();
            response.getHeaders().put("Retry-After", "120");
            Support.fhirJson(response, callback, 503, "{}");
            return true;
          }
          return false;
        };
    try (Support.StubFhir fhir = scenarioServer(comeBackAfterTheDeadline)) {
      long started = System.nanoTime();
      HttpResponse<String> response = call(service, "hypokalemia-on-furosemide", fhir.base());
      assertThat(response.statusCode()).isEqualTo(412);
      assertThat(later.get()).as("a Retry-After past the deadline is not waited for").isEqualTo(1);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }
  }

  @Test
  void requestsInFlightToOneServerAreBoundedAcrossCalls() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Intercept slow =
        (request, response, callback) -> {
          int now = inFlight.incrementAndGet();
          most.accumulateAndGet(now, Math::max);
          try {
            Thread.sleep(40);
          } finally {
            inFlight.decrementAndGet();
          }
          return false;
        };
    try (MineralCds svc =
            startWith(new FhirLimits(3, 8_000_000, 64_000_000), Duration.ofSeconds(8));
        Support.StubFhir fhir = scenarioServer(slow)) {
      List<CompletableFuture<HttpResponse<String>>> calls =
          callsAtOnce(svc, "normal-labs-on-lisinopril", fhir.base(), 6);
      for (CompletableFuture<HttpResponse<String>> c : calls) {
        HttpResponse<String> response = c.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      }
      assertThat(fhir.requests.get()).isEqualTo(24);
      assertThat(most.get()).isBetween(1, 3);
    }
  }

  /** FHIR queries the service has ended so far, answered or failed (its /metrics). */
  private static long fetchesEnded(String serviceBase) throws Exception {
    long ended = 0;
    for (String line : Support.get(serviceBase + "/metrics").body().split("\n")) {
      if (line.startsWith("mineralcds_fhir_fetch_duration_seconds_count{")) {
        ended += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return ended;
  }

  /** A searchset of {@code n} potassium results, about 300 bytes each. */
  private static String bigSearchset(String patient, int n) {
    String[] entries = new String[n];
    for (int i = 0; i < n; i++) {
      entries[i] =
          "{\"resourceType\":\"Observation\",\"id\":\"k"
              + i
              + "\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\","
              + "\"code\":\"2823-3\"}]},\"subject\":{\"reference\":\"Patient/"
              + patient
              + "\"},\"effectiveDateTime\":\"2026-11-18T08:00:00Z\",\"valueQuantity\":{\"value\":4.1,"
              + "\"unit\":\"mmol/L\"},\"note\":[{\"text\":\"padding padding padding padding\"}]}";
    }
    return Support.searchset(entries);
  }

  @Test
  void aCallReadsAtMostItsBudgetAndAnOversizeAnswerIsNotAskedForTwice() throws Exception {
    String big = bigSearchset("p-big", 8_000); // about 2.6 MB
    AtomicInteger labQueries = new AtomicInteger();
    Intercept huge =
        (request, response, callback) -> {
          if (request.getHttpURI().getPath().equals("/fhir/Observation")) {
            labQueries.incrementAndGet();
            Support.fhirJson(response, callback, 200, big);
            return true;
          }
          return false;
        };
    try (MineralCds svc =
            startWith(new FhirLimits(16, 1_000_000, 16_000_000), Duration.ofSeconds(4));
        Support.StubFhir fhir = scenarioServer(huge)) {
      HttpResponse<String> response = call(svc, "p-big", fhir.base());
      assertThat(response.statusCode()).isEqualTo(412);
      assertThat(Support.diagnostics(response)).contains("labs", "larger than");
      assertThat(labQueries.get()).isEqualTo(1);
      String scrape = Support.get(svc.baseUrl() + "/metrics").body();
      assertThat(scrape).contains("mineralcds_fhir_fetch_failures_total{reason=\"too-large\"}");
    }
  }

  @Test
  void callsTogetherHoldAtMostTheProcessBudgetAndGiveItBack() throws Exception {
    String big = bigSearchset("p-big", 2_000); // about 650 KB
    int callCount = 4;
    // Every call holds its lab answer until its Patient search is answered, and no Patient search
    // is answered before every other query of the four calls (labs, orders, order history) has
    // ended, as the service's own metrics count them: each lab answer is then either held or
    // refused, whatever the machine's speed, so the four compete for the budget at the same time.
    int otherQueries = 3 * callCount;
    AtomicReference<String> serviceBase = new AtomicReference<>();
    AtomicBoolean released = new AtomicBoolean();
    Intercept heldUntilEveryOtherQueryEnded =
        (request, response, callback) -> {
          String path = request.getHttpURI().getPath();
          if (path.equals("/fhir/Observation")) {
            Support.fhirJson(response, callback, 200, big);
            return true;
          }
          if (path.equals("/fhir/Patient") && !released.get()) {
            for (long deadline = System.nanoTime() + 3_000_000_000L;
                fetchesEnded(serviceBase.get()) < otherQueries && System.nanoTime() < deadline; ) {
              Thread.sleep(10);
            }
            released.set(true);
          }
          return false;
        };
    try (MineralCds svc =
            startWith(new FhirLimits(16, 1_000_000, 1_500_000), Duration.ofSeconds(4));
        Support.StubFhir fhir = scenarioServer(heldUntilEveryOtherQueryEnded)) {
      serviceBase.set(svc.baseUrl());
      List<CompletableFuture<HttpResponse<String>>> calls =
          callsAtOnce(svc, "p-big", fhir.base(), callCount);
      int answered = 0;
      int refusedForMemory = 0;
      for (CompletableFuture<HttpResponse<String>> c : calls) {
        HttpResponse<String> response = c.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isIn(200, 412);
        if (response.statusCode() == 200) {
          answered++;
        } else if (Support.diagnostics(response).contains("holds its limit")) {
          refusedForMemory++;
        }
      }
      assertThat(answered).as("two calls' answers fit at once").isBetween(1, 2);
      assertThat(refusedForMemory).isGreaterThanOrEqualTo(2);

      // Once those calls ended, their bytes were given back: a new call is answered.
      HttpResponse<String> after = call(svc, "p-big", fhir.base());
      assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
      JsonNode cards = Support.JSON.readTree(after.body()).path("cards");
      assertThat(cards.isArray()).isTrue();
    }
  }
}
