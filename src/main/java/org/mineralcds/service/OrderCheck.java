package org.mineralcds.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.mineralcds.auth.Caller;
import org.mineralcds.cards.OrderCards;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.fhir.DraftOrders;
import org.mineralcds.fhir.FhirServerPolicy;
import org.mineralcds.fhir.PatientData;
import org.mineralcds.fhir.PatientDataLoader;
import org.mineralcds.fhir.R4Mapper;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.HookResponse;
import org.mineralcds.hook.ServiceDescriptor;
import org.mineralcds.knowledge.ServiceDefinition;
import org.mineralcds.memory.Memory;
import org.mineralcds.memory.MemoryUnavailableException;
import org.mineralcds.memory.RunAheadStore;
import org.mineralcds.observability.LogText;
import org.mineralcds.observability.Metrics;
import org.mineralcds.rules.OrderEvaluator;
import org.mineralcds.rules.OrderFinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the two prescribing-time services share: read the draft orders, load the patient's data (the
 * query plan of mineral-balance), run the prescribing rules, render the cards, apply the memory
 * (card log, suppression) and the run-ahead between order-select and order-sign.
 *
 * <p>Run-ahead: at order-select the service remembers, per draft (its id and a digest of its
 * content), a digest of each finding it showed (rules, indicator, value, tests); at order-sign a
 * finding with the same digest for the same draft is not shown again. A changed draft, a new value,
 * another indicator or another rule makes a new digest, and the card is shown. The rules themselves
 * run again at signing (they cost well under a millisecond): a result that arrived in between is
 * seen.
 */
public final class OrderCheck {

  private static final Logger LOG = LoggerFactory.getLogger("mineralcds.hook");

  private final ServiceDefinition definition;
  private final PatientDataLoader loader;
  private final R4Mapper mapper;
  private final OrderEvaluator evaluator;
  private final OrderCards cards;
  private final Clock clock;
  private final List<String> allowedFhirServers;
  private final Metrics metrics;
  private final CardMemory cardMemory;
  private final Memory memory;
  private final RunAheadStore runAhead;

  public OrderCheck(
      ServiceDefinition definition,
      PatientDataLoader loader,
      R4Mapper mapper,
      OrderEvaluator evaluator,
      OrderCards cards,
      Clock clock,
      List<String> allowedFhirServers,
      Metrics metrics,
      CardMemory cardMemory,
      Memory memory,
      RunAheadStore runAhead) {
    this.definition = definition;
    this.loader = loader;
    this.mapper = mapper;
    this.evaluator = evaluator;
    this.cards = cards;
    this.clock = clock;
    this.allowedFhirServers = List.copyOf(allowedFhirServers);
    this.metrics = metrics;
    this.cardMemory = cardMemory;
    this.memory = memory;
    this.runAhead = runAhead;
  }

  ServiceDescriptor descriptor() {
    return HookCalls.descriptor(definition);
  }

  /**
   * The cards, with the orders, data and findings behind them (for the check command).
   *
   * @param drafts the orders as read from draftOrders
   * @param data the patient's data, or null when no order had a mineral or electrolyte implication
   *     (then nothing was loaded)
   */
  public record Evaluation(
      HookResponse response, DraftOrders drafts, PatientData data, List<OrderFinding> findings) {}

  /**
   * @param select order-select: only the selected drafts, and what is shown is remembered; else
   *     order-sign: all drafts, and what order-select showed for the same draft is left out
   */
  HookResponse call(HookRequest request, Caller caller, String baseUrl, boolean select) {
    return evaluate(request, caller, baseUrl, select).response();
  }

  /** As {@link #call}, also returning what was read and found. */
  Evaluation evaluate(HookRequest request, Caller caller, String baseUrl, boolean select) {
    long started = System.nanoTime();
    String patientId = HookCalls.patientId(definition, request);
    DraftOrders drafts = DraftOrders.read(request.context(), select, mapper);
    if (drafts.considered().stream().allMatch(d -> d.ingredients().isEmpty())) {
      // No drug with a mineral or electrolyte implication: quiet, and no FHIR request spent.
      log(request, caller, "quiet-orders", List.of(), 0, null, started, started);
      return new Evaluation(HookResponse.of(List.of()), drafts, null, List.of());
    }
    FhirServerPolicy policy = policyFor(caller);
    // A draft a baseline or conflict rule is about may get a card suggesting tests: its pending
    // lab orders are read with the rest of the data, not in a second round trip after it.
    PatientData data =
        loader.load(request, patientId, policy, evaluator.mayOfferTests(drafts.considered()));
    long loaded = System.nanoTime();
    Instant now = clock.instant();
    List<OrderFinding> findings = evaluate(data, drafts, now);
    if (!data.deferred().isEmpty() && findings.stream().anyMatch(f -> !f.tests().isEmpty())) {
      // Pending orders are read only now that a test is about to be suggested (the query plan).
      data = loader.completeForSuggestions(request, data, policy);
      findings = evaluate(data, drafts, now);
    }
    String scope = select || !findings.isEmpty() ? scope(request, patientId, caller) : null;
    if (!select && scope != null) {
      findings = notShownAtSelect(scope, findings, now);
    }
    List<Card> rendered = cards.render(findings, patientId, request.hookInstance(), baseUrl);
    List<Card> shown =
        cardMemory.apply(
            request.fhirServer(),
            patientId,
            request.hookInstance(),
            caller,
            data.record(),
            List.of(),
            List.of(),
            rendered,
            now);
    if (select && scope != null) {
      remember(scope, findings, shown, request.hookInstance(), now);
    }
    log(request, caller, "ok", findings, shown.size(), data, started, loaded);
    HookCalls.count(metrics, shown, data);
    return new Evaluation(HookResponse.of(shown), drafts, data, findings);
  }

