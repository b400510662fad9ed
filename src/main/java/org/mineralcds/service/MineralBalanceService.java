package org.mineralcds.service;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.mineralcds.auth.Caller;
import org.mineralcds.cards.CardRenderer;
import org.mineralcds.fhir.FhirServerPolicy;
import org.mineralcds.fhir.PatientData;
import org.mineralcds.fhir.PatientDataLoader;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.HookResponse;
import org.mineralcds.hook.ServiceDescriptor;
import org.mineralcds.knowledge.ServiceDefinition;
import org.mineralcds.observability.LogText;
import org.mineralcds.observability.Metrics;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.DueTestsFinding;
import org.mineralcds.rules.Evaluator;
import org.mineralcds.rules.Finding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mineral-balance service on patient-view: load the record, evaluate the rules, render cards.
 * Logs one line per call with the hookInstance, the rule ids fired and timings, never tokens or
 * patient data.
 */
public final class MineralBalanceService implements CdsService {

  private static final Logger LOG = LoggerFactory.getLogger("mineralcds.hook");

  private final ServiceDefinition definition;
  private final PatientDataLoader loader;
  private final Evaluator evaluator;
  private final CardRenderer renderer;
  private final Clock clock;
  private final List<String> allowedFhirServers;
  private final Metrics metrics;
  private final CardMemory memory;

  /**
   * @param allowedFhirServers base URL prefixes any caller may name as fhirServer
   * @param memory suppression, silent mode and the card log (CardMemory.none() for none)
   */
  public MineralBalanceService(
      ServiceDefinition definition,
      PatientDataLoader loader,
      Evaluator evaluator,
      CardRenderer renderer,
      Clock clock,
      List<String> allowedFhirServers,
      Metrics metrics,
      CardMemory memory) {
    this.definition = definition;
    this.loader = loader;
    this.evaluator = evaluator;
    this.renderer = renderer;
    this.clock = clock;
    this.allowedFhirServers = List.copyOf(allowedFhirServers);
    this.metrics = metrics;
    this.memory = memory;
  }

  private FhirServerPolicy policyFor(Caller caller) {
    return HookCalls.policyFor(caller, allowedFhirServers);
  }

  @Override
  public ServiceDescriptor descriptor() {
    return HookCalls.descriptor(definition);
  }

  /** The cards, with the data and findings behind them. */
  public record Evaluation(
      HookResponse response,
      PatientData data,
      List<Finding> findings,
      List<DueTestsFinding> dueTests) {}

  @Override
  public HookResponse call(HookRequest request, Caller caller, String baseUrl) {
    return evaluate(request, caller, baseUrl).response();
  }

  /** As {@link #call}, also returning what was found, for the check command. */
  public Evaluation evaluate(HookRequest request, Caller caller, String baseUrl) {
    long started = System.nanoTime();
    String patientId = HookCalls.patientId(definition, request);
    FhirServerPolicy policy = policyFor(caller);
    PatientData data = loader.load(request, patientId, policy);
    long loaded = System.nanoTime();
    Instant now = clock.instant();
    Evaluator.Assessment assessment = evaluator.assess(data.record(), now);
    List<Finding> findings = assessment.findings();
    List<DueTestsFinding> due = assessment.due();
    List<Card> rendered =
        renderer.render(findings, due, patientId, request.hookInstance(), baseUrl);
    if (!data.deferred().isEmpty() && suggestsTests(rendered)) {
      // Pending orders are read only now that a test is about to be suggested: most charts
      // suggest none, and each FHIR request is one an EHR counts. Evaluated again with them.
      data = loader.completeForSuggestions(request, data, policy);
      assessment = evaluator.assess(data.record(), now);
      findings = assessment.findings();
      due = assessment.due();
      rendered = renderer.render(findings, due, patientId, request.hookInstance(), baseUrl);
    }
    List<Card> cards =
        memory.apply(
            request.fhirServer(),
            patientId,
            request.hookInstance(),
            caller,
            data.record(),
            findings,
            due,
            rendered,
            now);
    long done = System.nanoTime();
    LOG.info(
        "hook call hookInstance={} issuer={} service={} outcome=ok rules=[{}] cards={}"
            + " prefetched={} fetched={} unavailable=[{}] fhirRequests={} fhirBytes={} loadMs={}"
            + " evalMs={}",
        HookCalls.loggable(request.hookInstance()),
        LogText.safe(caller.logName()),
        definition.id(),
        Stream.concat(
                findings.stream().map(f -> f.band().id()),
                due.stream().flatMap(d -> d.rules().stream()).map(DueTestRule::id))
            .collect(Collectors.joining(",")),
        cards.size(),
        data.prefetched().size(),
        data.fetched().size(),
        String.join(",", data.failures().keySet()),
        data.fhirRequests(),
        data.fhirBytes(),
        (loaded - started) / 1_000_000,
        (done - loaded) / 1_000_000);
    HookCalls.count(metrics, cards, data);
    return new Evaluation(HookResponse.of(cards), data, findings, due);
  }

  private static boolean suggestsTests(List<Card> cards) {
    return cards.stream()
        .filter(c -> c.suggestions() != null)
        .flatMap(c -> c.suggestions().stream())
        .filter(s -> s.actions() != null)
        .flatMap(s -> s.actions().stream())
        .anyMatch(a -> "create".equals(a.type()));
  }

  @Override
  public boolean memoryReady() {
    return memory.ready();
  }

  @Override
  public void feedback(Feedback feedback, Caller caller) {
    memory.feedback(feedback, caller, clock.instant());
    HookCalls.logFeedback(LOG, definition.id(), feedback);
  }
}
