package org.mineralcds.service;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.mineralcds.auth.Caller;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.LoincEntry;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.ReferenceRange;
import org.mineralcds.hook.Action;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.Suggestion;
import org.mineralcds.memory.CallRecord;
import org.mineralcds.memory.CardFacts;
import org.mineralcds.memory.FeedbackItem;
import org.mineralcds.memory.FeedbackRejectedException;
import org.mineralcds.memory.Memory;
import org.mineralcds.memory.MemoryUnavailableException;
import org.mineralcds.memory.PatientKey;
import org.mineralcds.memory.PatientMemory;
import org.mineralcds.memory.Suppressor;
import org.mineralcds.observability.Metrics;
import org.mineralcds.rules.AssessedValue;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.DueTestsFinding;
import org.mineralcds.rules.Finding;
import org.mineralcds.rules.Indicator;
import org.mineralcds.rules.Suggest;

/**
 * What the service learns from clinicians, applied to one call: overridden problems and accepted
 * tests are held back (the card contract's "Memory"), silent cards are computed and logged but not
 * returned, and every card is queued for the card log. When the memory is down the cards are
 * returned unfiltered and the skip is counted: care is never blocked on the database.
 */
public final class CardMemory {

  /** Feedback items per report and comment length accepted (larger is a 400). */
  static final int MAX_ITEMS = 100;

  static final int MAX_COMMENT = 1000;

  /** The caller key of a local (unauthenticated loopback) caller. */
  public static final String LOCAL = "local";

  private final Memory memory;
  private final LabCatalog labs;
  private final Metrics metrics;
  private final Set<String> silentIssuers;
  private final Set<String> silentRules;

  public CardMemory(
      Memory memory,
      LabCatalog labs,
      Metrics metrics,
      List<String> silentIssuers,
      List<String> silentRules) {
    this.memory = memory;
    this.labs = labs;
    this.metrics = metrics;
    this.silentIssuers = Set.copyOf(silentIssuers);
    this.silentRules = Set.copyOf(silentRules);
  }

  /** The memory is off: cards pass unchanged, feedback is validated only. */
  public static CardMemory none(LabCatalog labs, Metrics metrics) {
    return new CardMemory(Memory.none(), labs, metrics, List.of(), List.of());
  }

  static String callerKey(Caller caller) {
    if (caller.local() || caller.issuer() == null) {
      return LOCAL;
    }
    return caller.tenant() == null ? caller.issuer() : caller.issuer() + "#" + caller.tenant();
  }

  /** The cards to return, after suppression and silent mode; logs every card computed. */
  public List<Card> apply(
      String fhirServer,
      String patientId,
      String hookInstance,
      Caller caller,
      PatientRecord record,
      List<Finding> findings,
      List<DueTestsFinding> due,
      List<Card> cards,
      Instant now) {
    if (!memory.enabled() && silentIssuers.isEmpty() && silentRules.isEmpty()) {
      return cards;
    }
    String issuer = callerKey(caller);
    PatientKey key = null;
    PatientMemory remembered = PatientMemory.EMPTY;
    if (memory.enabled()) {
      try {
        key = new PatientKey(memory.pseudonym(fhirServer, patientId), issuer);
        remembered = memory.recall(key, now);
      } catch (MemoryUnavailableException e) {
        metrics.memory("suppression-skipped");
      }
    }
    Map<Analyte, Instant> latest = latestResults(record);
    java.util.function.Function<String, Instant> latestFor =
        loinc -> labs.entry(loinc).map(LoincEntry::analyte).map(latest::get).orElse(null);
    Set<String> pendingTests = Suppressor.pendingTests(remembered.acceptedTests(), latestFor, now);
    boolean silentCaller =
        silentIssuers.contains(issuer)
            || caller.issuer() != null && silentIssuers.contains(caller.issuer());

    List<Card> shown = new ArrayList<>();
    List<CallRecord.LoggedCard> logged = new ArrayList<>();
    Matcher matcher = new Matcher(findings, due);
    for (Card card : cards) {
      Source source = matcher.sourceOf(card);
      CardFacts facts = facts(card, source);
      if (Suppressor.suppressing(facts, remembered.overrides(), now) != null) {
        metrics.memory("card-suppressed");
        continue;
      }
      Card kept = withoutPendingTests(card, pendingTests);
      if (kept == null || kept != card && source.due() != null && kept.suggestions().isEmpty()) {
        // A due-test card exists to order its tests: with every one already accepted, it goes.
        metrics.memory("card-suppressed");
        continue;
      }
      if (kept != card) {
        metrics.memory("suggestion-suppressed");
        facts = facts(kept, source);
      }
      boolean silent = silentCaller || silentRules.contains(facts.leadRule());
      logged.add(new CallRecord.LoggedCard(facts, silent));
      if (silent) {
        metrics.memory("card-silent");
      } else {
        shown.add(kept);
      }
    }
    if (key == null) {
      if (memory.enabled()) {
        metrics.memory("card-log-dropped"); // the database never started: no pseudonym key yet
      }
    } else {
      memory.log(
          new CallRecord(
              callId(now),
              key,
              hookInstance,
              now,
              logged,
              Suppressor.resulted(remembered.acceptedTests(), latestFor)));
    }
    return shown;
  }

