package org.mineralcds.demo;

import ca.uhn.fhir.model.api.Include;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntrySearchModeEnum;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.IncludeParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.RequiredParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Sort;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.SimpleBundleProvider;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IAnyResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationDispense;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;

/**
 * HAPI resource providers over a {@link ScenarioStore}, answering the searches the service's own
 * prefetch templates use: patient, code, status, clinical-status, category, date, authoredon, _sort
 * and _count (paged by the server's paging provider).
 */
final class ScenarioProviders {

  private ScenarioProviders() {}

  static List<IResourceProvider> all(ScenarioStore store) {
    return List.of(
        new PatientProvider(store),
        new MedicationProvider(store),
        new ObservationProvider(store),
        new MedicationRequestProvider(store),
        new MedicationDispenseProvider(store),
        new MedicationStatementProvider(store),
        new ConditionProvider(store),
        new ServiceRequestProvider(store),
        new SpecimenProvider(store));
  }

  abstract static class Base<T extends Resource> implements IResourceProvider {
    final ScenarioStore store;
    final Class<T> type;

    Base(ScenarioStore store, Class<T> type) {
      this.store = store;
      this.type = type;
    }

    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return type;
    }

    T readById(IdType id) {
      Resource r = store.get(type.getSimpleName(), id.getIdPart());
      if (r == null) {
        throw new ResourceNotFoundException(id);
      }
      return type.cast(r);
    }

    /** The resources with the ids of an {@code _id} search. */
    List<T> byIdList(TokenOrListParam ids) {
      return ids.getValuesAsQueryTokens().stream()
          .map(t -> store.get(type.getSimpleName(), t.getValue()))
          .filter(r -> r != null)
          .map(type::cast)
          .toList();
    }

    Stream<T> stream() {
      return store.all(type.getSimpleName()).stream().map(type::cast);
    }