  private List<OrderFinding> evaluate(PatientData data, DraftOrders drafts, Instant now) {
    return evaluator.evaluate(
        data.record(), drafts.considered(), drafts.all(), drafts.orderedTests(), now);
  }

  // ---- run-ahead ----------------------------------------------------------------------------

  /** The patient and caller as one digest (no identifier stored), or null without the memory. */
  private String scope(HookRequest request, String patientId, Caller caller) {
    if (memory == null || !memory.enabled()) {
      return null;
    }
    try {
      return digest(
          memory.pseudonym(request.fhirServer(), patientId) + "|" + CardMemory.callerKey(caller));
    } catch (MemoryUnavailableException e) {
      metrics.memory("run-ahead-skipped");
      return null;
    }
  }

  private List<OrderFinding> notShownAtSelect(
      String scope, List<OrderFinding> findings, Instant now) {
    Set<String> keys = new LinkedHashSet<>();
    findings.forEach(f -> keys.add(draftKey(f.draft())));
    Map<String, Set<String>> shown;
    try {
      shown = runAhead.shown(scope, keys, now);
    } catch (MemoryUnavailableException e) {
      metrics.memory("run-ahead-skipped");
      return findings;
    }
    List<OrderFinding> fresh = new ArrayList<>();
    for (OrderFinding f : findings) {
      if (shown.getOrDefault(draftKey(f.draft()), Set.of()).contains(findingKey(f))) {
        metrics.memory("run-ahead-repeat-skipped");
      } else {
        fresh.add(f);
      }
    }
    return fresh;
  }

  private void remember(
      String scope,
      List<OrderFinding> findings,
      List<Card> shown,
      String hookInstance,
      Instant now) {
    Set<String> shownUuids = new HashSet<>();
    shown.forEach(c -> shownUuids.add(c.uuid()));
    boolean folded =
        shown.stream().anyMatch(c -> "additional-findings".equals(c.source().topic().code()));
    Map<String, Set<String>> byDraft = new LinkedHashMap<>();
    for (OrderFinding f : findings) {
      // A finding folded into the additional-findings card was named there: shown too. One the
      // memory held back (suppressed, silent) was not.
      if (shownUuids.contains(OrderCards.cardUuid(f, findings, hookInstance)) || folded) {
        byDraft.computeIfAbsent(draftKey(f.draft()), k -> new LinkedHashSet<>()).add(findingKey(f));
      }
    }
    try {
      runAhead.remember(scope, byDraft, now);
    } catch (MemoryUnavailableException e) {
      metrics.memory("run-ahead-skipped");
    }
  }

  /** A draft's id and content, as one digest: the same draft sent again has the same key. */
  static String draftKey(DraftOrder draft) {
    return digest(draft.reference() + "|" + draft.fingerprint());
  }

  /** What a card says: topic, rules, indicator, the values and drugs it names, the tests. */
  static String findingKey(OrderFinding f) {
    StringBuilder s = new StringBuilder();
    s.append(f.topic()).append('|').append(f.indicator()).append('|');
    for (OrderFinding.Hit h : f.hits()) {
      s.append(h.rule().id()).append(':').append(h.indicator());
      if (h.value() != null) {
        s.append(':')
            .append(h.value().primary().identity())
            .append(':')
            .append(h.value().displayValue())
            .append(h.value().displayUnit());
      }
      if (h.condition() != null) {
        s.append(":").append(h.condition().reference());
      }
      s.append(':').append(String.join(",", h.coTherapy())).append(';');
    }
    s.append('|')
        .append(f.tests().stream().map(t -> t.test().id()).collect(Collectors.joining(",")));
    return digest(s.toString());
  }

  private static String digest(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)),
              0,
              16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- shared with mineral-balance (HookCalls) ----------------------------------------------

  private FhirServerPolicy policyFor(Caller caller) {
    return HookCalls.policyFor(caller, allowedFhirServers);
  }

  void feedback(Feedback feedback, Caller caller) {
    cardMemory.feedback(feedback, caller, clock.instant());
    HookCalls.logFeedback(LOG, definition.id(), feedback);
  }

  boolean memoryReady() {
    return cardMemory.ready();
  }

  private void log(
      HookRequest request,
      Caller caller,
      String outcome,
      List<OrderFinding> findings,
      int cardCount,
      PatientData data,
      long started,
      long loaded) {
    LOG.info(
        "hook call hookInstance={} issuer={} service={} outcome={} rules=[{}] cards={}"
            + " prefetched={} fetched={} unavailable=[{}] fhirRequests={} loadMs={} evalMs={}",
        HookCalls.loggable(request.hookInstance()),
        LogText.safe(caller.logName()),
        definition.id(),
        outcome,
        findings.stream().flatMap(f -> f.ruleIds().stream()).collect(Collectors.joining(",")),
        cardCount,
        data == null ? 0 : data.prefetched().size(),
        data == null ? 0 : data.fetched().size(),
        data == null ? "" : String.join(",", data.failures().keySet()),
        data == null ? 0 : data.fhirRequests(),
        (loaded - started) / 1_000_000,
        (System.nanoTime() - loaded) / 1_000_000);
  }
}
