package org.mineralcds.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IJsonLikeParser;
import ca.uhn.fhir.parser.json.jackson.JacksonStructure;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
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
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.DataGap;
import org.mineralcds.clinical.Demographics;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.knowledge.ServiceDefinition;
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

  /** No hook call evaluates more resources than this, however many the sources return. */
  static final int MAX_RESOURCES = 20_000;

  private final FhirContext fhir;
  private final ServiceDefinition service;
  private final FhirFetcher fetcher;
  private final FhirServerPolicy policy;
  private final R4Mapper mapper;
  private final ExecutorService pool;
  private final Clock clock;
  private final Duration deadline;
  private final int maxPages;

  public PatientDataLoader(
      FhirContext fhir,
      ServiceDefinition service,
      FhirFetcher fetcher,
      FhirServerPolicy policy,
      R4Mapper mapper,
      ExecutorService pool,
      Clock clock,
      Duration deadline,
      int maxPages) {
    this.fhir = fhir;
    this.service = service;
    this.fetcher = fetcher;
    this.policy = policy;
    this.mapper = mapper;
    this.pool = pool;
    this.clock = clock;
    this.deadline = deadline;
    this.maxPages = maxPages;
  }

  public PatientData load(HookRequest request, String patientId) {
    return load(request, patientId, policy);
  }

  /** As {@link #load(HookRequest, String)}, with the FHIR servers this caller may name. */
  public PatientData load(HookRequest request, String patientId, FhirServerPolicy policy) {
    long deadlineNanos = System.nanoTime() + deadline.toNanos();
    Map<String, Resource> pool = new LinkedHashMap<>();
    List<String> prefetched = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    IJsonLikeParser parser = (IJsonLikeParser) fhir.newJsonParser();
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
      Resource resource = parse(parser, key, value);
      if (resource instanceof OperationOutcome) {
        missing.add(key);
        continue;
      }
      prefetched.add(key);
      add(pool, resource);
      if (resource instanceof Bundle bundle && bundle.getLink(Bundle.LINK_NEXT) != null) {
        morePages(request, key, bundle, policy, deadlineNanos).forEach(r -> add(pool, r));
      }
    }
    // Undeclared keys are harvested too, tolerant of EHRs that name their prefetch differently;
    // being extras, one that cannot be parsed is skipped rather than failing the call.
    for (Map.Entry<String, JsonNode> e : request.prefetch().entrySet()) {
      if (!service.prefetch().containsKey(e.getKey()) && e.getValue().isObject()) {
        try {
          Resource extra = parse(parser, e.getKey(), e.getValue());
          if (!(extra instanceof OperationOutcome)) {
            add(pool, extra);
          }
        } catch (HookError unreadable) {
          LOG.info("undeclared prefetch key {} is not a FHIR R4 resource; ignored", e.getKey());
        }
      }
    }
    Map<String, String> failures = fetchMissing(request, missing, pool, deadlineNanos, policy);
    List<String> fetched = new ArrayList<>(missing);
    fetched.removeAll(failures.keySet());
    resolveMedications(request, pool, deadlineNanos, policy);
    if (pool.size() >= MAX_RESOURCES) {
      LOG.warn("the sources returned more than {} resources; the rest were ignored", MAX_RESOURCES);
    }
    MappingReport report = new MappingReport();
    PatientRecord record = record(patientId, pool, gaps(failures.keySet()), report);
    boolean patientFound = pool.containsKey("Patient/" + patientId);
    return new PatientData(record, prefetched, fetched, failures, patientFound, report);
  }

  private Resource parse(IJsonLikeParser parser, String key, JsonNode value) {
    IBaseResource parsed;
    try {
      // HAPI reads the request's JSON tree itself: printing it and parsing the text again was
      // most of a hook call's time.
      JacksonStructure tree = new JacksonStructure();
      tree.setNativeObject((ObjectNode) value);
      parsed = parser.parseResource(tree);
    } catch (RuntimeException e) {
      // HAPI signals malformed input with several exception types (even a NullPointerException
      // for an entry without a resource): all of them are the caller's mistake, a 400.
      throw HookError.badRequest("'prefetch." + key + "' is not a valid FHIR R4 resource.");
    }
    if (!(parsed instanceof Resource resource)) {
      throw HookError.badRequest("'prefetch." + key + "' is not a FHIR R4 resource.");
    }
    return resource;
  }

  private List<Resource> morePages(
      HookRequest request, String key, Bundle bundle, FhirServerPolicy policy, long deadlineNanos) {
    if (request.fhirServer() == null || !policy.permits(request.fhirServer())) {
      LOG.info(
          "prefetch key {} has more pages but no usable fhirServer; using the first page", key);
      return List.of();
    }
    try {
      return fetcher.remainingPages(
          request.fhirServer(), token(request), bundle, maxPages - 1, deadlineNanos);
    } catch (FhirFetchException e) {
      LOG.warn("prefetch key {}: next page failed: {}", key, e.getMessage());
      return List.of();
    }
  }

  /**
   * Fetches the missing keys in parallel; returns the keys that could not be obtained, with why.
   */
  private Map<String, String> fetchMissing(
      HookRequest request,
      List<String> missing,
      Map<String, Resource> resources,
      long deadlineNanos,
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
    Map<String, Future<List<Resource>>> futures = new LinkedHashMap<>();
    Map<String, String> failed = new LinkedHashMap<>();
    for (String key : missing) {
      String url;
      try {
        url = PrefetchTemplate.render(service.prefetch().get(key), request.context(), today);
      } catch (IllegalArgumentException e) {
        LOG.warn("prefetch key {} cannot be rendered: {}", key, e.getMessage());
        failed.put(key, "its template cannot be filled from this context: " + e.getMessage());
        continue;
      }
      String token = token(request);
      futures.put(
          key,
          pool.submit(
              () -> fetcher.fetch(request.fhirServer(), token, url, maxPages, deadlineNanos)));
    }
    for (Map.Entry<String, Future<List<Resource>>> e : futures.entrySet()) {
      try {
        long remaining = Math.max(0, deadlineNanos - System.nanoTime());
        e.getValue().get(remaining, TimeUnit.NANOSECONDS).forEach(r -> add(resources, r));
      } catch (TimeoutException ex) {
        e.getValue().cancel(true);
        LOG.warn("prefetch key {}: FHIR server did not answer within the deadline", e.getKey());
        failed.put(e.getKey(), "the FHIR server did not answer within the deadline");
      } catch (ExecutionException ex) {
        LOG.warn("prefetch key {}: {}", e.getKey(), ex.getCause().getMessage());
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
      HookRequest request,
      Map<String, Resource> resources,
      long deadlineNanos,
      FhirServerPolicy policy) {
    if (request.fhirServer() == null || !policy.permits(request.fhirServer())) {
      return;
    }
    List<String> unresolved = new ArrayList<>();
    for (Resource r : resources.values()) {
      Reference ref = null;
      if (r instanceof MedicationRequest mr && mr.hasMedicationReference()) {
        ref = mr.getMedicationReference();
      } else if (r instanceof MedicationStatement ms && ms.hasMedicationReference()) {
        ref = ms.getMedicationReference();
      }
      if (ref != null && ref.hasReference() && !ref.getReference().startsWith("#")) {
        String relative = R4Mapper.relativeReference(ref.getReference());
        if (relative.startsWith("Medication/")
            && !resources.containsKey(relative)
            && !unresolved.contains(relative)) {
          unresolved.add(relative);
        }
      }
    }
    List<Future<List<Resource>>> futures = new ArrayList<>();
    String token = token(request);
    for (String relative : unresolved) {
      futures.add(
          pool.submit(
              () -> fetcher.fetch(request.fhirServer(), token, relative, 1, deadlineNanos)));
    }
    for (Future<List<Resource>> f : futures) {
      try {
        f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
            .forEach(r -> add(resources, r));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException | CancellationException e) {
        f.cancel(true);
        LOG.info("a referenced Medication could not be read; the reference display is used");
      }
    }
  }

  private static String token(HookRequest request) {
    return request.fhirAuthorization() == null ? null : request.fhirAuthorization().accessToken();
  }

  private static void add(Map<String, Resource> pool, Resource resource) {
    if (resource instanceof Bundle bundle) {
      for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
        if (entry.getResource() != null) {
          add(pool, entry.getResource());
        }
      }
      return;
    }
    if (pool.size() >= MAX_RESOURCES) {
      return;
    }
    String id = resource.getIdElement().hasIdPart() ? resource.getIdElement().getIdPart() : null;
    String key =
        id == null
            ? resource.fhirType() + "#" + System.identityHashCode(resource)
            : resource.fhirType() + "/" + id;
    pool.putIfAbsent(key, resource);
  }

  private Set<DataGap> gaps(Set<String> failed) {
    Set<DataGap> gaps = EnumSet.noneOf(DataGap.class);
    for (String key : failed) {
      String template = service.prefetch().get(key);
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

  private PatientRecord record(
      String patientId, Map<String, Resource> resources, Set<DataGap> gaps, MappingReport report) {
    Instant now = clock.instant();
    Map<String, Medication> medications = new LinkedHashMap<>();
    resources.forEach(
        (k, r) -> {
          if (r instanceof Medication m) {
            medications.put(k, m);
          }
        });
    List<LabResult> labs = new ArrayList<>();
    List<MedicationExposure> meds = new ArrayList<>();
    List<ConditionRecord> conditions = new ArrayList<>();
    List<PendingOrder> orders = new ArrayList<>();
    Demographics demographics = null;
    for (Resource r : resources.values()) {
      if (!belongsTo(r, patientId)) {
        continue;
      }
      try {
        map(r, now, medications, labs, meds, conditions, orders, report);
        if (r instanceof Patient p) {
          demographics = mapper.demographics(p);
        }
      } catch (RuntimeException e) {
        // One odd resource must not cost the clinician the other cards.
        LOG.warn(
            "skipped a {} that could not be mapped: {}",
            r.fhirType(),
            e.getClass().getSimpleName());
      }
    }
    return new PatientRecord(patientId, demographics, labs, meds, conditions, orders, gaps);
  }

  private void map(
      Resource r,
      Instant now,
      Map<String, Medication> medications,
      List<LabResult> labs,
      List<MedicationExposure> meds,
      List<ConditionRecord> conditions,
      List<PendingOrder> orders,
      MappingReport report) {
    if (r instanceof Observation o) {
      labs.addAll(mapper.labResults(o, now, report));
    } else if (r instanceof MedicationRequest mr) {
      mapper.medication(mr, medications).ifPresent(m -> addMedication(meds, m, report));
    } else if (r instanceof MedicationStatement ms) {
      mapper.medication(ms, medications).ifPresent(m -> addMedication(meds, m, report));
    } else if (r instanceof Condition c) {
      mapper.condition(c).ifPresent(conditions::add);
    } else if (r instanceof ServiceRequest sr) {
      mapper.pendingOrder(sr).ifPresent(orders::add);
    }
  }

  private static void addMedication(
      List<MedicationExposure> meds, MedicationExposure medication, MappingReport report) {
    meds.add(medication);
    if (medication.ingredients().isEmpty()) {
      report.unrecognisedMedication(medication.description());
    }
  }

  /** Drops resources about another patient, which a careless prefetch could include. */
  private static boolean belongsTo(Resource r, String patientId) {
    if (r instanceof Patient p) {
      return !p.getIdElement().hasIdPart() || p.getIdElement().getIdPart().equals(patientId);
    }
    Reference subject = null;
    if (r instanceof Observation o) {
      subject = o.getSubject();
    } else if (r instanceof MedicationRequest mr) {
      subject = mr.getSubject();
    } else if (r instanceof MedicationStatement ms) {
      subject = ms.getSubject();
    } else if (r instanceof Condition c) {
      subject = c.getSubject();
    } else if (r instanceof ServiceRequest sr) {
      subject = sr.getSubject();
    }
    if (subject == null || !subject.hasReference()) {
      return true;
    }
    String relative = R4Mapper.relativeReference(subject.getReference());
    return relative.equals("Patient/" + patientId);
  }
}
