package org.mineralcds.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.DataGap;
import org.mineralcds.clinical.Demographics;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.io.ByteBudget;
import org.mineralcds.knowledge.ServiceDefinition;
import org.mineralcds.observability.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles a patient's record per the CDS Hooks prefetch rules. For each declared key: present
 * (resource or searchset, its {@code next} pages followed) → used; {@code null} → no data; absent
 * or an OperationOutcome → fetched from fhirServer with the granted token. All missing keys are
 * fetched in parallel under one deadline. A required key that cannot be obtained → 412; any other
 * key → the record notes the gap.
 */
public final class PatientDataLoader {

  private static final Logger LOG = LoggerFactory.getLogger(PatientDataLoader.class);

  /** Ids per search when referenced resources are read in batches. */
  static final int IDS_PER_SEARCH = 50;

  private static final java.util.regex.Pattern FHIR_ID =
      java.util.regex.Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

  /** Referenced Specimens read per call at most (the newest results' first). */
  static final int MAX_SPECIMEN_READS = 10;

  /** No hook call evaluates more resources than this, however many the sources return. */
  static final int MAX_RESOURCES = 20_000;

  private final Set<String> resourceTypes;
  private final ServiceDefinition service;
  private final FhirFetcher fetcher;
  private final FhirServerPolicy policy;
  private final R4Mapper mapper;
  private final ExecutorService pool;
  private final Clock clock;
  private final Duration deadline;
  private final int maxPages;
  private final WaitBracket waits;
  private final ByteBudget.Pool bytesInFlight;
  private final long maxBytesPerCall;

  /**
   * @param resourceTypes the FHIR R4 resource type names: a prefetch value of any other type is
   *     refused
   * @param waits what to do around each wait for a FHIR server
   * @param bytesInFlight what all hook calls together may hold of FHIR answers
   * @param maxBytesPerCall what one hook call may read from FHIR servers
   */
  public PatientDataLoader(
      Set<String> resourceTypes,
      ServiceDefinition service,
      FhirFetcher fetcher,
      FhirServerPolicy policy,
      R4Mapper mapper,
      ExecutorService pool,
      Clock clock,
      Duration deadline,
      int maxPages,
      WaitBracket waits,
      ByteBudget.Pool bytesInFlight,
      long maxBytesPerCall) {
    this.resourceTypes = Set.copyOf(resourceTypes);
    this.service = service;
    this.fetcher = fetcher;
    this.policy = policy;
    this.mapper = mapper;
    this.pool = pool;
    this.clock = clock;
    this.deadline = deadline;
    this.maxPages = maxPages;
    this.waits = waits;
    this.bytesInFlight = bytesInFlight;
    this.maxBytesPerCall = maxBytesPerCall;
  }

  public PatientData load(HookRequest request, String patientId) {
    return load(request, patientId, policy);
  }

  /** As {@link #load(HookRequest, String)}, with the FHIR servers this caller may name. */
  public PatientData load(HookRequest request, String patientId, FhirServerPolicy policy) {
    return load(request, patientId, policy, false);
  }

  /**
   * As {@link #load(HookRequest, String, FhirServerPolicy)}.
   *
   * @param suggestionsLikely the caller already knows that a card will probably suggest a test (the
   *     rules judged it from the hook's context, e.g. a draft order of a drug an order rule is
   *     about): the keys otherwise read only when suggesting (pending lab orders) are fetched in
   *     the first parallel round with the rest, instead of in a second round after it
   */
  public PatientData load(
      HookRequest request, String patientId, FhirServerPolicy policy, boolean suggestionsLikely) {
    long deadlineNanos = System.nanoTime() + deadline.toNanos();
    try (FhirCall call = new FhirCall(deadlineNanos, bytesInFlight.forCall(maxBytesPerCall))) {
      return load(request, patientId, policy, call, suggestionsLikely);
    }
  }

