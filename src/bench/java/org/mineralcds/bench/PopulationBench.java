package org.mineralcds.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mineralcds.MineralCds;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.knowledge.ServiceDefinition;

/**
 * Every patient of a population on a real FHIR server through the FHIR path (no prefetch), one
 * call at a time, after the plan's queries warmed the server's caches for that patient: errors, latency, FHIR requests and bytes per call (from the service's /metrics),
 * the slowest single query of the plan for that patient and the ratio to it, and the cards per
 * chart. See BENCHMARKS.md, "Population on a real FHIR server".
 *
 * <pre>
 * java -jar target/bench/mineral-cds-bench.jar population --fhir http://127.0.0.1:18080/fhir
 *     [--patients N] [--jar target/bench/mineral-cds.jar] [--jvm "-Xmx160m -Xmn64m -XX:+UseSerialGC"]
 * </pre>
 */
final class PopulationBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private static final Pattern TODAY = Pattern.compile("\\{\\{\\s*today\\(\\)\\s*-\\s*(\\d+)\\s*days\\s*\\}\\}");

  private PopulationBench() {}

  record Call(
      String patient,
      int status,
      double millis,
      double requests,
      double bytes,
      double slowestQueryMillis,
      double sumQueryMillis,
      boolean suggests,
      List<String> topics) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    if (!options.containsKey("--fhir")) {
      System.out.println(
          "population --fhir BASE [--patients N] [--jar SERVICE_JAR] [--jvm \"JVM OPTIONS\"]");
      return;
    }
    String fhir = options.get("--fhir").replaceAll("/+$", "");
    int limit = Integer.parseInt(options.getOrDefault("--patients", "100000"));
    List<String> jvm =
        Arrays.asList(
            options.getOrDefault("--jvm", "-Xmx160m -Xmn64m -XX:+UseSerialGC").trim().split("\\s+"));
    List<String> patients = patientIds(fhir, limit);
    System.out.printf("population: %d patients on %s%n", patients.size(), fhir);
    boolean trace = options.containsKey("--trace");
    try (TracingProxy proxy = trace ? new TracingProxy(fhir) : null;
        ServiceProcess service =
            ServiceProcess.launch(
                ServiceProcess.jar(options.get("--jar")),
                jvm,
                List.of(
                    "--demo",
                    "false",
                    "--allowed-fhir-servers",
                    trace ? fhir + "," + proxy.base() : fhir))) {
      String callBase = trace ? proxy.base() : fhir;
      // The queries the service itself sends in its first round: the discovery templates with
      // its fetch parameters (_include), without the keys it reads only when needed.
      ServiceDefinition definition =
          KnowledgeLoader.fromClasspath(MineralCds.SERVICE_ID).service();
      Map<String, String> templates = new java.util.LinkedHashMap<>();
      for (String key : definition.prefetch().keySet()) {
        if (!definition.fetchOnlyWhen().containsKey(key)) {
          templates.put(key, definition.fetchTemplate(key));
        }
      }
      // Warm the service's code paths (not the server's caches for these patients).
      post(service.baseUrl + "/cds-services/mineral-balance", request("no-such-patient", callBase));
      List<Call> calls = new ArrayList<>();
      for (String patient : patients) {
        // Warm the server's caches for this patient (an EHR has just opened the chart, so its
        // database has these rows at hand): every query of the plan once, untimed. Then the
        // single queries and the hook call are timed on the same footing.
        singleQueries(fhir, templates, patient);
        double[] single = singleQueries(fhir, templates, patient);
        double slowest = single[0];
        double requestsBefore = metric(service.baseUrl, "mineralcds_fhir_requests_total");
        double bytesBefore = metric(service.baseUrl, "mineralcds_fhir_response_bytes_total");
        if (trace) {
          proxy.mark();
        }
        long started = System.nanoTime();
        HttpResponse<String> response =
            post(service.baseUrl + "/cds-services/mineral-balance", request(patient, callBase));
        double millis = (System.nanoTime() - started) / 1e6;
        if (trace) {
          printTrace(patient, millis, proxy);
        }
        double requests = metric(service.baseUrl, "mineralcds_fhir_requests_total") - requestsBefore;
        double bytes = metric(service.baseUrl, "mineralcds_fhir_response_bytes_total") - bytesBefore;
        List<String> topics = new ArrayList<>();
        if (response.statusCode() == 200) {
          JSON.readTree(response.body())
              .path("cards")
              .forEach(c -> topics.add(c.path("source").path("topic").path("code").asText()));
        }
        boolean suggests = response.body().contains("\"type\":\"create\"");
        calls.add(
            new Call(
                patient,
                response.statusCode(),
                millis,
                requests,
                bytes,
                slowest,
                single[1],
                suggests,
                topics));
      }
      report(calls);
    }
  }

  /**
   * The requests of one hook call on a timeline (ms from sending the hook call), each with the
   * same request's time when sent alone right after (through the same proxy), and where the
   * call's time went: before the first request, between rounds, after the last answer.
   */
  private static void printTrace(String patient, double hookMillis, TracingProxy proxy)
      throws Exception {
    List<TracingProxy.Hop> inCall = proxy.hops();
    List<Double> alone = new ArrayList<>();
    for (TracingProxy.Hop hop : inCall) {
      proxy.mark();
      get(proxy.base() + hop.target());
      List<TracingProxy.Hop> single = proxy.hops();
      alone.add(single.isEmpty() ? 0 : single.get(0).endMs() - single.get(0).startMs());
    }
    System.out.printf("trace %s: hook %.0f ms%n", patient.substring(0, Math.min(8, patient.length())), hookMillis);
    double lastEnd = 0;
    double maxAlone = 0;
    for (int i = 0; i < inCall.size(); i++) {
      TracingProxy.Hop h = inCall.get(i);
      String target = h.target();
      String shortTarget =
          target.length() > 70 ? target.substring(0, 40) + "..." + target.substring(target.length() - 27) : target;
      System.out.printf(
          "  %7.1f -> %7.1f  %6.1f ms (alone %6.1f)  %7d B  %d  %s%n",
          h.startMs(), h.endMs(), h.endMs() - h.startMs(), alone.get(i), h.bytes(), h.status(), shortTarget);
      lastEnd = Math.max(lastEnd, h.endMs());
      maxAlone = Math.max(maxAlone, alone.get(i));
    }
    double firstStart = inCall.isEmpty() ? 0 : inCall.get(0).startMs();
    System.out.printf(
        "  before first request %.1f ms, requests span %.1f ms, after last answer %.1f ms; slowest alone %.1f ms%n",
        firstStart, lastEnd - firstStart, hookMillis - lastEnd, maxAlone);
  }

  private static void report(List<Call> calls) {
    Map<Integer, Integer> statuses = new TreeMap<>();
    calls.forEach(c -> statuses.merge(c.status(), 1, Integer::sum));
    List<Double> latency = sorted(calls.stream().map(Call::millis).toList());
    List<Double> requests = sorted(calls.stream().map(Call::requests).toList());
    List<Double> bytes = sorted(calls.stream().map(Call::bytes).toList());
    List<Double> slowest = sorted(calls.stream().map(Call::slowestQueryMillis).toList());
    List<Double> ratio =
        sorted(calls.stream().map(c -> c.millis() / Math.max(1, c.slowestQueryMillis())).toList());
    List<Double> cards =
        sorted(calls.stream().filter(c -> c.status() == 200).map(c -> (double) c.topics().size()).toList());
    long silent = calls.stream().filter(c -> c.status() == 200 && c.topics().isEmpty()).count();
    long answered = calls.stream().filter(c -> c.status() == 200).count();
    Map<String, Integer> topics = new TreeMap<>();
    calls.forEach(c -> c.topics().forEach(t -> topics.merge(t, 1, Integer::sum)));
    System.out.printf("charts: %d, statuses: %s%n", calls.size(), statuses);
    System.out.printf(
        "hook latency ms: p50 %.0f, p90 %.0f, p99 %.0f, max %.0f%n",
        pct(latency, 50), pct(latency, 90), pct(latency, 99), pct(latency, 100));
    System.out.printf(
        "slowest single query of the plan, ms: p50 %.0f, p90 %.0f, max %.0f%n",
        pct(slowest, 50), pct(slowest, 90), pct(slowest, 100));
    System.out.printf(
        "hook latency / slowest single query: p50 %.2f, p90 %.2f; p50 latency / p50 slowest %.2f%n",
        pct(ratio, 50), pct(ratio, 90), pct(latency, 50) / Math.max(1, pct(slowest, 50)));
    List<Double> oneRound =
        sorted(
            calls.stream()
                .filter(c -> c.status() == 200 && !c.suggests())
                .map(c -> c.millis() / Math.max(1, c.slowestQueryMillis()))
                .toList());
    System.out.printf(
        "  charts with nothing to suggest (one round, %d): hook latency / slowest single query p50"
            + " %.2f, p90 %.2f%n",
        oneRound.size(), pct(oneRound, 50), pct(oneRound, 90));
    // The FHIR server shares this machine's cores with the service: the round's queries cannot
    // all finish before the server has done the work of each, so the round takes at least the
    // slowest query and at least the sum of their times alone over the cores.
    int cores = Runtime.getRuntime().availableProcessors();
    List<Double> floorRatio =
        sorted(
            calls.stream()
                .map(
                    c ->
                        c.millis()
                            / Math.max(
                                1, Math.max(c.slowestQueryMillis(), c.sumQueryMillis() / cores)))
                .toList());
    System.out.printf(
        "hook latency / max(slowest single query, sum of the round's single queries / %d cores):"
            + " p50 %.2f, p90 %.2f%n",
        cores, pct(floorRatio, 50), pct(floorRatio, 90));
    System.out.printf(
        "FHIR requests per call: p50 %.0f, p90 %.0f, max %.0f (mean %.2f)%n",
        pct(requests, 50), pct(requests, 90), pct(requests, 100), mean(requests));
    System.out.printf(
        "FHIR bytes per call: p50 %.0f KB, p90 %.0f KB, max %.0f KB%n",
        pct(bytes, 50) / 1024, pct(bytes, 90) / 1024, pct(bytes, 100) / 1024);
    System.out.printf(
        "cards per chart: p50 %.0f, p90 %.0f, max %.0f; silent charts %d of %d (%.0f%%)%n",
        pct(cards, 50),
        pct(cards, 90),
        pct(cards, 100),
        silent,
        answered,
        answered == 0 ? 0 : 100.0 * silent / answered);
    System.out.printf("topics: %s%n", topics);
    System.out.printf("machine load: %s%n", ServiceProcess.loadAverage());
  }

  /**
   * The plan's first-round queries for this patient, each run alone: the slowest and the sum of
   * their times, in ms.
   */
  private static double[] singleQueries(
      String fhir, Map<String, String> templates, String patient) throws Exception {
    double slowest = 0;
    double sum = 0;
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    for (Map.Entry<String, String> t : templates.entrySet()) {
      String url = fhir + "/" + render(t.getValue(), patient, today);
      long started = System.nanoTime();
      HttpResponse<String> page = get(url);
      double millis = (System.nanoTime() - started) / 1e6;
      if (page.statusCode() / 100 == 2) {
        slowest = Math.max(slowest, millis);
        sum += millis;
      }
    }
    return new double[] {slowest, sum};
  }

  static String render(String template, String patient, LocalDate today) {
    String url = template.replace("{{context.patientId}}", patient);
    Matcher m = TODAY.matcher(url);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, today.minusDays(Long.parseLong(m.group(1))).toString());
    }
    m.appendTail(out);
    // Encode each query value (codes carry '|').
    String rendered = out.toString();
    int q = rendered.indexOf('?');
    if (q < 0) {
      return rendered;
    }
    List<String> pairs = new ArrayList<>();
    for (String pair : rendered.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      pairs.add(
          pair.substring(0, eq + 1)
              + URLEncoder.encode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return rendered.substring(0, q + 1) + String.join("&", pairs);
  }

  static List<String> patientIds(String fhir, int limit) throws Exception {
    List<String> ids = new ArrayList<>();
    String url = fhir + "/Patient?_elements=id&_count=500";
    while (url != null && ids.size() < limit) {
      JsonNode page = getJson(url);
      page.path("entry").forEach(e -> ids.add(e.path("resource").path("id").asText()));
      url = null;
      for (JsonNode link : page.path("link")) {
        if ("next".equals(link.path("relation").asText())) {
          url = link.path("url").asText();
        }
      }
    }
    Collections.sort(ids);
    return ids.size() > limit ? ids.subList(0, limit) : ids;
  }

  private static String request(String patient, String fhir) {
    ObjectNode body = JSON.createObjectNode();
    body.put("hook", "patient-view");
    body.put("hookInstance", UUID.randomUUID().toString());
    body.put("fhirServer", fhir);
    ObjectNode context = body.putObject("context");
    context.put("userId", "Practitioner/population-bench");
    context.put("patientId", patient);
    return body.toString();
  }

  private static double metric(String base, String name) throws Exception {
    for (String line : get(base + "/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return 0;
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Accept", "application/fhir+json")
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode getJson(String url) throws Exception {
    return JSON.readTree(get(url).body());
  }

  private static List<Double> sorted(List<Double> values) {
    List<Double> copy = new ArrayList<>(values);
    Collections.sort(copy);
    return copy;
  }

  /** Nearest-rank percentile; 0 for no values. */
  static double pct(List<Double> sorted, int p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> out = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      out.put(args[i], args[i + 1]);
    }
    return out;
  }
}
