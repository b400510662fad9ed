package org.mineralcds.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.UUID;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop load on the hook endpoint: N clients, each on its own keep-alive connection, send the
 * realistic request back to back; a warm-up, then R measured periods, each reported with
 * throughput, client-observed latency percentiles (loopback: an upper bound of server time), the
 * service's own hook-latency histogram (/metrics, bucketed) and errors. The service is the real
 * jar in a process of its own (or --url). On the FHIR path the request carries no prefetch and a
 * fhirServer: a stub that answers each query after a fixed delay, counting connections and
 * /metadata calls.
 */
final class LoadBench {

  private static final String USAGE =
      """
      java -jar target/bench/mineral-cds-bench.jar load [options]
        --path prefetch|fhir    data path (default prefetch)
        --hook patient-view|order-sign
                                the hook (default patient-view); order-sign sends the same patient
                                with a furosemide order being written
        --draft furosemide|digoxin
                                order-sign's draft (default furosemide): both give a conflict card
                                with a recheck for this patient's low potassium; digoxin also has
                                baseline tests, so its pending lab orders are read in the first
                                round, furosemide's only after it
        --clients N             concurrent clients, closed loop (default 8; fhir: 1)
        --warmup S              warm-up seconds (default 20)
        --duration S            seconds per measured period (default 20)
        --runs R                measured periods (default 5); medians are reported
        --jar FILE              service jar to launch (default: mineral-cds.jar beside this jar)
        --jvm-opts "OPTS"       JVM options for the service (e.g. "-Xmx256m -XX:StartFlightRecording=...")
        --service-args "ARGS"   extra service options (default "--demo false")
        --url URL               use a running service instead of launching the jar
        --fhir-delay-ms MS      the stub's fixed latency per query (default 100)
        --rss-every S           also print the service's RSS every S seconds
        --hook-instance fresh|same
                                fresh (default): every call carries a new hookInstance, as an EHR
                                sends; same: every call repeats one, so every card is one already
                                logged (the card log's replace path, an EHR that reuses ids)
        --jwt ALG               sign every call with a fresh JWT (RS384, ES384, RS256, ES256) of a
                                test issuer the service is configured to trust (a settings file
                                is added to the service options): the cost of verifying it and of
                                the replay cache
        --request-id-header H   send header H with a new id per call (with --jwt and the service
                                option --proxy-retry-header H: the proxy-retry request key)
      """;

