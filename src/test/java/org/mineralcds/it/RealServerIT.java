package org.mineralcds.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mineralcds.MineralCds;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.knowledge.KnowledgeLoader;

/**
 * The packaged service against a real FHIR server: HAPI FHIR JPA (realserver/, a process of its
 * own) loaded with a Synthea population generated at test time with a fixed seed (older adults,
 * long histories). Every patient's chart is opened twice, once letting the service fetch from the
 * server and once with the prefetch rendered here from the discovery templates and answered by the
 * same server. Runs in the {@code real-server} Maven profile only (docs/real-server.md).
 */
@Tag("real-server")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealServerIT {

  private static final Pattern READY =
      Pattern.compile("^real-server ready on (http://127\\.0\\.0\\.1:\\d+/fhir)$");
  private static final Pattern LISTENING =
      Pattern.compile("^mineral-cds listening on (http://127\\.0\\.0\\.1:\\d+)$");
  private static final Pattern TOKEN = Pattern.compile("\\{\\{\\s*([^}]+?)\\s*}}");
  private static final Pattern TODAY =
      Pattern.compile("today\\(\\)(?:\\s*([+-])\\s*(\\d+)\\s*days?)?");

  /** "{drug} started {days} days ago" in due-test summaries. */
  private static final Pattern STARTED_DAYS_AGO =
      Pattern.compile("^(.+?) started (\\d+) days? ago");

  /** "DESCRIPTION (drug class), since YYYY-MM-DD (...)" in the "Taking:" line of a detail. */
  private static final Pattern TAKING_SINCE =
      Pattern.compile("([^;:*]+?) \\([^()]+\\), since (\\d{4}-\\d{2}-\\d{2})");

  /**
   * "DESCRIPTION (drug class), since at least YYYY-MM-DD": a course that reaches back to the order
   * history's lookback; true when an order of the drug was written by then.
   */
  private static final Pattern TAKING_SINCE_AT_LEAST =
      Pattern.compile("([^;:*]+?) \\([^()]+\\), since at least (\\d{4}-\\d{2}-\\d{2})");

  /**
   * An earlier order of the same drug at most this long before a claimed start makes the claim
   * wrong (a renewal of continuing therapy); older orders may be a course that ended, then a real
   * new start. The service's definition of one course (orders at most a year and a month apart,
   * fhir.MedicationHistory.RENEWAL_GAP), which this test holds it to.
   */
  private static final int CONTINUITY_DAYS = 400;

  /**
   * Resource types the service never reads, left out of the load to keep CI fast: billing (a third
   * of Synthea's entries and most of its bytes), documents, supplies, provenance.
   */
  private static final String SKIP_TYPES =
      "Claim,ExplanationOfBenefit,DocumentReference,SupplyDelivery,Provenance,ImagingStudy,Media";

  private Process fhirProcess;
  private Process serviceProcess;
  private String fhirBase;
  private String serviceBase;
  private final LocalDate today = LocalDate.now(ZoneOffset.UTC);

  private final List<String> patients = new ArrayList<>();
  private final Map<String, Call> throughServer = new LinkedHashMap<>();
  private final Map<String, Call> throughPrefetch = new LinkedHashMap<>();
  private final Map<String, Integer> fhirRequests = new LinkedHashMap<>();
  private final List<String> startDateErrors = new ArrayList<>();
  private int startClaimsChecked;
  private int startClaimsWithoutOrders;
  private int atLeastClaimsChecked;

  record Call(int status, long millis, List<String> cards, String body) {}

  @BeforeAll
  void runEveryChartThroughBothPaths() throws Exception {
    long started = System.nanoTime();
    startFhirServer();
    long fhirReady = System.nanoTime();
    startService();

    JsonNode bundle = get(fhirBase + "/Patient?_count=1000&_elements=id&_sort=_id").orElseThrow();
    for (JsonNode entry : bundle.path("entry")) {
      patients.add(entry.path("resource").path("id").asText());
    }
    assertThat(patients).as("patients on the JPA server").isNotEmpty();

    JsonNode discovery = get(serviceBase + "/cds-services").orElseThrow();
    JsonNode service = discovery.path("services").get(0);
    String hookUrl = serviceBase + "/cds-services/" + service.path("id").asText();

    Map<String, Double> before = metrics();
    Map<String, Double> sofar = before;
    for (String patient : patients) {
      throughServer.put(patient, call(hookUrl, request(patient, null)));
      Map<String, Double> now = metrics();
      fhirRequests.put(patient, (int) delta(sofar, now, "mineralcds_fhir_requests_total"));
      sofar = now;
    }
    Map<String, Double> afterServer = metrics();
    for (String patient : patients) {
      ObjectNode prefetch = TestServers.JSON.createObjectNode();
      for (Map.Entry<String, JsonNode> t : service.path("prefetch").properties()) {
        prefetch.set(
            t.getKey(),
            get(fhirBase + "/" + render(t.getValue().asText(), patient))
                .orElse(TestServers.JSON.nullNode()));
      }
      throughPrefetch.put(patient, call(hookUrl, request(patient, prefetch)));
    }
    Map<String, Double> afterPrefetch = metrics();
    for (String patient : patients) {
      checkStartDates(patient, throughServer.get(patient));
    }
    printSummary(before, afterServer, afterPrefetch, fhirReady - started);
  }

  @AfterAll
  void stop() throws InterruptedException {
    for (Process p : new Process[] {serviceProcess, fhirProcess}) {
      if (p != null) {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  @Test
  void everyChartIsAnsweredWithoutA412OrA5xxOnBothPaths() {
    Map<String, Integer> failures = new TreeMap<>();
    throughServer.forEach(
        (p, c) -> {
          if (c.status() != 200) {
            failures.put("fhirServer " + p, c.status());
          }
        });
    throughPrefetch.forEach(
        (p, c) -> {
          if (c.status() != 200) {
            failures.put("prefetch " + p, c.status());
          }
        });
    assertThat(failures).as("calls not answered 200").isEmpty();
  }

  @Test
  void theCardsAreTheSameThroughPrefetchAndThroughTheServer() {
    for (String patient : patients) {
      assertThat(throughPrefetch.get(patient).cards())
          .as("cards of patient %s: prefetch vs fhirServer", patient)
          .isEqualTo(throughServer.get(patient).cards());
    }
  }

  /**
   * The query plan's request count (issue 12: at most 4 for a typical chart): one parallel round of
   * 4 requests, and a fifth (the pending lab orders) only for a chart whose card suggests a test.
   * Counted by the service's own metrics, call by call.
   */
  @Test
  void aChartCostsFourFhirRequestsAndAFifthOnlyWhenACardSuggestsATest() {
    Map<String, String> over = new TreeMap<>();
    throughServer.forEach(
        (p, c) -> {
          boolean suggests = c.body().contains("\"type\":\"create\"");
          int requests = fhirRequests.get(p);
          if (requests > (suggests ? 5 : 4)) {
            over.put(p, requests + " requests" + (suggests ? " (suggests a test)" : ""));
          }
        });
    assertThat(fhirRequests).as("FHIR requests per call").hasSameSizeAs(throughServer);
    assertThat(over).as("calls over the plan's request count").isEmpty();
  }

  @Test
  void renewedDrugsKeepTheirRealStartDate() {
    assertThat(startDateErrors)
        .as(
            "cards giving a start later than an earlier order of the same drug (%d claims checked)",
            startClaimsChecked)
        .isEmpty();
  }

  // ---- the two processes ----------------------------------------------------------------------

  private void startFhirServer() throws Exception {
    String running = System.getProperty("realserver.url", "");
    if (!running.isBlank()) {
      // A server already running (docs/real-server.md), e.g. with a bigger population.
      fhirBase = running.replaceAll("/+$", "");
      return;
    }
    Path classpath = Path.of(required("realserver.classpath"));
    Path cache = Path.of(required("realserver.cache"));
    Files.createDirectories(cache);
    List<String> command =
        List.of(
            java(),
            "-Xmx" + System.getProperty("realserver.heap", "2g"),
            "-cp",
            required("realserver.classes")
                + java.io.File.pathSeparator
                + Files.readString(classpath, StandardCharsets.UTF_8).trim(),
            "org.mineralcds.realserver.RealServer",
            "--cache",
            cache.toString(),
            "--synthea-classpath",
            required("synthea.classpath"),
            "--seed",
            System.getProperty("realserver.seed", "42"),
            "--size",
            System.getProperty("realserver.size", "15"),
            "--years",
            System.getProperty("realserver.years", "10"),
            "--skip-types",
            System.getProperty("realserver.skipTypes", SKIP_TYPES),
            "--counts");
    fhirProcess =
        new ProcessBuilder(command)
            .redirectError(cache.resolve("real-server.log").toFile())
            .start();
    fhirBase =
        awaitLine(fhirProcess, READY, Duration.ofMinutes(40), "real-server: ", "the JPA server");
  }

  private void startService() throws Exception {
    Path jar = Path.of(System.getProperty("mineralcds.jar", "target/mineral-cds.jar"));
    serviceProcess =
        new ProcessBuilder(
                java(),
                "-jar",
                jar.toString(),
                "--port",
                "0",
                "--demo",
                "false",
                "--allowed-fhir-servers",
                fhirBase)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    serviceBase = awaitLine(serviceProcess, LISTENING, Duration.ofSeconds(90), null, "mineral-cds");
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property " + property + " is not set: run with -Preal-server");
    }
    return value;
  }

  /** Reads stdout until a line matches (echoing lines with {@code echo} prefix), then drains. */
  private static String awaitLine(
      Process process, Pattern pattern, Duration timeout, String echo, String what)
      throws IOException {
    Instant until = Instant.now().plus(timeout);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while (Instant.now().isBefore(until) && (line = out.readLine()) != null) {
      line = line.trim();
      if (echo != null && line.startsWith(echo)) {
        System.out.println(line);
      }
      Matcher m = pattern.matcher(line);
      if (m.matches()) {
        Thread drain = new Thread(() -> out.lines().forEach(l -> {}), what + "-stdout");
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new AssertionError(what + " did not announce itself within " + timeout);
  }

  // ---- hook calls -----------------------------------------------------------------------------

  private String request(String patient, ObjectNode prefetch) {
    ObjectNode request = TestServers.JSON.createObjectNode();
    request.put("hook", "patient-view");
    request.put("hookInstance", UUID.randomUUID().toString());
    request.put("fhirServer", fhirBase);
    ObjectNode auth = request.putObject("fhirAuthorization");
    auth.put("access_token", "real-server-test");
    auth.put("token_type", "Bearer");
    auth.put("expires_in", 300);
    auth.put("scope", "patient/*.read");
    auth.put("subject", "mineral-cds");
    ObjectNode context = request.putObject("context");
    context.put("userId", "Practitioner/real-server-test");
    context.put("patientId", patient);
    if (prefetch != null) {
      request.set("prefetch", prefetch);
    }
    return request.toString();
  }

  private static Call call(String url, String body) throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpResponse<String> response =
        TestServers.HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(60))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    long millis = (System.nanoTime() - start) / 1_000_000;
    List<String> cards = new ArrayList<>();
    if (response.statusCode() == 200) {
      for (JsonNode card : TestServers.JSON.readTree(response.body()).path("cards")) {
        // What a clinician sees, without the per-call uuids.
        cards.add(
            card.path("source").path("topic").path("code").asText()
                + " | "
                + card.path("indicator").asText()
                + " | "
                + card.path("summary").asText()
                + " | "
                + card.path("detail").asText());
      }
    }
    return new Call(response.statusCode(), millis, cards, response.body());
  }

  /** The discovery template rendered as the service renders it (UTC date, encoded values). */
  private String render(String template, String patient) {
    int q = template.indexOf('?');
    if (q < 0) {
      return fill(template, patient, false);
    }
    StringBuilder out = new StringBuilder(fill(template.substring(0, q), patient, false));
    out.append('?');
    String[] params = template.substring(q + 1).split("&");
    for (int i = 0; i < params.length; i++) {
      int eq = params[i].indexOf('=');
      out.append(i > 0 ? "&" : "")
          .append(eq < 0 ? params[i] : params[i].substring(0, eq + 1))
          .append(eq < 0 ? "" : fill(params[i].substring(eq + 1), patient, true));
    }
    return out.toString();
  }

  private String fill(String text, String patient, boolean encode) {
    Matcher m = TOKEN.matcher(text);
    StringBuilder out = new StringBuilder();
    int last = 0;
    while (m.find()) {
      out.append(
          encode ? encode(text.substring(last, m.start())) : text.substring(last, m.start()));
      out.append(encode(token(m.group(1), patient)));
      last = m.end();
    }
    out.append(encode ? encode(text.substring(last)) : text.substring(last));
    return out.toString();
  }

  private String token(String token, String patient) {
    if (token.equals("context.patientId")) {
      return patient;
    }
    if (token.equals("userPractitionerId")) {
      return "real-server-test";
    }
    Matcher m = TODAY.matcher(token);
    if (!m.matches()) {
      throw new AssertionError("prefetch token the test cannot render: {{" + token + "}}");
    }
    long days = m.group(1) == null ? 0 : Long.parseLong(m.group(2));
    return ("-".equals(m.group(1)) ? today.minusDays(days) : today.plusDays(days)).toString();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A GET on the FHIR server or the service: empty on 404, an error otherwise. */
  private static java.util.Optional<JsonNode> get(String url)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        TestServers.HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/fhir+json, application/json")
                .timeout(Duration.ofMinutes(2))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 404 || response.statusCode() == 410) {
      return java.util.Optional.empty();
    }
    if (response.statusCode() != 200) {
      throw new IOException("GET " + url + " -> " + response.statusCode() + ": " + response.body());
    }
    return java.util.Optional.of(TestServers.JSON.readTree(response.body()));
  }

  // ---- start dates ----------------------------------------------------------------------------

  record Order(List<String> names, LocalDate authored) {}

  /** The service's drug knowledge: a course is a run of orders of one ingredient. */
  private static final DrugCatalog DRUGS =
      KnowledgeLoader.fromClasspath(MineralCds.SERVICE_ID).drugs();

  /**
   * Whether {@code order} is of the drug a card names ({@code drug}, lower case): an ingredient
   * recognised in both (a course the service joined from an injection and a tablet of tacrolimus is
   * one course), else the same product name.
   */
  private static boolean sameDrug(String drug, Order order) {
    Set<Ingredient> named = DRUGS.recognise(List.of(), List.of(drug));
    if (!named.isEmpty()) {
      return !Collections.disjoint(named, DRUGS.recognise(List.of(), order.names()));
    }
    return order.names().stream().anyMatch(n -> n.contains(drug) || drug.contains(n));
  }

  /**
   * Every start the cards claim ("X started N days ago", "X (class), since DATE") against the
   * patient's whole MedicationRequest history on the server: an order of the same drug authored
   * before the claimed start (and within {@link #CONTINUITY_DAYS} of it) means the drug was being
   * renewed, not started.
   */
  private void checkStartDates(String patient, Call call) throws Exception {
    if (call.status() != 200) {
      return;
    }
    List<Order> orders = null;
    for (String card : call.cards()) {
      String[] parts = card.split(" \\| ", 4);
      List<Map.Entry<String, LocalDate>> claims = new ArrayList<>();
      Matcher summary = STARTED_DAYS_AGO.matcher(parts[2]);
      if (summary.find()) {
        claims.add(Map.entry(summary.group(1), today.minusDays(Long.parseLong(summary.group(2)))));
      }
      Matcher taking = TAKING_SINCE.matcher(parts.length > 3 ? parts[3] : "");
      while (taking.find()) {
        claims.add(Map.entry(taking.group(1).trim(), LocalDate.parse(taking.group(2))));
      }
      Matcher atLeast = TAKING_SINCE_AT_LEAST.matcher(parts.length > 3 ? parts[3] : "");
      while (atLeast.find()) {
        if (orders == null) {
          orders = orders(patient);
        }
        atLeastClaimsChecked++;
        String drug = atLeast.group(1).trim().toLowerCase(Locale.ROOT);
        LocalDate since = LocalDate.parse(atLeast.group(2));
        boolean ordered =
            orders.stream().anyMatch(o -> !o.authored().isAfter(since) && sameDrug(drug, o));
        if (!ordered) {
          startDateErrors.add(
              "patient "
                  + patient
                  + ": \""
                  + atLeast.group(1).trim()
                  + "\" taken since at least "
                  + since
                  + " per the card, but no order of it that early");
        }
      }
      if (claims.isEmpty()) {
        continue;
      }
      if (orders == null) {
        orders = orders(patient);
      }
      for (Map.Entry<String, LocalDate> claim : claims) {
        startClaimsChecked++;
        String drug = claim.getKey().toLowerCase(Locale.ROOT);
        LocalDate start = claim.getValue();
        List<Order> same = orders.stream().filter(o -> sameDrug(drug, o)).toList();
        if (same.isEmpty()) {
          startClaimsWithoutOrders++;
          continue;
        }
        same.stream()
            .map(Order::authored)
            .filter(
                a ->
                    a.isBefore(start.minusDays(1)) && !a.isBefore(start.minusDays(CONTINUITY_DAYS)))
            .min(LocalDate::compareTo)
            .ifPresent(
                earlier ->
                    startDateErrors.add(
                        "patient "
                            + patient
                            + ": \""
                            + claim.getKey()
                            + "\" started "
                            + start
                            + " per the card, ordered already on "
                            + earlier
                            + " ("
                            + same.size()
                            + " orders in all)"));
      }
    }
  }

  private List<Order> orders(String patient) throws Exception {
    List<Order> orders = new ArrayList<>();
    Map<String, List<String>> medications = new LinkedHashMap<>();
    List<JsonNode> requests = new ArrayList<>();
    String url =
        fhirBase
            + "/MedicationRequest?patient="
            + encode(patient)
            + "&_include=MedicationRequest:medication&_count=1000";
    while (url != null) {
      JsonNode page = get(url).orElseThrow();
      for (JsonNode entry : page.path("entry")) {
        JsonNode r = entry.path("resource");
        if (r.path("resourceType").asText().equals("Medication")) {
          medications.put("Medication/" + r.path("id").asText(), names(r.path("code")));
        } else {
          requests.add(r);
        }
      }
      url = null;
      for (JsonNode link : page.path("link")) {
        if (link.path("relation").asText().equals("next")) {
          url = link.path("url").asText();
        }
      }
    }
    for (JsonNode r : requests) {
      if (r.path("status").asText().equals("entered-in-error") || !r.hasNonNull("authoredOn")) {
        continue;
      }
      List<String> names = new ArrayList<>(names(r.path("medicationCodeableConcept")));
      String reference = r.path("medicationReference").path("reference").asText("");
      names.addAll(medications.getOrDefault(reference.replaceAll("/_history/.*", ""), List.of()));
      orders.add(new Order(names, authored(r.path("authoredOn").asText())));
    }
    return orders;
  }

  private static List<String> names(JsonNode concept) {
    List<String> names = new ArrayList<>();
    if (concept.hasNonNull("text")) {
      names.add(concept.path("text").asText().toLowerCase(Locale.ROOT));
    }
    for (JsonNode coding : concept.path("coding")) {
      if (coding.hasNonNull("display")) {
        names.add(coding.path("display").asText().toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }

  private static LocalDate authored(String value) {
    return value.length() == 10
        ? LocalDate.parse(value)
        : OffsetDateTime.parse(value).atZoneSameInstant(ZoneOffset.UTC).toLocalDate();
  }

  // ---- summary --------------------------------------------------------------------------------

  private Map<String, Double> metrics() throws IOException, InterruptedException {
    HttpResponse<String> response =
        TestServers.HTTP.send(
            HttpRequest.newBuilder(URI.create(serviceBase + "/metrics"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Map<String, Double> sums = new TreeMap<>();
    for (String line : response.body().split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String name = line.substring(0, space);
      int brace = name.indexOf('{');
      String family = brace < 0 ? name : name.substring(0, brace);
      if (family.endsWith("_count") || family.endsWith("_sum") || family.endsWith("_total")) {
        try {
          sums.merge(family, Double.parseDouble(line.substring(space + 1)), Double::sum);
        } catch (NumberFormatException ignored) {
          // not a sample line
        }
      }
    }
    return sums;
  }

  private void printSummary(
      Map<String, Double> before,
      Map<String, Double> afterServer,
      Map<String, Double> afterPrefetch,
      long fhirStartNanos) {
    System.out.printf(
        "real-server IT: %d patients, JPA server ready (generate/load/start) in %.0f s, today %s%n",
        patients.size(), fhirStartNanos / 1e9, today);
    summarise("fhirServer", throughServer, before, afterServer);
    summarise("prefetch  ", throughPrefetch, afterServer, afterPrefetch);
    System.out.printf(
        "real-server IT: start dates: %d claims checked, %d without a matching order, %d"
            + " 'since at least' claims checked, %d wrong%n",
        startClaimsChecked, startClaimsWithoutOrders, atLeastClaimsChecked, startDateErrors.size());
    startDateErrors.stream().limit(10).forEach(e -> System.out.println("  " + e));
  }

  private static void summarise(
      String path, Map<String, Call> calls, Map<String, Double> from, Map<String, Double> to) {
    List<Long> millis = calls.values().stream().map(Call::millis).sorted().toList();
    List<Integer> cards = calls.values().stream().map(c -> c.cards().size()).sorted().toList();
    Map<Integer, Integer> statuses = new TreeMap<>();
    calls.values().forEach(c -> statuses.merge(c.status(), 1, Integer::sum));
    long silent = cards.stream().filter(n -> n == 0).count();
    double fetches =
        delta(from, to, "mineralcds_fhir_fetch_duration_seconds_count") / Math.max(1, calls.size());
    double fetchFailures = delta(from, to, "mineralcds_fhir_fetch_failures_total");
    double hookSeconds = delta(from, to, "mineralcds_hook_duration_seconds_sum");
    System.out.printf(
        "real-server IT: %s statuses %s; latency p50 %d ms, p90 %d ms, max %d ms (server mean"
            + " %.0f ms); cards per chart median %d, p90 %d, max %d, silent %d/%d; FHIR"
            + " requests per call %.1f, fetch failures %.0f%n",
        path,
        statuses,
        pct(millis, 50),
        pct(millis, 90),
        millis.isEmpty() ? 0 : millis.get(millis.size() - 1),
        hookSeconds * 1000 / Math.max(1, calls.size()),
        pct(cards, 50),
        pct(cards, 90),
        cards.isEmpty() ? 0 : cards.get(cards.size() - 1),
        silent,
        cards.size(),
        fetches,
        fetchFailures);
  }

  private static double delta(Map<String, Double> from, Map<String, Double> to, String name) {
    return to.getOrDefault(name, 0.0) - from.getOrDefault(name, 0.0);
  }

  private static <T extends Number> long pct(List<T> sorted, int percent) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))).longValue();
  }

  static long daysBetween(LocalDate a, LocalDate b) {
    return ChronoUnit.DAYS.between(a, b);
  }
}