    /** The common "patient + status" search of request-like resources. */
    List<T> byPatientAndStatus(
        ReferenceParam patient,
        TokenOrListParam status,
        Function<T, Reference> subject,
        Function<T, String> statusCode) {
      return stream()
          .filter(r -> refers(subject.apply(r), patient))
          .filter(r -> matches(status, v -> v.equals(statusCode.apply(r)), null))
          .toList();
    }
  }

  /** The patient a resource that a Patient search may reverse-include is about, or null. */
  static Reference subjectOf(Resource r) {
    if (r instanceof MedicationStatement m) {
      return m.getSubject();
    }
    if (r instanceof MedicationDispense d) {
      return d.getSubject();
    }
    return r instanceof Condition c ? c.getSubject() : null;
  }

  /** The id a relative reference points to ("Patient/p1" → "p1"), or null. */
  static String idOf(Reference ref) {
    return ref == null || !ref.hasReference() ? null : ref.getReferenceElement().getIdPart();
  }

  static boolean refers(Reference ref, ReferenceParam param) {
    if (param == null) {
      return true;
    }
    return ref != null
        && ref.hasReference()
        && ref.getReferenceElement().getIdPart().equals(param.getIdPart());
  }

  static boolean matches(
      TokenOrListParam tokens,
      Function<String, Boolean> plainMatch,
      List<CodeableConcept> concepts) {
    if (tokens == null) {
      return true;
    }
    for (TokenParam token : tokens.getValuesAsQueryTokens()) {
      if (concepts != null) {
        for (CodeableConcept concept : concepts) {
          if (concept.getCoding().stream()
              .anyMatch(
                  c ->
                      token.getValue().equals(c.getCode())
                          && (token.getSystem() == null
                              || token.getSystem().equals(c.getSystem())))) {
            return true;
          }
        }
      }
      if (plainMatch != null && plainMatch.apply(token.getValue())) {
        return true;
      }
    }
    return false;
  }

  static boolean inRange(DateRangeParam range, Date when) {
    if (range == null) {
      return true;
    }
    if (when == null) {
      return false;
    }
    Date low = range.getLowerBoundAsInstant();
    Date high = range.getUpperBoundAsInstant();
    return (low == null || !when.before(low)) && (high == null || !when.after(high));
  }

  static Date effective(Observation o) {
    if (o.getEffective() instanceof DateTimeType dt) {
      return dt.getValue();
    }
    if (o.getEffective() instanceof Period p) {
      return p.hasEnd() ? p.getEnd() : p.getStart();
    }
    return o.getIssued();
  }

  public static final class PatientProvider extends Base<Patient> {
    PatientProvider(ScenarioStore store) {
      super(store, Patient.class);
    }

    @Read
    public Patient read(@IdParam IdType id) {
      return readById(id);
    }

    /**
     * Patients, by {@code _id} when given, with the MedicationStatements, MedicationDispenses and
     * Conditions about them when {@code _revinclude} asks (marked as included; copies, since the
     * store's resources are shared).
     */
    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenOrListParam ids,
        @IncludeParam(
                reverse = true,
                allow = {
                  "MedicationStatement:patient",
                  "MedicationDispense:patient",
                  "Condition:patient"
                })
            Set<Include> revIncludes) {
      List<Patient> found = ids == null ? stream().toList() : byIdList(ids);
      List<IBaseResource> results = new ArrayList<>(found);
      if (revIncludes != null) {
        Set<String> patients = new HashSet<>();
        found.forEach(p -> patients.add(p.getIdElement().getIdPart()));
        for (Include include : revIncludes) {
          String type = include.getParamType();
          for (Resource r : store.all(type)) {
            Reference subject = subjectOf(r);
            if (subject != null && patients.contains(idOf(subject))) {
              Resource copy = r.copy();
              ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(
                  copy, BundleEntrySearchModeEnum.INCLUDE);
              results.add(copy);
            }
          }
        }
      }
      return new SimpleBundleProvider(results);
    }
  }

  public static final class MedicationProvider extends Base<Medication> {
    MedicationProvider(ScenarioStore store) {
      super(store, Medication.class);
    }

    @Read
    public Medication read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<Medication> byIds(
        @RequiredParam(name = IAnyResource.SP_RES_ID) TokenOrListParam ids) {
      return byIdList(ids);
    }
  }

  public static final class SpecimenProvider extends Base<Specimen> {
    SpecimenProvider(ScenarioStore store) {
      super(store, Specimen.class);
    }

    @Read
    public Specimen read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<Specimen> byIds(
        @RequiredParam(name = IAnyResource.SP_RES_ID) TokenOrListParam ids) {
      return byIdList(ids);
    }
  }

  public static final class ObservationProvider extends Base<Observation> {
    ObservationProvider(ScenarioStore store) {
      super(store, Observation.class);
    }

    @Read
    public Observation read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<Observation> search(
        @OptionalParam(name = "patient") ReferenceParam patient,
        @OptionalParam(name = "subject") ReferenceParam subject,
        @OptionalParam(name = "code") TokenOrListParam code,
        @OptionalParam(name = "category") TokenOrListParam category,
        @OptionalParam(name = "status") TokenOrListParam status,
        @OptionalParam(name = "date") DateRangeParam date,
        @Sort SortSpec sort,
        @IncludeParam(
                allow = {"Observation:patient", "Observation:subject", "Observation:specimen"})
            Set<Include> includes) {
      Stream<Observation> s =
          stream()
              .filter(o -> refers(o.getSubject(), patient) && refers(o.getSubject(), subject))
              .filter(o -> matches(code, null, List.of(o.getCode())))
              .filter(o -> matches(category, null, o.getCategory()))
              .filter(
                  o ->
                      matches(status, v -> o.hasStatus() && v.equals(o.getStatus().toCode()), null))
              .filter(o -> inRange(date, effective(o)));
      if (sort != null && "date".equals(sort.getParamName())) {
        Comparator<Observation> byDate =
            Comparator.comparing(
                ScenarioProviders::effective, Comparator.nullsFirst(Comparator.naturalOrder()));
        s = s.sorted(sort.getOrder() == SortOrderEnum.DESC ? byDate.reversed() : byDate);
      }
      if (includes != null && !includes.isEmpty()) {
        // HAPI adds a referenced resource to the bundle as an include when the reference holds
        // it; the store's resources are shared, so copies carry it.
        s =
            s.map(
                o -> {
                  Observation copy = o.copy();
                  copy.getSubject().setResource(store.get("Patient", idOf(o.getSubject())));
                  if (copy.hasSpecimen() && !copy.getSpecimen().getReference().startsWith("#")) {
                    copy.getSpecimen().setResource(store.get("Specimen", idOf(copy.getSpecimen())));
                  }
                  return copy;
                });
      }
      return s.toList();
    }
  }

  public static final class MedicationRequestProvider extends Base<MedicationRequest> {
    MedicationRequestProvider(ScenarioStore store) {
      super(store, MedicationRequest.class);
    }

    @Read
    public MedicationRequest read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<MedicationRequest> search(
        @OptionalParam(name = "patient") ReferenceParam patient,
        @OptionalParam(name = "status") TokenOrListParam status,
        @OptionalParam(name = "authoredon") DateRangeParam authoredOn,
        @IncludeParam(allow = {"MedicationRequest:medication"}) Set<Include> includes) {
      List<MedicationRequest> found =
          byPatientAndStatus(
                  patient,
                  status,
                  MedicationRequest::getSubject,
                  m -> m.hasStatus() ? m.getStatus().toCode() : null)
              .stream()
              .filter(
                  m ->
                      authoredOn == null
                          || (m.hasAuthoredOn() && inRange(authoredOn, m.getAuthoredOn())))
              .toList();
      if (includes == null || includes.isEmpty()) {
        return found;
      }
      return found.stream()
          .map(
              m -> {
                if (!m.hasMedicationReference()) {
                  return m;
                }
                MedicationRequest copy = m.copy();
                Resource medication = store.get("Medication", idOf(copy.getMedicationReference()));
                copy.getMedicationReference().setResource(medication);
                return copy;
              })
          .toList();
    }
  }

  public static final class MedicationDispenseProvider extends Base<MedicationDispense> {
    MedicationDispenseProvider(ScenarioStore store) {
      super(store, MedicationDispense.class);
    }

    @Read
    public MedicationDispense read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<MedicationDispense> search(
        @OptionalParam(name = "patient") ReferenceParam patient,
        @OptionalParam(name = "status") TokenOrListParam status) {
      return byPatientAndStatus(
          patient,
          status,
          MedicationDispense::getSubject,
          m -> m.hasStatus() ? m.getStatus().toCode() : null);
    }
  }

  public static final class MedicationStatementProvider extends Base<MedicationStatement> {
    MedicationStatementProvider(ScenarioStore store) {
      super(store, MedicationStatement.class);
    }

    @Read
    public MedicationStatement read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<MedicationStatement> search(
        @OptionalParam(name = "patient") ReferenceParam patient,
        @OptionalParam(name = "status") TokenOrListParam status) {
      return byPatientAndStatus(
          patient,
          status,
          MedicationStatement::getSubject,
          m -> m.hasStatus() ? m.getStatus().toCode() : null);
    }
  }

  public static final class ConditionProvider extends Base<Condition> {
    ConditionProvider(ScenarioStore store) {
      super(store, Condition.class);
    }

    @Read
    public Condition read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<Condition> search(
        @OptionalParam(name = "patient") ReferenceParam patient,
        @OptionalParam(name = "clinical-status") TokenOrListParam clinicalStatus,
        @OptionalParam(name = "category") TokenOrListParam category) {
      return stream()
          .filter(c -> refers(c.getSubject(), patient))
          .filter(c -> matches(clinicalStatus, null, List.of(c.getClinicalStatus())))
          .filter(c -> matches(category, null, c.getCategory()))
          .toList();
    }
  }

  public static final class ServiceRequestProvider extends Base<ServiceRequest> {
    ServiceRequestProvider(ScenarioStore store) {
      super(store, ServiceRequest.class);
    }

    @Read
    public ServiceRequest read(@IdParam IdType id) {
      return readById(id);
    }

    @Search
    public List<ServiceRequest> search(
        @OptionalParam(name = "patient") ReferenceParam patient,
        @OptionalParam(name = "status") TokenOrListParam status) {
      return byPatientAndStatus(
          patient,
          status,
          ServiceRequest::getSubject,
          r -> r.hasStatus() ? r.getStatus().toCode() : null);
    }
  }
}