  private LoadBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args);
    if (o.containsKey("help")) {
      System.out.print(USAGE);
      return;
    }
    String path = o.getOrDefault("path", "prefetch");
    boolean fhirPath = path.equals("fhir");
    int clients = Integer.parseInt(o.getOrDefault("clients", fhirPath ? "1" : "8"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "20"));
    int duration = Integer.parseInt(o.getOrDefault("duration", "20"));
    int runs = Integer.parseInt(o.getOrDefault("runs", "5"));
    long delay = Long.parseLong(o.getOrDefault("fhir-delay-ms", "100"));
    int rssEvery = Integer.parseInt(o.getOrDefault("rss-every", "0"));
    List<String> jvm = split(o.getOrDefault("jvm-opts", ""));
    List<String> serviceArgs =
        new ArrayList<>(split(o.getOrDefault("service-args", "--demo false")));
    BenchJwt jwt = o.containsKey("jwt") ? new BenchJwt(o.get("jwt")) : null;
    if (jwt != null) {
      serviceArgs.addAll(List.of("--config", jwt.configFile.toString()));
    }
    String requestIdHeader = o.get("request-id-header");
    boolean freshHookInstance =
        switch (o.getOrDefault("hook-instance", "fresh")) {
          case "fresh" -> true;
          case "same" -> false;
          default -> throw new IllegalArgumentException("--hook-instance fresh|same");
        };
    LocalDate today = LocalDate.now(ZoneOffset.UTC);

    FhirStub stub = fhirPath ? new FhirStub(delay, today) : null;
    ServiceProcess service =
        o.containsKey("url")
            ? null
            : ServiceProcess.launch(
                ServiceProcess.jar(o.get("jar")), jvm, serviceArgs);
    String base = service != null ? service.baseUrl : o.get("url");
    try {
      System.out.printf(
          "load: path=%s%s hookInstance=%s clients=%d warmup=%ds runs=%dx%ds service=%s%s"
              + " cores=%d java=%s%n",
          path,
          jwt == null ? "" : " jwt=" + o.get("jwt"),
          freshHookInstance ? "fresh" : "same",
          clients,
          warmup,
          runs,
          duration,
          base,
          service == null ? "" : " (pid " + service.process.pid() + ", jvm " + jvm + ")",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"));
      if (service != null) {
        System.out.printf("service started in %d ms%n", service.startNanos / 1_000_000);
      }
      ObjectNode body = RealisticRequest.request(today);
      boolean orderSign = o.getOrDefault("hook", "patient-view").equals("order-sign");
      if (orderSign) {
        withOrder(body, o.getOrDefault("draft", "furosemide"));
      }
      if (fhirPath) {
        body.remove("prefetch");
        body.put("fhirServer", stub.base());
        body.putObject("fhirAuthorization")
            .put("access_token", "bench-token")
            .put("token_type", "Bearer")
            .put("expires_in", 300)
            .put("scope", "patient/*.read")
            .put("subject", "mineral-cds");
      }
      URI hookUrl =
          URI.create(base + "/cds-services/" + (orderSign ? "mineral-order-sign" : "mineral-balance"));
      byte[] bodyBytes = new ObjectMapper().writeValueAsBytes(body);
      byte[] fixed = KeepAliveClient.post(hookUrl, bodyBytes, "");
      Prepared request =
          new Prepared(
              jwt == null && requestIdHeader == null
                  ? null
                  : () ->
                      (jwt == null ? "" : jwt.authorizationHeader(hookUrl.getRawPath()))
                          + (requestIdHeader == null
                              ? ""
                              : requestIdHeader + ": " + java.util.UUID.randomUUID() + "\r\n"),
              headers ->
                  headers.isEmpty() ? fixed : KeepAliveClient.post(hookUrl, bodyBytes, headers));
      byte[] metricsRequest = KeepAliveClient.get(URI.create(base + "/metrics"));
      check(hookUrl, request, fhirPath, orderSign);
      // The hookInstance sits at the same distance from the end of every request (the body is
      // the same; only header lines vary with --jwt): each call gets a new one written there.
      int hookInstanceFromEnd =
          freshHookInstance ? fixed.length - hookInstanceOffset(fixed) : 0;

      Monitor monitor = rssEvery > 0 && service != null ? new Monitor(service, rssEvery) : null;
      System.out.printf("warm-up %d s ...%n", warmup);
      // With --jwt, tokens for the warm-up too (about 200 calls/s), so that the service warms up
      // at the rate it is then measured at.
      request.prepare(warmup * 200);
      Result warm = run(hookUrl, request, clients, warmup, hookInstanceFromEnd);
      System.out.printf("warm-up: %s%n", warm.describe());
      List<Result> results = new ArrayList<>();
      double expected = warm.throughput();
      for (int i = 1; i <= runs; i++) {
        // Fresh tokens are signed before the period (as an EHR signs on its own machine), so the
        // shared cores spend the period on the service, as without --jwt.
        request.prepare((int) Math.ceil(expected * duration * 1.5) + 100);
        String before = scrape(hookUrl, metricsRequest);
        long stubRequests = stub == null ? 0 : stub.requests.get();
        long stubConnections = stub == null ? 0 : stub.connections.get();
        long cpuBefore = service == null ? -1 : service.cpuMillis();
        if (stub != null) {
          stub.slowestNanos.reset();
        }
        Result r = run(hookUrl, request, clients, duration, hookInstanceFromEnd);
        if (service != null) {
          r.cpuMillisPerCall = (service.cpuMillis() - cpuBefore) / (double) Math.max(1, r.ok);
        }
        r.loadAverage = ServiceProcess.loadAverage();
        r.server = ServerHistogram.between(before, scrape(hookUrl, metricsRequest));
        results.add(r);
        expected = Math.max(expected, r.throughput());
        System.out.printf(
            "run %d: %s%s%n",
            i,
            r.describe(),
            request.perCall() ? ", signed during the period: " + request.inline.get() : "");
        if (stub != null) {
          System.out.printf(
              "       stub: %d queries (%.1f per hook call), %d new connections, %d /metadata,"
                  + " %d unmatched, slowest response %.1f ms%n",
              stub.requests.get() - stubRequests,
              (stub.requests.get() - stubRequests) / (double) Math.max(1, r.ok),
              stub.connections.get() - stubConnections,
              stub.metadata.get(),
              stub.unmatched.get(),
              stub.slowestNanos.get() / 1e6);
        }
      }
      if (monitor != null) {
        monitor.stop();
      }
      System.out.println();
      System.out.printf("MEDIANS over %d runs (%d clients, path %s):%n", runs, clients, path);
      System.out.printf("  throughput      %8.0f hook calls/s%n", median(results, r -> r.throughput()));
      System.out.printf("  client p50      %8.2f ms%n", median(results, r -> r.percentile(0.50)));
      System.out.printf("  client p90      %8.2f ms%n", median(results, r -> r.percentile(0.90)));
      System.out.printf("  client p99      %8.2f ms%n", median(results, r -> r.percentile(0.99)));
      System.out.printf("  client max      %8.2f ms%n", median(results, r -> r.percentile(1.0)));
      System.out.printf("  server mean     %8.2f ms   (/metrics sum/count)%n", median(results, r -> r.server.meanMillis()));
      System.out.printf("  server p99 <=   %8.2f ms   (/metrics bucket bound)%n", median(results, r -> r.server.boundMillis(0.99)));
      System.out.printf("  server p99 ~    %8.2f ms   (interpolated in its bucket, as histogram_quantile)%n", median(results, r -> r.server.interpolatedMillis(0.99)));
      System.out.printf("  errors          %8d (all runs)%n", results.stream().mapToLong(r -> r.errors).sum());
      System.out.printf(
          "  service CPU     %8.2f ms per hook call (user+system, /proc; independent of CPU"
              + " sharing)%n",
          median(results, r -> r.cpuMillisPerCall));
      if (stub != null) {
        double p50 = median(results, r -> r.percentile(0.50));
        System.out.printf(
            "  FHIR path: stub delay %d ms; hook p50 / delay = %.2f, p90 / delay = %.2f;"
                + " connections opened %d for %d queries; /metadata calls %d%n",
            delay,
            p50 / delay,
            median(results, r -> r.percentile(0.90)) / delay,
            stub.connections.get(),
            stub.requests.get(),
            stub.metadata.get());
      }
      if (service != null) {
        System.out.printf("  service RSS     %8d MiB (VmRSS at the end)%n", service.rssMiB());
      }
    } finally {
      if (service != null) {
        service.close();
      }
      if (stub != null) {
        stub.close();
      }
    }
  }

  /** One call first: the path must answer 200 with the expected card, or nothing is measured. */
  private static void check(URI url, Requests request, boolean fhirPath, boolean orderSign)
      throws Exception {
    try (KeepAliveClient client = new KeepAliveClient(url)) {
      KeepAliveClient.Response r = client.send(request.next());
      String body = new String(r.body(), StandardCharsets.UTF_8);
      boolean expected =
          orderSign
              ? body.contains("order-lab-conflict")
              : body.contains("potassium-low") && body.contains("19123-9");
      if (r.status() != 200 || !expected) {
        throw new IllegalStateException(
            "the " + (fhirPath ? "FHIR" : "prefetch") + " path answered " + r.status() + ": " + body);
      }
    }
  }

  /**
   * The patient-view request as an order-sign call with one order being written: furosemide (a
   * loop diuretic, no baseline tests) or digoxin (baseline tests too); with this patient's low
   * potassium either gives one conflict card offering a recheck.
   */
  static void withOrder(ObjectNode body, String draft) {
    String code;
    String product;
    switch (draft) {
      case "furosemide" -> {
        code = "313988";
        product = "furosemide 40 MG Oral Tablet";
      }
      case "digoxin" -> {
        code = "197604";
        product = "digoxin 0.125 MG Oral Tablet";
      }
      default -> throw new IllegalArgumentException("--draft: furosemide or digoxin, not " + draft);
    }
    body.put("hook", "order-sign");
    ObjectNode context = (ObjectNode) body.path("context");
    ObjectNode bundle = context.putObject("draftOrders");
    bundle.put("resourceType", "Bundle");
    bundle.put("type", "collection");
    ObjectNode order = bundle.putArray("entry").addObject().putObject("resource");
    order.put("resourceType", "MedicationRequest");
    order.put("id", "bench-draft-" + draft);
    order.put("status", "draft");
    order.put("intent", "order");
    order
        .putObject("medicationCodeableConcept")
        .put("text", product)
        .putArray("coding")
        .addObject()
        .put("system", "http://www.nlm.nih.gov/research/umls/rxnorm")
        .put("code", code)
        .put("display", product);
    order.putObject("subject").put("reference", "Patient/" + context.path("patientId").asText());
  }

  private static String scrape(URI url, byte[] metricsRequest) throws Exception {
    try (KeepAliveClient client = new KeepAliveClient(url)) {
      return new String(client.send(metricsRequest).body(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Where the request's hookInstance value sits, so that each client can write a new one into its
   * own copy of the bytes before each call (same length, no re-serialisation).
   */
  static int hookInstanceOffset(byte[] request) {
    byte[] id = RealisticRequest.HOOK_INSTANCE.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + id.length <= request.length; i++) {
      for (int j = 0; j < id.length; j++) {
        if (request[i + j] != id[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("the request carries no hookInstance to vary");
  }

  /** A random version-4 UUID written as 36 ASCII characters at {@code at}. */
  static void writeUuid(byte[] target, int at, java.util.concurrent.ThreadLocalRandom random) {
    byte[] text =
        new UUID(
                random.nextLong() & 0xffffffffffff0fffL | 0x4000L,
                random.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L)
            .toString()
            .getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(text, 0, target, at, text.length);
  }

  /** The bytes of the next hook call: the same each time, or with a fresh JWT. */
  interface Requests {
    byte[] next();

    /** Whether every call gets bytes of its own (else the same array each time). */
    boolean perCall();
  }

  /**
   * The next request: the same bytes each time, or with headers of its own (a fresh JWT) made
   * ahead of a period (each used once; only the header lines are kept, not whole requests), then
   * made as needed.
   */
  static final class Prepared implements Requests {
    private final java.util.function.Supplier<String> headerMaker;
    private final java.util.function.Function<String, byte[]> build;
    private final boolean perCall;
    private final java.util.concurrent.ConcurrentLinkedQueue<String> ready =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    final AtomicLong inline = new AtomicLong();

    /**
     * @param headerMaker the extra header lines of a new request, or null for none
     */
    Prepared(
        java.util.function.Supplier<String> headerMaker,
        java.util.function.Function<String, byte[]> build) {
      this.headerMaker = headerMaker;
      this.build = build;
      this.perCall = headerMaker != null;
    }

    void prepare(int n) {
      inline.set(0);
      if (!perCall) {
        return;
      }
      ready.clear();
      java.util.stream.IntStream.range(0, n)
          .parallel()
          .forEach(i -> ready.add(headerMaker.get()));
    }

    @Override
    public boolean perCall() {
      return perCall;
    }

    @Override
    public byte[] next() {
      if (!perCall) {
        return build.apply("");
      }
      String headers = ready.poll();
      if (headers == null) {
        inline.incrementAndGet();
        headers = headerMaker.get();
      }
      return build.apply(headers);
    }
  }

  private static Result run(
      URI url, Requests request, int clients, int seconds, int hookInstanceFromEnd)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(clients);
    long[][] latencies = new long[clients][];
    int[] counts = new int[clients];
    AtomicLong errors = new AtomicLong();
    long started = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      int id = c;
      Thread t =
          new Thread(
              () -> {
                long[] mine = new long[1 << 16];
                int n = 0;
                byte[] own = null;
                java.util.concurrent.ThreadLocalRandom random =
                    java.util.concurrent.ThreadLocalRandom.current();
                try (KeepAliveClient client = new KeepAliveClient(url)) {
                  while (!stop.get()) {
                    // Signing a token (--jwt) is the EHR's time, not the service's.
                    byte[] bytes = request.next();
                    if (hookInstanceFromEnd > 0) {
                      if (!request.perCall()) {
                        // The same bytes for every call: this client's own copy to write into.
                        if (own == null) {
                          own = bytes.clone();
                        }
                        bytes = own;
                      }
                      writeUuid(bytes, bytes.length - hookInstanceFromEnd, random);
                    }
                    long t0 = System.nanoTime();
                    try {
                      KeepAliveClient.Response r = client.send(bytes);
                      if (r.status() != 200) {
                        errors.incrementAndGet();
                        continue;
                      }
                    } catch (Exception e) {
                      errors.incrementAndGet();
                      continue;
                    }
                    if (n == mine.length) {
                      mine = Arrays.copyOf(mine, n * 2);
                    }
                    mine[n++] = System.nanoTime() - t0;
                  }
                } finally {
                  latencies[id] = mine;
                  counts[id] = n;
                  done.countDown();
                }
              },
              "client-" + c);
      t.start();
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    done.await();
    long elapsed = System.nanoTime() - started;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int c = 0; c < clients; c++) {
      System.arraycopy(latencies[c], 0, all, at, counts[c]);
      at += counts[c];
    }
    Arrays.sort(all);
    return new Result(all, errors.get(), elapsed);
  }

  /** One measured period. */
  static final class Result {
    final long[] sortedNanos;
    final long ok;
    final long errors;
    final long elapsedNanos;
    ServerHistogram server = ServerHistogram.EMPTY;
    double cpuMillisPerCall = Double.NaN;
    String loadAverage = "?";

    Result(long[] sortedNanos, long errors, long elapsedNanos) {
      this.sortedNanos = sortedNanos;
      this.ok = sortedNanos.length;
      this.errors = errors;
      this.elapsedNanos = elapsedNanos;
    }

    double throughput() {
      return ok / (elapsedNanos / 1e9);
    }

    double percentile(double p) {
      if (sortedNanos.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(p * sortedNanos.length) - 1;
      return sortedNanos[Math.max(0, Math.min(i, sortedNanos.length - 1))] / 1e6;
    }

    String describe() {
      return String.format(
          "%d calls, %.0f/s, client p50 %.2f p90 %.2f p99 %.2f max %.2f ms, errors %d,"
              + " service CPU %.2f ms/call, load avg %s%s",
          ok,
          throughput(),
          percentile(0.5),
          percentile(0.9),
          percentile(0.99),
          percentile(1.0),
          errors,
          cpuMillisPerCall,
          loadAverage,
          server == ServerHistogram.EMPTY
              ? ""
              : String.format(
                  "; server mean %.2f ms, p50 <= %.1f, p99 <= %.1f ms (interpolated %.1f)",
                  server.meanMillis(),
                  server.boundMillis(0.5),
                  server.boundMillis(0.99),
                  server.interpolatedMillis(0.99)));
    }
  }

  /** The change of the service's hook-latency histogram over one period. */
  record ServerHistogram(TreeMap<Double, Double> cumulative, double count, double sum) {
    static final ServerHistogram EMPTY = new ServerHistogram(new TreeMap<>(), 0, 0);
    private static final Pattern BUCKET =
        Pattern.compile(
            "mineralcds_hook_duration_seconds_bucket\\{[^}]*le=\"([^\"]+)\"[^}]*outcome=\"ok\"[^}]*\\}"
                + " (\\S+)|mineralcds_hook_duration_seconds_bucket\\{[^}]*outcome=\"ok\"[^}]*le=\"([^\"]+)\"[^}]*\\} (\\S+)");
    private static final Pattern COUNT =
        Pattern.compile("mineralcds_hook_duration_seconds_count\\{[^}]*outcome=\"ok\"[^}]*\\} (\\S+)");
    private static final Pattern SUM =
        Pattern.compile("mineralcds_hook_duration_seconds_sum\\{[^}]*outcome=\"ok\"[^}]*\\} (\\S+)");

    static ServerHistogram between(String before, String after) {
      ServerHistogram a = parse(before);
      ServerHistogram b = parse(after);
      TreeMap<Double, Double> delta = new TreeMap<>();
      b.cumulative.forEach((le, n) -> delta.put(le, n - a.cumulative.getOrDefault(le, 0.0)));
      return new ServerHistogram(delta, b.count - a.count, b.sum - a.sum);
    }

    static ServerHistogram parse(String text) {
      TreeMap<Double, Double> buckets = new TreeMap<>();
      Matcher m = BUCKET.matcher(text);
      while (m.find()) {
        String le = m.group(1) != null ? m.group(1) : m.group(3);
        String n = m.group(2) != null ? m.group(2) : m.group(4);
        buckets.put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), Double.parseDouble(n));
      }
      Matcher c = COUNT.matcher(text);
      Matcher s = SUM.matcher(text);
      return new ServerHistogram(
          buckets, c.find() ? Double.parseDouble(c.group(1)) : 0, s.find() ? Double.parseDouble(s.group(1)) : 0);
    }

    double meanMillis() {
      return count == 0 ? Double.NaN : sum / count * 1000;
    }

    /**
     * The p-quantile, interpolated linearly inside its bucket as Prometheus's histogram_quantile
     * does: an estimate between the bucket's bounds, not a measurement.
     */
    double interpolatedMillis(double p) {
      double rank = p * count;
      double lower = 0;
      double below = 0;
      for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
        if (e.getValue() >= rank) {
          if (e.getKey().isInfinite()) {
            return lower * 1000;
          }
          double inBucket = e.getValue() - below;
          double fraction = inBucket == 0 ? 1 : (rank - below) / inBucket;
          return (lower + (e.getKey() - lower) * fraction) * 1000;
        }
        lower = e.getKey();
        below = e.getValue();
      }
      return Double.NaN;
    }

    /** The smallest bucket bound at or under which a fraction p of the calls finished. */
    double boundMillis(double p) {
      for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
        if (e.getValue() >= p * count) {
          return e.getKey() * 1000;
        }
      }
      return Double.NaN;
    }
  }

  /** Prints the service's RSS periodically (for the long run). */
  private static final class Monitor {
    private final Thread thread;

    Monitor(ServiceProcess service, int everySeconds) {
      long started = System.nanoTime();
      thread =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  System.out.printf(
                      "  [rss] t=%4ds VmRSS %d MiB%n",
                      (System.nanoTime() - started) / 1_000_000_000L,
                      service.rssMiB());
                  try {
                    Thread.sleep(everySeconds * 1000L);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "rss-monitor");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      thread.interrupt();
    }
  }

  interface Metric {
    double of(Result r);
  }

  static double median(List<Result> results, Metric metric) {
    double[] values = results.stream().mapToDouble(metric::of).sorted().toArray();
    int n = values.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + a);
      }
      String name = a.substring(2);
      if (name.equals("help")) {
        o.put("help", "");
      } else if (name.contains("=")) {
        o.put(name.substring(0, name.indexOf('=')), name.substring(name.indexOf('=') + 1));
      } else if (i + 1 < args.length) {
        o.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException(a + " needs a value");
      }
    }
    return o;
  }

  static List<String> split(String s) {
    return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
  }
}