  private PatientData load(
      HookRequest request,
      String patientId,
      FhirServerPolicy policy,
      FhirCall call,
      boolean suggestionsLikely) {
    Map<String, Held> pool = new LinkedHashMap<>();
    List<String> prefetched = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String key : service.prefetch().keySet()) {
      if (!request.prefetch().containsKey(key)) {
        missing.add(key);
        continue;
      }
      JsonNode value = request.prefetch().get(key);
      if (value.isNull()) {
        prefetched.add(key);
        continue;
      }
      checkResource(key, value);
      if ("OperationOutcome".equals(FhirJson.resourceType(value))) {
        missing.add(key);
        continue;
      }
      prefetched.add(key);
      add(pool, value, key);
      String next = FhirJson.nextLink(value);
      if (next != null) {
        morePages(request, key, next, policy, call).forEach(r -> add(pool, r, null));
      }
    }
    // Undeclared keys are harvested too, tolerant of EHRs that name their prefetch differently;
    // being extras, one that cannot be read is skipped rather than failing the call.
    for (Map.Entry<String, JsonNode> e : request.prefetch().entrySet()) {
      if (!service.prefetch().containsKey(e.getKey()) && e.getValue().isObject()) {
        try {
          checkResource(e.getKey(), e.getValue());
          if (!"OperationOutcome".equals(FhirJson.resourceType(e.getValue()))) {
            add(pool, e.getValue(), null);
          }
        } catch (HookError unreadable) {
          LOG.info(
              "undeclared prefetch key {} is not a FHIR R4 resource; ignored",
              LogText.quoted(e.getKey()));
        }
      }
    }
    Set<String> usableServer = usableServer(request, policy);
    // Keys fetched only when needed wait: pending orders until a card suggests a test (unless the
    // caller knows one probably will: then they come in this first round), the
    // Patient until it is clear that no other answer included it (unless this server is known to
    // refuse _include, in which case it is fetched with the rest rather than after them).
    Set<String> whenSuggesting =
        service.keysFetchedOnlyWhen(ServiceDefinition.FetchWhen.SUGGESTING);
    Set<String> whenNotIncluded =
        service.keysFetchedOnlyWhen(ServiceDefinition.FetchWhen.NOT_INCLUDED);
    Set<String> refused =
        usableServer.isEmpty() ? Set.of() : fetcher.refusedParameters(request.fhirServer());
    List<String> now = new ArrayList<>();
    List<String> afterwards = new ArrayList<>();
    Set<String> deferred = new LinkedHashSet<>();
    for (String key : missing) {
      if (!usableServer.isEmpty() && whenSuggesting.contains(key) && !suggestionsLikely) {
        deferred.add(key);
      } else if (!usableServer.isEmpty()
          && whenNotIncluded.contains(key)
          && !includersFetchedNow(key, missing, refused).isEmpty()) {
        afterwards.add(key);
      } else {
        now.add(key);
      }
    }
    Map<String, String> failures =
        new LinkedHashMap<>(fetchMissing(request, now, pool, call, policy));
    List<String> fetched = new ArrayList<>(now);
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    List<String> stillMissing = new ArrayList<>();
    Set<String> refusedNow =
        usableServer.isEmpty() ? Set.of() : fetcher.refusedParameters(request.fhirServer());
    for (String key : afterwards) {
      // Arrived with a key that included it: an instance read is found in the pool; a search's
      // resources came if an including query was answered with its _include or _revinclude.
      String url = renderedOrNull(key, request, today);
      boolean included =
          url != null
              && (url.contains("?")
                  ? includersFetchedNow(key, missing, refusedNow).stream()
                      .anyMatch(k -> !failures.containsKey(k))
                  : pool.containsKey(url));
      if (!included) {
        stillMissing.add(key);
      }
    }
    failures.putAll(fetchMissing(request, stillMissing, pool, call, policy));
    fetched.addAll(stillMissing);
    fetched.removeAll(failures.keySet());
    resolveMedications(request, pool, call, policy);
    if (pool.size() >= MAX_RESOURCES) {
      LOG.warn("the sources returned more than {} resources; the rest were ignored", MAX_RESOURCES);
    }
    MappingReport report = new MappingReport();
    // The order history is read from the plan's lookback on when its key was obtained; when it
    // could not be, the orders that did arrive are used as they are (no window to apply).
    boolean historyBounded =
        service.prefetch().entrySet().stream()
            .filter(e -> isOrderHistory(e.getValue()))
            .noneMatch(e -> failures.containsKey(e.getKey()));
    PatientRecord record = record(patientId, pool, gaps(failures.keySet()), report, historyBounded);
    boolean patientFound = pool.containsKey("Patient/" + patientId);
    return new PatientData(
        record,
        prefetched,
        fetched,
        failures,
        patientFound,
        report,
        deferred,
        call.deadlineNanos(),
        call.requests(),
        call.bytesRead());
  }

  /**
   * Fetches the keys the service reads only when a card is about to suggest a test (pending lab
   * orders), within what is left of the call's deadline; returns the data with them added, or as it
   * was when there is nothing to fetch. A key that cannot be obtained becomes a gap, which the
   * cards state.
   */
  public PatientData completeForSuggestions(
      HookRequest request, PatientData data, FhirServerPolicy policy) {
    if (data.deferred().isEmpty()) {
      return data;
    }
    try (FhirCall call =
        new FhirCall(data.deadlineNanos(), bytesInFlight.forCall(maxBytesPerCall))) {
      Map<String, Held> pool = new LinkedHashMap<>();
      List<String> keys = new ArrayList<>(data.deferred());
      Map<String, String> failures = new LinkedHashMap<>(data.failures());
      Map<String, String> failed = fetchMissing(request, keys, pool, call, policy);
      failures.putAll(failed);
      List<String> fetched = new ArrayList<>(data.fetched());
      keys.stream().filter(k -> !failed.containsKey(k)).forEach(fetched::add);
      PatientRecord before = data.record();
      PatientRecord added = record(before.patientId(), pool, Set.of(), new MappingReport(), false);
      List<PendingOrder> orders = new ArrayList<>(before.pendingOrders());
      orders.addAll(added.pendingOrders());
      Set<DataGap> gaps = EnumSet.noneOf(DataGap.class);
      gaps.addAll(before.gaps());
      gaps.addAll(gaps(failed.keySet()));
      PatientRecord record =
          new PatientRecord(
              before.patientId(),
              before.demographics(),
              before.labs(),
              before.medications(),
              before.conditions(),
              orders,
              gaps,
              before.pastMedications());
      return new PatientData(
          record,
          data.prefetched(),
          fetched,
          failures,
          data.patientFound(),
          data.report(),
          Set.of(),
          data.deadlineNanos(),
          data.fhirRequests() + call.requests(),
          data.fhirBytes() + call.bytesRead());
    }
  }

  /**
   * The keys fetched in the first round whose query includes {@code key}'s resources (by an {@code
   * _include} or a {@code _revinclude} this server has not refused).
   */
  private List<String> includersFetchedNow(String key, List<String> missing, Set<String> refused) {
    List<String> includers = new ArrayList<>();
    service
        .includers(key)
        .forEach(
            (includer, parameter) -> {
              if (missing.contains(includer)
                  && !service.fetchOnlyWhen().containsKey(includer)
                  && !refused.contains(parameter)) {
                includers.add(includer);
              }
            });
    return includers;
  }

  /** The request's fhirServer as a one-element set when this caller may use it, else empty. */
  private static Set<String> usableServer(HookRequest request, FhirServerPolicy policy) {
    return request.fhirServer() != null && policy.permits(request.fhirServer())
        ? Set.of(request.fhirServer())
        : Set.of();
  }

  private String renderedOrNull(String key, HookRequest request, LocalDate today) {
    try {
      return PrefetchTemplate.render(service.prefetch().get(key), request.context(), today);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * A resource held for mapping, and the prefetch key it came in (null when fetched): a value that
   * is not FHIR in the caller's own prefetch is the caller's mistake, a 400 naming the key.
   */
  private record Held(JsonNode resource, String prefetchKey) {}

  /** A prefetch value must have the shape of a FHIR R4 resource before its content is read. */
  private void checkResource(String key, JsonNode value) {
    String problem = FhirJson.shapeProblem(value, resourceTypes);
    if (problem != null) {
      throw HookError.badRequest("'prefetch." + key + "' " + problem + ".");
    }
  }

  private List<JsonNode> morePages(
      HookRequest request, String key, String next, FhirServerPolicy policy, FhirCall call) {
    if (request.fhirServer() == null || !policy.permits(request.fhirServer())) {
      LOG.info(
          "prefetch key {} has more pages but no usable fhirServer; using the first page", key);
      return List.of();
    }
    List<JsonNode> pages = new ArrayList<>();
    waits.around(
        () -> {
          try {
            pages.addAll(
                fetcher.remainingPages(
                    request.fhirServer(), token(request), next, maxPages - 1, call));
          } catch (FhirFetchException e) {
            LOG.warn("prefetch key {}: next page failed: {}", key, LogText.safe(e.getMessage()));
          }
        });
    return pages;
  }

  /**
   * Fetches the missing keys in parallel; returns the keys that could not be obtained, with why.
   */
  private Map<String, String> fetchMissing(
      HookRequest request,
      List<String> missing,
      Map<String, Held> resources,
      FhirCall call,
      FhirServerPolicy policy) {
    if (missing.isEmpty()) {
      return Map.of();
    }
    if (request.fhirServer() == null) {
      Map<String, String> failures = new LinkedHashMap<>();
      missing.forEach(
          k -> failures.put(k, "no prefetch was sent for it and the request has no fhirServer"));
      return requireOptional(failures);
    }
    if (!policy.permits(request.fhirServer())) {
      throw new HookError(
          HookError.Kind.FORBIDDEN,
          "fhirServer is not on this service's list of allowed FHIR servers; the service made no call to it.");
    }
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    Map<String, Future<List<JsonNode>>> futures = new LinkedHashMap<>();
    Map<String, String> failed = new LinkedHashMap<>();
    for (String key : missing) {
      String url;
      try {
        url = PrefetchTemplate.render(service.fetchTemplate(key), request.context(), today);
      } catch (IllegalArgumentException e) {
        LOG.warn("prefetch key {} cannot be rendered: {}", key, LogText.safe(e.getMessage()));
        failed.put(key, "its template cannot be filled from this context: " + e.getMessage());
        continue;
      }
      String token = token(request);
      futures.put(
          key, pool.submit(() -> fetcher.fetch(request.fhirServer(), token, url, maxPages, call)));
    }
    waits.around(
        () -> {
          for (Map.Entry<String, Future<List<JsonNode>>> e : futures.entrySet()) {
            try {
              long remaining = Math.max(0, call.remainingNanos());
              e.getValue()
                  .get(remaining, TimeUnit.NANOSECONDS)
                  .forEach(r -> add(resources, r, null));
            } catch (TimeoutException ex) {
              e.getValue().cancel(true);
              LOG.warn(
                  "prefetch key {}: FHIR server did not answer within the deadline", e.getKey());
              failed.put(e.getKey(), "the FHIR server did not answer within the deadline");
            } catch (ExecutionException ex) {
              LOG.warn("prefetch key {}: {}", e.getKey(), LogText.safe(ex.getCause().getMessage()));
              failed.put(
                  e.getKey(),
                  ex.getCause() instanceof FhirFetchException f
                      ? f.getMessage()
                      : "the FHIR server call failed");
            } catch (InterruptedException ex) {
              Thread.currentThread().interrupt();
              failed.put(e.getKey(), "interrupted");
            } catch (CancellationException ex) {
              failed.put(e.getKey(), "cancelled");
            }
          }
        });
    return requireOptional(failed);
  }

  /** Throws 412 when a required key failed; otherwise returns the failures, which become gaps. */
  private Map<String, String> requireOptional(Map<String, String> failures) {
    List<String> required =
        failures.keySet().stream().filter(service.requiredKeys()::contains).toList();
    if (!required.isEmpty()) {
      String reasons =
          String.join("; ", new LinkedHashSet<>(required.stream().map(failures::get).toList()));
      throw new HookError(
          HookError.Kind.PRECONDITION_FAILED,
          "Required lab data could not be obtained for prefetch keys "
              + required
              + " ("
              + reasons
              + "). Send these keys in prefetch, or a reachable fhirServer with fhirAuthorization.");
    }
    return failures;
  }

  private void resolveMedications(
      HookRequest request, Map<String, Held> resources, FhirCall call, FhirServerPolicy policy) {
    if (request.fhirServer() == null || !policy.permits(request.fhirServer())) {
      return;
    }
    List<String> unresolved = new ArrayList<>();
    // Specimens named by results that hemolysis raises: their condition may say hemolyzed. The
    // service's own lab query includes them; an EHR's prefetch does not (the spec does not allow
    // _include there), so they are read here, the newest results' first, a few at most.
    List<Held> sensitive = new ArrayList<>();
    for (Held held : resources.values()) {
      if ("Observation".equals(FhirJson.resourceType(held.resource()))) {
        String specimen = mapper.hemolysisSpecimenReference(held.resource());
        if (specimen != null && !resources.containsKey(specimen)) {
          sensitive.add(held);
        }
      }
    }
    sensitive.sort(
        Comparator.comparing(
                (Held h) -> {
                  String when = FhirJson.text(h.resource(), "effectiveDateTime");
                  return when == null ? "" : when;
                })
            .reversed());
    for (Held held : sensitive) {
      String specimen = mapper.hemolysisSpecimenReference(held.resource());
      if (unresolved.size() < MAX_SPECIMEN_READS && !unresolved.contains(specimen)) {
        unresolved.add(specimen);
      }
    }
    for (Held held : resources.values()) {
      String type = FhirJson.resourceType(held.resource());
      if (!"MedicationRequest".equals(type)
          && !"MedicationStatement".equals(type)
          && !"MedicationDispense".equals(type)) {
        continue;
      }
      JsonNode ref = FhirJson.object(held.resource(), "medicationReference");
      String reference = ref == null ? null : FhirJson.text(ref, "reference");
      if (reference != null && !reference.startsWith("#")) {
        String relative = R4Mapper.relativeReference(reference);
        if (relative.startsWith("Medication/")
            && !resources.containsKey(relative)
            && !unresolved.contains(relative)) {
          unresolved.add(relative);
        }
      }
    }
    // One search per type and batch of ids (Medication?_id=a,b,c) instead of a read per reference:
    // an EHR's prefetch of a long order history can name a hundred Medications.
    Map<String, List<String>> idsByType = new LinkedHashMap<>();
    for (String relative : unresolved) {
      int slash = relative.indexOf('/');
      String id = relative.substring(slash + 1);
      if (FHIR_ID.matcher(id).matches()) {
        idsByType.computeIfAbsent(relative.substring(0, slash), t -> new ArrayList<>()).add(id);
      }
    }
    List<Future<List<JsonNode>>> futures = new ArrayList<>();
    String token = token(request);
    for (Map.Entry<String, List<String>> e : idsByType.entrySet()) {
      List<String> ids = e.getValue();
      for (int from = 0; from < ids.size(); from += IDS_PER_SEARCH) {
        String search =
            e.getKey()
                + "?_id="
                + String.join(",", ids.subList(from, Math.min(ids.size(), from + IDS_PER_SEARCH)))
                + "&_count="
                + IDS_PER_SEARCH;
        futures.add(pool.submit(() -> fetcher.fetch(request.fhirServer(), token, search, 1, call)));
      }
    }
    waits.around(
        () -> {
          for (Future<List<JsonNode>> f : futures) {
            try {
              f.get(Math.max(0, call.remainingNanos()), TimeUnit.NANOSECONDS)
                  .forEach(r -> add(resources, r, null));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | CancellationException e) {
              f.cancel(true);
              LOG.info(
                  "a referenced Medication or Specimen could not be read; evaluated without it");
            }
          }
        });
  }

  private static String token(HookRequest request) {
    return request.fhirAuthorization() == null ? null : request.fhirAuthorization().accessToken();
  }

  /** Adds a resource, or a Bundle's resources, under "Type/id" (first one wins). */
  private static void add(Map<String, Held> pool, JsonNode resource, String prefetchKey) {
    String type = FhirJson.resourceType(resource);
    if ("Bundle".equals(type)) {
      for (JsonNode entry : FhirJson.objects(resource, "entry")) {
        JsonNode inner = entry.get("resource");
        if (inner != null && inner.isObject()) {
          add(pool, inner, prefetchKey);
        }
      }
      return;
    }
    if (type == null || pool.size() >= MAX_RESOURCES) {
      return;
    }
    String id = FhirJson.id(resource);
    String key = id == null ? type + "#" + System.identityHashCode(resource) : type + "/" + id;
    pool.putIfAbsent(key, new Held(resource, prefetchKey));
  }

  private Set<DataGap> gaps(Set<String> failed) {
    Set<DataGap> gaps = EnumSet.noneOf(DataGap.class);
    for (String key : failed) {
      String template = service.prefetch().get(key);
      if (template.startsWith("MedicationDispense") || isOrderHistory(template)) {
        // Without the dispenses or the ended orders the current orders still say what the patient
        // takes; only a start date may be later than the real one, as before they were read.
        continue;
      }
      if (template.startsWith("Patient")) {
        gaps.add(DataGap.PATIENT);
      } else if (template.startsWith("Medication")) {
        gaps.add(DataGap.MEDICATIONS);
      } else if (template.startsWith("Condition")) {
        gaps.add(DataGap.CONDITIONS);
      } else if (template.startsWith("ServiceRequest")) {
        gaps.add(DataGap.PENDING_ORDERS);
      }
    }
    return gaps;
  }

  /** A template of the order history: MedicationRequest searches bounded by authoredon. */
  private static boolean isOrderHistory(String template) {
    return template.startsWith("MedicationRequest?") && template.contains("authoredon=ge");
  }

  private PatientRecord record(
      String patientId,
      Map<String, Held> resources,
      Set<DataGap> gaps,
      MappingReport report,
      boolean historyBounded) {
    Instant now = clock.instant();
    Map<String, JsonNode> medications = new LinkedHashMap<>();
    Map<String, JsonNode> specimens = new LinkedHashMap<>();
    resources.forEach(
        (k, held) -> {
          if (k.startsWith("Medication/")) {
            medications.put(k, held.resource());
          } else if (k.startsWith("Specimen/")) {
            specimens.put(k, held.resource());
          }
        });
    List<LabResult> labs = new ArrayList<>();
    List<MedicationHistory.Order> currentMeds = new ArrayList<>();
    List<MedicationHistory.Order> pastMeds = new ArrayList<>();
    Map<String, MedicationHistory.Order> ordersById = new LinkedHashMap<>();
    List<MedicationHistory.Dispense> dispenses = new ArrayList<>();
    List<ConditionRecord> conditions = new ArrayList<>();
    List<PendingOrder> orders = new ArrayList<>();
    Demographics demographics = null;
    for (Held held : resources.values()) {
      JsonNode r = held.resource();
      String type = FhirJson.resourceType(r);
      if (!belongsTo(r, type, patientId)) {
        continue;
      }
      try {
        switch (type) {
          case "Observation" -> labs.addAll(mapper.labResults(r, now, report, specimens));
          case "MedicationDispense" -> mapper.dispense(r, medications).ifPresent(dispenses::add);
          case "MedicationRequest", "MedicationStatement" -> {
            String prior = R4Mapper.priorPrescription(r);
            boolean stopped = "stopped".equals(FhirJson.text(r, "status"));
            mapper
                .medication(r, medications)
                .ifPresent(
                    m -> {
                      MedicationHistory.Order order = new MedicationHistory.Order(m, prior);
                      currentMeds.add(order);
                      remember(ordersById, order);
                      if (m.ingredients().isEmpty()) {
                        report.unrecognisedMedication(m.description());
                      }
                    });
            mapper
                .pastMedication(r, medications)
                .ifPresent(
                    m -> {
                      MedicationHistory.Order order =
                          new MedicationHistory.Order(m, prior, stopped);
                      pastMeds.add(order);
                      remember(ordersById, order);
                    });
          }
          case "Condition" -> mapper.condition(r).ifPresent(conditions::add);
          case "ServiceRequest" -> mapper.pendingOrder(r).ifPresent(orders::add);
          case "Patient" -> demographics = mapper.demographics(r);
          default -> {
            // Other resource types carry nothing the rules read.
          }
        }
      } catch (FhirJson.Malformed e) {
        if (held.prefetchKey() != null) {
          throw HookError.badRequest(
              "'prefetch."
                  + held.prefetchKey()
                  + "' is not a valid FHIR R4 resource: "
                  + e.getMessage()
                  + ".");
        }
        LOG.warn("skipped a {} from the FHIR server: {}", type, LogText.safe(e.getMessage()));
      } catch (RuntimeException e) {
        // One odd resource must not cost the clinician the other cards.
        LOG.warn("skipped a {} that could not be mapped: {}", type, e.getClass().getSimpleName());
      }
    }
    Integer historyDays = historyBounded ? service.orderHistoryDays() : null;
    Instant historyFrom =
        historyDays == null
            ? null
            : LocalDate.ofInstant(now, ZoneOffset.UTC)
                .minusDays(historyDays)
                .atStartOfDay(ZoneOffset.UTC)
                .toInstant();
    MedicationHistory.Exposures meds =
        MedicationHistory.withRealStarts(
            currentMeds, pastMeds, ordersById, dispenses, now, historyFrom);
    conditions.sort(PROBLEM_LIST_ORDER);
    return new PatientRecord(
        patientId, demographics, labs, meds.current(), conditions, orders, gaps, meds.past());
  }

  /**
   * The problem list in one order whichever way it arrived (a search and a {@code _revinclude}
   * return the same conditions in different orders, and cards list them): oldest first, then by
   * description and reference.
   */
  private static final Comparator<ConditionRecord> PROBLEM_LIST_ORDER =
      Comparator.comparing(
              ConditionRecord::recorded, Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
          .thenComparing(
              ConditionRecord::description, Comparator.nullsLast(Comparator.<String>naturalOrder()))
          .thenComparing(
              ConditionRecord::reference, Comparator.nullsLast(Comparator.<String>naturalOrder()));

  private static void remember(
      Map<String, MedicationHistory.Order> byId, MedicationHistory.Order order) {
    String reference = order.exposure().reference();
    if (reference != null && reference.startsWith("MedicationRequest/")) {
      byId.put(reference, order);
    }
  }

  /** Drops resources about another patient, which a careless prefetch could include. */
  private static boolean belongsTo(JsonNode r, String type, String patientId) {
    if ("Patient".equals(type)) {
      String id = FhirJson.id(r);
      return id == null || id.equals(patientId);
    }
    String subject = R4Mapper.referenceOf(r, "subject");
    return subject == null || subject.equals("Patient/" + patientId);
  }
}
