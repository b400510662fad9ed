package org.mineralcds.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.mineralcds.MineralCds;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.knowledge.ServiceDefinition;

/**
 * The choices behind the query plan, measured on a real FHIR server: for each patient, each way of
 * asking for the same data is run alone (its queries in parallel, as the service sends them, every
 * {@code next} page followed), timing the whole, counting requests and bytes. See BENCHMARKS.md,
 * "Query plan".
 *
 * <pre>
 * java -jar target/bench/mineral-cds-bench.jar queryplans --fhir BASE [--patients N] [--variants all|plan]
 * </pre>
 */
final class QueryPlanBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** The lab queries of the plan before issue 12: one per family, sorted, 20 a page. */
  static final List<String> PER_FAMILY_SORTED =
      List.of(
          "Observation?patient={{context.patientId}}&code=http://loinc.org|2823-3,http://loinc.org|6298-4&date=gt{{today() - 400 days}}&_sort=-date&_count=20",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|19123-9,http://loinc.org|2601-3,http://loinc.org|2593-2&date=gt{{today() - 400 days}}&_sort=-date&_count=20",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|17861-6,http://loinc.org|2000-8,http://loinc.org|49765-1,http://loinc.org|1994-3,http://loinc.org|1995-0,http://loinc.org|17863-2,http://loinc.org|47596-2&date=gt{{today() - 400 days}}&_sort=-date&_count=20",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|1751-7,http://loinc.org|61151-7,http://loinc.org|61152-5,http://loinc.org|2862-1&date=gt{{today() - 400 days}}&_sort=-date&_count=10",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|2731-8,http://loinc.org|14866-8&date=gt{{today() - 730 days}}&_sort=-date&_count=10",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|3016-3,http://loinc.org|11580-8,http://loinc.org|3024-7,http://loinc.org|14920-3&date=gt{{today() - 730 days}}&_sort=-date&_count=20",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|62292-8,http://loinc.org|35365-6,http://loinc.org|1989-3,http://loinc.org|14635-7,http://loinc.org|49054-0&date=gt{{today() - 730 days}}&_sort=-date&_count=10",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|2777-1,http://loinc.org|14879-1&date=gt{{today() - 400 days}}&_sort=-date&_count=10",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|2160-0,http://loinc.org|14682-9,http://loinc.org|38483-4,http://loinc.org|98979-8,http://loinc.org|62238-1,http://loinc.org|88294-4,http://loinc.org|88293-6,http://loinc.org|33914-3,http://loinc.org|48642-3,http://loinc.org|48643-1&date=gt{{today() - 400 days}}&_sort=-date&_count=20",
          "Observation?patient={{context.patientId}}&code=http://loinc.org|2157-6&date=gt{{today() - 400 days}}&_sort=-date&_count=10");

  /** Every LOINC code of those queries, for the combined search. */
  private static String allCodes() {
    List<String> codes = new ArrayList<>();
    for (String q : PER_FAMILY_SORTED) {
      String c = q.replaceAll(".*[?&]code=([^&]*).*", "$1");
      codes.add(c);
    }
    return String.join(",", codes);
  }

  private static Map<String, List<String>> variants() {
    String p = "{{context.patientId}}";
    String codes = allCodes();
    Map<String, List<String>> v = new LinkedHashMap<>();
    v.put("labs: 10 per-family searches, _sort=-date, _count=20 (before)", PER_FAMILY_SORTED);
    v.put(
        "labs: 10 per-family searches, no _sort, _count=200",
        PER_FAMILY_SORTED.stream()
            .map(q -> q.replace("&_sort=-date", "").replaceAll("_count=\\d+", "_count=200"))
            .toList());
    String combined =
        "Observation?patient=" + p + "&code=" + codes + "&date=gt{{today() - 730 days}}";
    v.put("labs: 1 combined search, _sort=-date, _count=200", List.of(combined + "&_sort=-date&_count=200"));
    v.put("labs: 1 combined search, no _sort, _count=50", List.of(combined + "&_count=50"));
    v.put(
        "labs: 1 combined search, no _sort, _count=200, _include Patient (plan)",
        List.of(combined + "&_include=Observation:patient&_count=200"));
    v.put("labs: 1 combined search, no _sort, _count=1000", List.of(combined + "&_count=1000"));
    v.put(
        "medications: active orders only (before)",
        List.of("MedicationRequest?patient=" + p + "&status=active"));
    v.put(
        "medications: every order, _include medication, _count=200 (plan)",
        List.of("MedicationRequest?patient=" + p + "&_include=MedicationRequest:medication&_count=200"));
    v.put(
        "medications: every order, _count=1000",
        List.of("MedicationRequest?patient=" + p + "&_count=1000"));
    return v;
  }

  /**
   * The plan's first round as the service sends it (the discovery templates with its own fetch
   * parameters, without the keys it reads only when needed), against the same round with the
   * active problems asked on their own (the plan before the problem list came with the Patient),
   * and the two queries that differ, alone.
   */
  private static Map<String, List<String>> planVariants() {
    ServiceDefinition definition = KnowledgeLoader.fromClasspath(MineralCds.SERVICE_ID).service();
    String p = "{{context.patientId}}";
    String conditionsInclude = "&_revinclude=Condition:patient";
    String activeConditions = "Condition?patient=" + p + "&clinical-status=active&_count=1000";
    List<String> plan = new ArrayList<>();
    for (String key : definition.prefetch().keySet()) {
      if (!definition.fetchOnlyWhen().containsKey(key)) {
        plan.add(definition.fetchTemplate(key));
      }
    }
    List<String> separate = new ArrayList<>();
    plan.forEach(q -> separate.add(q.replace(conditionsInclude, "")));
    separate.add(activeConditions);
    String patient = definition.fetchTemplate("patient");
    Map<String, List<String>> v = new LinkedHashMap<>();
    v.put("first round: the plan, 4 requests (every problem with the Patient)", plan);
    v.put("first round: 5 requests (active problems on their own, before)", separate);
    v.put("Patient + statements, dispenses, every problem (plan)", List.of(patient));
    v.put("Patient + statements, dispenses (before)", List.of(patient.replace(conditionsInclude, "")));
    v.put("problems: active only, on their own (before)", List.of(activeConditions));
    v.put("problems: every status, on their own", List.of("Condition?patient=" + p + "&_count=1000"));
    return v;
  }

  record Run(double millis, int requests, long bytes) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    if (!options.containsKey("--fhir")) {
      System.out.println("queryplans --fhir BASE [--patients N] [--variants all|plan]");
      return;
    }
    Map<String, List<String>> variants =
        "plan".equals(options.get("--variants")) ? planVariants() : variants();
    if (!"plan".equals(options.get("--variants"))) {
      variants.putAll(planVariants());
    }
    String fhir = options.get("--fhir").replaceAll("/+$", "");
    int limit = Integer.parseInt(options.getOrDefault("--patients", "100"));
    List<String> patients = PopulationBench.patientIds(fhir, limit);
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      // One warm-up pass over a few patients so the first variant does not pay the JIT alone.
      for (String patient : patients.subList(0, Math.min(3, patients.size()))) {
        for (List<String> queries : variants.values()) {
          runSet(fhir, queries, patient, today, pool);
        }
      }
      for (String patient : patients) {
        for (Map.Entry<String, List<String>> v : variants.entrySet()) {
          runs.computeIfAbsent(v.getKey(), k -> new ArrayList<>())
              .add(runSet(fhir, v.getValue(), patient, today, pool));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf("query plans: %d patients on %s; machine load %s%n", patients.size(), fhir, ServiceProcess.loadAverage());
    System.out.printf("%-72s %8s %8s %8s %8s %10s%n", "variant", "p50 ms", "p90 ms", "max ms", "req/pt", "KB/pt p50");
    runs.forEach(
        (name, list) -> {
          List<Double> ms = new ArrayList<>(list.stream().map(Run::millis).toList());
          Collections.sort(ms);
          List<Double> kb = new ArrayList<>(list.stream().map(r -> r.bytes() / 1024.0).toList());
          Collections.sort(kb);
          double req = list.stream().mapToInt(Run::requests).average().orElse(0);
          System.out.printf(
              "%-72s %8.0f %8.0f %8.0f %8.2f %10.0f%n",
              name, PopulationBench.pct(ms, 50), PopulationBench.pct(ms, 90), PopulationBench.pct(ms, 100), req, PopulationBench.pct(kb, 50));
        });
  }

  /** The queries of one variant for one patient, in parallel, every page followed. */
  private static Run runSet(
      String fhir, List<String> queries, String patient, LocalDate today, ExecutorService pool)
      throws Exception {
    long started = System.nanoTime();
    List<CompletableFuture<long[]>> parts = new ArrayList<>();
    for (String q : queries) {
      String url = fhir + "/" + PopulationBench.render(q, patient, today);
      parts.add(CompletableFuture.supplyAsync(() -> allPages(fhir, url), pool));
    }
    int requests = 0;
    long bytes = 0;
    for (CompletableFuture<long[]> part : parts) {
      long[] r = part.get();
      requests += (int) r[0];
      bytes += r[1];
    }
    return new Run((System.nanoTime() - started) / 1e6, requests, bytes);
  }

  private static long[] allPages(String fhir, String url) {
    long requests = 0;
    long bytes = 0;
    String next = url;
    try {
      while (next != null && requests < 50) {
        HttpResponse<String> page =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(next))
                    .timeout(Duration.ofSeconds(120))
                    .header("Accept", "application/fhir+json")
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        requests++;
        bytes += page.body().length();
        next = null;
        if (page.statusCode() == 200) {
          for (JsonNode link : JSON.readTree(page.body()).path("link")) {
            if ("next".equals(link.path("relation").asText())) {
              next = link.path("url").asText();
            }
          }
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return new long[] {requests, bytes};
  }
}
