package org.mineralcds.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IJsonLikeParser;
import ca.uhn.fhir.parser.json.jackson.JacksonStructure;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.mineralcds.MineralCds;
import org.mineralcds.auth.Caller;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.hook.HookJson;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.JsonTrees;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.observability.Metrics;
import org.mineralcds.rules.Evaluator;
import org.mineralcds.rules.Finding;
import org.mineralcds.service.MineralBalanceService;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * mineral-cds's hook pipeline on the realistic request (RealisticRequest), step by step, and the
 * CQL engine evaluating the comparison rule on the same patient data, in the same run.
 *
 * <ul>
 *   <li>{@code hookCall}: request bytes to response JSON, everything but HTTP: parse, map (the
 *       prefetch's JSON read straight into plain records, normalised), evaluate every rule, render
 *       the cards, serialise.
 *   <li>{@code parse}: request bytes to the JSON tree the service reads (JsonTrees), nothing else.
 *   <li>{@code parseNormaliseEvaluate}: the same without rendering and serialising.
 *   <li>{@code evaluate}: the rules alone on the normalised record (every analyte, pattern and
 *       trend rule).
 *   <li>{@code cqlEvaluate}: the CQL rule alone, on the already parsed HAPI resources, with a new
 *       engine per evaluation (as a service creates one per request).
 *   <li>{@code cqlEvaluateReusedEngine}: the same on one long-lived engine.
 *   <li>{@code cqlParseEvaluate}: request bytes to the CQL decision: the same JSON parse as ours,
 *       HAPI's parse of the prefetch (the CQL engine evaluates HAPI resources), then the CQL rule.
 *   <li>{@code hapiParse}: request bytes to HAPI resources, HAPI reading the request's JSON tree
 *       (its fastest way in; mineral-cds itself did this before it read the JSON directly).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xmx1g"})
@State(Scope.Benchmark)
public class EvaluateBenchmark {

  static final Instant NOW = RealisticRequest.ANCHOR.atTime(12, 0).toInstant(ZoneOffset.UTC);

  private byte[] request;
  private ObjectMapper json;
  private FhirContext fhir;
  private ExecutorService pool;
  private MineralBalanceService service;
  private Evaluator evaluator;
  private PatientRecord record;
  private List<Resource> resources;
  private CqlRule cql;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    // One log line per hook call is the service's contract, but not what is measured here.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("mineralcds.hook"))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    request = RealisticRequest.checkedIn();
    json = HookJson.newMapper();
    fhir = FhirContext.forR4Cached();
    pool = Executors.newFixedThreadPool(4);
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    ServiceConfig config =
        new ServiceConfig(
            "127.0.0.1",
            0,
            List.of("*"),
            List.of(),
            Duration.ofSeconds(1),
            Duration.ofSeconds(3),
            Duration.ofSeconds(4),
            10_000_000,
            10,
            null,
            false,
            false);
    service = MineralCds.service(config, clock, pool, new Metrics());
    Knowledge knowledge = KnowledgeLoader.fromClasspath(MineralCds.SERVICE_ID);
    evaluator = new Evaluator(knowledge.rules(), knowledge.labs());
    MineralBalanceService.Evaluation evaluation =
        service.evaluate(HookRequest.fromJson(JsonTrees.readRequest(json, request)), Caller.unauthenticatedLocal(), "http://127.0.0.1:8080");
    record = evaluation.data().record();
    resources = hapiParse();
    long started = System.nanoTime();
    cql = CqlRule.translate();
    long translated = System.nanoTime();
    boolean cqlFires = cqlEvaluate() && cqlEvaluateReusedEngine() && cqlEvaluateReusedEngine();
    System.out.printf(
        "%n[setup] %d resources; mineral-cds cards: %s; CQL suggests magnesium: %s;"
            + " CQL->ELM translation (first in this JVM, FHIRHelpers included): %.0f ms%n",
        resources.size(),
        evaluation.response().cards().stream()
            .map(c -> c.source().topic().code() + "(" + c.indicator() + ")")
            .toList(),
        cqlFires,
        (translated - started) / 1e6);
    if (!cqlFires || evaluation.findings().stream().noneMatch(EvaluateBenchmark::suggestsMagnesium)) {
      throw new IllegalStateException("both evaluators must suggest magnesium for this patient");
    }
  }

  private static boolean suggestsMagnesium(Finding f) {
    return f.band().topic().equals("potassium-low")
        && f.suggestions().stream().anyMatch(s -> s.test().id().equals("magnesium"));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.shutdownNow();
  }

  @Benchmark
  public String hookCall() throws Exception {
    HookRequest hook = HookRequest.fromJson(JsonTrees.readRequest(json, request));
    return json.writeValueAsString(service.call(hook, Caller.unauthenticatedLocal(), "http://127.0.0.1:8080"));
  }

  /** The request's bytes read into the JSON tree the service reads: the first step of a call. */
  @Benchmark
  public Object parse() throws Exception {
    return HookRequest.fromJson(JsonTrees.readRequest(json, request));
  }

  @Benchmark
  public List<Finding> parseNormaliseEvaluate() throws Exception {
    HookRequest hook = HookRequest.fromJson(JsonTrees.readRequest(json, request));
    return service.evaluate(hook, Caller.unauthenticatedLocal(), "http://127.0.0.1:8080").findings();
  }

  /** Every rule: bands, patterns, trends, then the drug-monitoring and work-up rules. */
  @Benchmark
  public int evaluate() {
    Evaluator.Assessment assessment = evaluator.assess(record, NOW);
    return assessment.findings().size() + assessment.due().size();
  }

  @Benchmark
  public boolean cqlEvaluate() {
    return cql.suggestMagnesium(
        RealisticRequest.PATIENT, resources, ZonedDateTime.ofInstant(NOW, ZoneOffset.UTC));
  }

  @Benchmark
  public boolean cqlEvaluateReusedEngine() {
    return cql.suggestMagnesiumReusingEngine(
        RealisticRequest.PATIENT, resources, ZonedDateTime.ofInstant(NOW, ZoneOffset.UTC));
  }

  @Benchmark
  public boolean cqlParseEvaluate() throws Exception {
    return cql.suggestMagnesium(
        RealisticRequest.PATIENT, hapiParse(), ZonedDateTime.ofInstant(NOW, ZoneOffset.UTC));
  }

  @Benchmark
  public List<Resource> hapiParse() throws Exception {
    JsonNode body = json.readTree(request);
    IJsonLikeParser parser = (IJsonLikeParser) fhir.newJsonParser();
    List<Resource> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : body.path("prefetch").properties()) {
      JacksonStructure tree = new JacksonStructure();
      tree.setNativeObject((ObjectNode) e.getValue());
      Resource r = (Resource) parser.parseResource(tree);
      if (r instanceof Bundle b) {
        b.getEntry().forEach(entry -> out.add(entry.getResource()));
      } else {
        out.add(r);
      }
    }
    return out;
  }

  /** CQL to ELM, warm: a new library manager translating the rule and FHIRHelpers each time. */
  @Benchmark
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 3, time = 2)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public Object cqlTranslate() {
    return CqlRule.translate();
  }
}