  /**
   * A UUID naming this call in the card log, in the time-ordered layout of UUID version 7 (48 bits
   * of Unix milliseconds, then random bits): consecutive calls' rows land next to each other in the
   * call log's primary key instead of on random pages. Unique, not secret: drawn from the thread's
   * own generator instead of {@link UUID#randomUUID()}'s shared SecureRandom.
   */
  static String callId(Instant now) {
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    long high = (now.toEpochMilli() << 16) | 0x7000L | (random.nextLong() & 0x0fffL);
    long low = random.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  private static Map<Analyte, Instant> latestResults(PatientRecord record) {
    Map<Analyte, Instant> latest = new EnumMap<>(Analyte.class);
    for (LabResult r : record.labs()) {
      latest.merge(r.analyte(), r.effective(), (a, b) -> a.isAfter(b) ? a : b);
    }
    return latest;
  }

  /** The finding behind a card: a value finding or a due-test finding. */
  private record Source(Finding value, List<Finding> sameTopic, DueTestsFinding due) {}

  /** Cards back to findings, by topic: the renderer makes one value card per topic. */
  private static final class Matcher {
    private final List<Finding> ordered;
    private final List<DueTestsFinding> due;
    private final Set<String> usedTopics = new HashSet<>();
    private final Set<DueTestsFinding> usedDue = new HashSet<>();

    Matcher(List<Finding> findings, List<DueTestsFinding> due) {
      this.ordered = new ArrayList<>(findings);
      this.ordered.sort(Comparator.comparing(Finding::indicator));
      this.due = due;
    }

    Source sourceOf(Card card) {
      String topic =
          card.source() == null || card.source().topic() == null
              ? ""
              : card.source().topic().code();
      if (!usedTopics.contains(topic)) {
        List<Finding> same = ordered.stream().filter(f -> f.band().topic().equals(topic)).toList();
        if (!same.isEmpty()) {
          usedTopics.add(topic);
          return new Source(same.get(0), same, null);
        }
      }
      for (DueTestsFinding d : due) {
        if (d.topic().equals(topic) && usedDue.add(d)) {
          return new Source(null, List.of(), d);
        }
      }
      return new Source(null, List.of(), null);
    }
  }

  private CardFacts facts(Card card, Source source) {
    String topic =
        card.source() == null || card.source().topic() == null
            ? "unknown"
            : card.source().topic().code();
    int indicator = Indicator.fromCode(card.indicator()).ordinal();
    List<String> ruleIds = new ArrayList<>();
    String resultRef = null;
    String resultValue = null;
    Double deviation = null;
    boolean critical = false;
    Map<String, Integer> windows = new java.util.HashMap<>();
    if (source.value() != null) {
      source.sameTopic().forEach(f -> ruleIds.add(f.band().id()));
      AssessedValue v = source.value().value();
      LabResult primary = v.primary();
      resultRef = primary.reference() != null ? primary.reference() : primary.identity();
      resultValue = v.displayValue() + " " + v.displayUnit();
      BigDecimal value = v.value().value();
      if (v.range() != null && v.range().range() != null) {
        deviation = deviation(value, v.range().range());
      }
      if (v.critical() != null) {
        critical =
            v.critical().low() != null && v.value().isBelow(v.critical().low())
                || v.critical().high() != null && v.value().isAbove(v.critical().high());
      }
      for (Suggest s : source.value().band().suggest()) {
        windows.putIfAbsent(s.test().loinc(), s.notWithinDays());
      }
    } else if (source.due() != null) {
      source.due().rules().stream().map(DueTestRule::id).forEach(ruleIds::add);
      for (DueTestsFinding.MissingTest m : source.due().missing()) {
        windows.merge(m.test().loinc(), m.windowDays(), Math::min);
      }
    }
    if (ruleIds.isEmpty()) {
      ruleIds.add(topic);
    }
    List<CardFacts.SuggestionFacts> suggestions = new ArrayList<>();
    for (Suggestion s : card.suggestions() == null ? List.<Suggestion>of() : card.suggestions()) {
      List<String> loincs = new ArrayList<>(new LinkedHashSet<>(orderedLoincs(s)));
      int window = loincs.stream().mapToInt(l -> windows.getOrDefault(l, 0)).max().orElse(0);
      suggestions.add(new CardFacts.SuggestionFacts(s.uuid(), loincs, window));
    }
    return new CardFacts(
        card.uuid(),
        topic,
        indicator,
        ruleIds.get(0),
        ruleIds,
        resultRef,
        resultValue,
        deviation,
        critical,
        suggestions);
  }

  static double deviation(BigDecimal value, ReferenceRange range) {
    if (range.low() != null && value.compareTo(range.low()) < 0) {
      return range.low().subtract(value).doubleValue();
    }
    if (range.high() != null && value.compareTo(range.high()) > 0) {
      return value.subtract(range.high()).doubleValue();
    }
    return 0;
  }

  /** LOINC codes of the tests a suggestion orders (ServiceRequest creates). */
  private static List<String> orderedLoincs(Suggestion s) {
    List<String> codes = new ArrayList<>();
    for (Action a : s.actions() == null ? List.<Action>of() : s.actions()) {
      codes.addAll(loincs(a));
    }
    return codes;
  }

  private static List<String> loincs(Action a) {
    List<String> codes = new ArrayList<>();
    JsonNode r = a.resource();
    if (r == null || !"ServiceRequest".equals(r.path("resourceType").asText())) {
      return codes;
    }
    for (JsonNode coding : r.path("code").path("coding")) {
      if (LabCatalog.LOINC_SYSTEM.equals(coding.path("system").asText())
          && coding.hasNonNull("code")) {
        codes.add(coding.get("code").asText());
      }
    }
    return codes;
  }

  /**
   * The card without the actions that order a pending test (and without suggestions left empty),
   * the same card when nothing was removed, or null when nothing of the card remains.
   */
  private static Card withoutPendingTests(Card card, Set<String> pending) {
    if (pending.isEmpty() || card.suggestions() == null || card.suggestions().isEmpty()) {
      return card;
    }
    boolean changed = false;
    List<Suggestion> kept = new ArrayList<>();
    for (Suggestion s : card.suggestions()) {
      List<Action> actions = new ArrayList<>();
      for (Action a : s.actions() == null ? List.<Action>of() : s.actions()) {
        List<String> codes = loincs(a);
        if (!codes.isEmpty() && pending.containsAll(codes)) {
          changed = true;
        } else {
          actions.add(a);
        }
      }
      if (actions.isEmpty() && s.actions() != null && !s.actions().isEmpty()) {
        continue;
      }
      kept.add(
          actions.size() == (s.actions() == null ? 0 : s.actions().size())
              ? s
              : new Suggestion(s.label(), s.uuid(), s.isRecommended(), actions));
    }
    if (!changed) {
      return card;
    }
    return new Card(
        card.uuid(),
        card.summary(),
        card.detail(),
        card.indicator(),
        card.source(),
        kept,
        kept.isEmpty() ? null : kept.size() == 1 ? "at-most-one" : "any",
        card.overrideReasons(),
        card.links(),
        card.extension());
  }

  /** Stores feedback from {@code caller}; returns once durably stored. */
  public void feedback(Feedback feedback, Caller caller, Instant now) {
    if (feedback.items().size() > MAX_ITEMS) {
      throw HookError.badRequest("At most " + MAX_ITEMS + " feedback items per report.");
    }
    List<FeedbackItem> items = new ArrayList<>();
    int index = 0;
    for (Feedback.Item item : feedback.items()) {
      String at = "feedback[" + index++ + "]";
      if (item.card().length() > 64) {
        throw HookError.badRequest(at + ".card is not a card uuid of this service.");
      }
      if (item.overrideComment() != null && item.overrideComment().length() > MAX_COMMENT) {
        throw HookError.badRequest(
            at + ".overrideReason.userComment is longer than " + MAX_COMMENT + " characters.");
      }
      String reason = item.overrideReason() == null ? null : item.overrideReason().code();
      if (reason != null && reason.length() > 128) {
        throw HookError.badRequest(at + ".overrideReason.reason.code is too long.");
      }
      if (item.outcome().equals("accepted") && item.overrideReason() != null) {
        throw HookError.badRequest(at + ": an accepted outcome has no overrideReason.");
      }
      for (String s : item.acceptedSuggestions()) {
        if (s.length() > 64) {
          throw HookError.badRequest(at + ".acceptedSuggestions[].id is not a suggestion uuid.");
        }
      }
      items.add(
          new FeedbackItem(
              item.card(),
              item.outcome(),
              item.acceptedSuggestions(),
              reason,
              item.overrideComment(),
              item.outcomeTimestamp().toInstant()));
    }
    if (!memory.enabled()) {
      return;
    }
    try {
      Memory.FeedbackResult result = memory.store(callerKey(caller), items, now);
      for (int i = 0; i < result.stored(); i++) {
        metrics.memory("feedback-stored");
      }
      for (int i = 0; i < result.duplicates(); i++) {
        metrics.memory("feedback-duplicate");
      }
      for (int i = 0; i < result.unknownCards(); i++) {
        metrics.memory("feedback-unknown-card");
      }
    } catch (FeedbackRejectedException e) {
      throw new HookError(
          e.forbidden() ? HookError.Kind.FORBIDDEN : HookError.Kind.BAD_REQUEST, e.getMessage());
    } catch (MemoryUnavailableException e) {
      throw new HookError(
          HookError.Kind.UNAVAILABLE,
          "Feedback cannot be stored now (the service's database is unavailable); retry later.");
    }
  }

  /** The memory can store feedback now (readiness). */
  public boolean ready() {
    return memory.ready();
  }

  public Memory memory() {
    return memory;
  }
}
