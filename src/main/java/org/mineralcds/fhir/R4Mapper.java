package org.mineralcds.fhir;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Type;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.CodeRef;
import org.mineralcds.clinical.Comparator;
import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.Demographics;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.Interpretation;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.LoincEntry;
import org.mineralcds.clinical.Measurement;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.clinical.ReferenceRange;
import org.mineralcds.clinical.ResultStatus;
import org.mineralcds.clinical.UnitFactor;

/**
 * Maps FHIR R4 resources to the plain domain records, once, at the boundary. Everything the rules
 * rely on is settled here: LOINC family by system and code in any coding position (components too),
 * units converted to canonical with exact factors (unknown unit: value ignored), statuses filtered,
 * censored values kept censored, the lab's referenceRange and flags, and clinical time from
 * effective[x].
 */
public final class R4Mapper {

  static final String V3_INTERPRETATION =
      "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  static final String V2_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v2-0078";
  static final String V2_INTERPRETATION_STU3 = "http://hl7.org/fhir/v2/0078";
  private static final Pattern CENSORED_STRING =
      Pattern.compile("^\\s*(<=|>=|<|>)?\\s*(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(.*?)\\s*$");
  private static final Pattern RANGE_TEXT =
      Pattern.compile("^\\s*(\\d+(?:\\.\\d+)?)\\s*[-\u2013]\\s*(\\d+(?:\\.\\d+)?)\\s*(.*?)\\s*$");
  private static final Set<String> ACTIVE_CONDITION = Set.of("active", "recurrence", "relapse");
  private static final Set<String> REFUTED = Set.of("refuted", "entered-in-error");

  private final LabCatalog labs;
  private final DrugCatalog drugs;
  private final ConditionCatalog conditions;

  public R4Mapper(LabCatalog labs, DrugCatalog drugs, ConditionCatalog conditions) {
    this.labs = labs;
    this.drugs = drugs;
    this.conditions = conditions;
  }

  // ---- Observations -------------------------------------------------------------------------

  /** Usable lab results of the known analytes in one Observation (its components included). */
  public List<LabResult> labResults(Observation obs, Instant now) {
    return labResults(obs, now, new MappingReport());
  }

  /** As {@link #labResults(Observation, Instant)}, noting in {@code report} what was not used. */
  public List<LabResult> labResults(Observation obs, Instant now, MappingReport report) {
    if (loinc(obs.getCode()).isEmpty()
        && obs.getComponent().stream().allMatch(c -> loinc(c.getCode()).isEmpty())) {
      report.unrecognisedCode(describe(obs.getCode()));
      return List.of();
    }
    Optional<ResultStatus> status = status(obs);
    if (status.isEmpty()) {
      report.skipped(
          obs.hasDataAbsentReason()
              ? "no value (dataAbsentReason)"
              : "status " + (obs.hasStatus() ? obs.getStatus().toCode() : "missing"));
      return List.of();
    }
    Optional<Clock> time = clinicalTime(obs);
    if (time.isEmpty()) {
      report.skipped("no effective or issued time");
      return List.of();
    }
    if (time.get().instant().isAfter(now.plus(Duration.ofDays(1)))) {
      report.skipped("dated in the future");
      return List.of();
    }
    List<LabResult> results = new ArrayList<>();
    String reference =
        obs.hasIdElement() && obs.getIdElement().hasIdPart()
            ? "Observation/" + obs.getIdElement().getIdPart()
            : null;
    String identity = identity(obs);
    loinc(obs.getCode())
        .flatMap(
            entry ->
                result(
                    entry,
                    obs.getValue(),
                    obs,
                    reference,
                    identity,
                    status.get(),
                    time.get(),
                    report))
        .ifPresent(results::add);
    for (Observation.ObservationComponentComponent component : obs.getComponent()) {
      Optional<LoincEntry> entry = loinc(component.getCode());
      if (entry.isPresent() && !component.hasDataAbsentReason()) {
        String componentIdentity = identity == null ? null : identity + "#" + entry.get().code();
        result(
                entry.get(),
                component.getValue(),
                obs,
                reference,
                componentIdentity,
                status.get(),
                time.get(),
                report)
            .ifPresent(results::add);
      }
    }
    return results;
  }

  private Optional<LoincEntry> loinc(CodeableConcept code) {
    for (Coding coding : code.getCoding()) {
      if (LabCatalog.LOINC_SYSTEM.equals(coding.getSystem()) && coding.getCode() != null) {
        Optional<LoincEntry> entry = labs.entry(coding.getCode().trim());
        if (entry.isPresent()) {
          return entry;
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<ResultStatus> status(Observation obs) {
    if (!obs.hasStatus() || obs.hasDataAbsentReason() && !obs.hasComponent()) {
      return Optional.empty();
    }
    return switch (obs.getStatus()) {
      case FINAL -> Optional.of(ResultStatus.FINAL);
      case AMENDED -> Optional.of(ResultStatus.AMENDED);
      case CORRECTED -> Optional.of(ResultStatus.CORRECTED);
      case PRELIMINARY -> Optional.of(ResultStatus.PRELIMINARY);
      default -> Optional.empty();
    };
  }

  private Optional<LabResult> result(
      LoincEntry entry,
      Type value,
      Observation obs,
      String reference,
      String identity,
      ResultStatus status,
      Clock time,
      MappingReport report) {
    AnalyteSpec spec = labs.spec(entry.analyte());
    BigDecimal number;
    Comparator comparator;
    String unitText;
    String unitCode;
    if (value instanceof Quantity q && q.hasValue()) {
      number = q.getValue();
      comparator =
          q.hasComparator() ? Comparator.fromSymbol(q.getComparator().toCode()) : Comparator.EXACT;
      unitCode = q.getCode();
      unitText = q.getUnit();
    } else if (value != null
        && value.isPrimitive()
        && value.fhirType().equals("string")
        && value.primitiveValue() != null) {
      Matcher m = CENSORED_STRING.matcher(value.primitiveValue());
      if (!m.matches()) {
        report.skipped("text value that is not a number");
        return Optional.empty();
      }
      number = new BigDecimal(m.group(2));
      comparator = m.group(1) == null ? Comparator.EXACT : Comparator.fromSymbol(m.group(1));
      unitCode = null;
      unitText = m.group(3).isEmpty() ? null : m.group(3);
    } else {
      report.skipped("no numeric value");
      return Optional.empty();
    }
    Optional<UnitFactor> factor = spec.factorFor(unitCode).or(() -> spec.factorFor(unitText));
    String displayUnit = unitText != null && !unitText.isBlank() ? unitText : unitCode;
    if (factor.isEmpty() && blank(unitCode) && blank(unitText) && entry.unitWhenMissing() != null) {
      factor = spec.factorFor(entry.unitWhenMissing());
      displayUnit = entry.unitWhenMissing();
    }
    if (factor.isEmpty()) {
      report.unknownUnit(entry.analyte(), displayUnit);
      return Optional.empty();
    }
    Measurement canonical = new Measurement(number, comparator).scaled(factor.get());
    String reported = comparator.symbol() + number.toPlainString();
    String dedupe =
        identity != null
            ? identity
            : String.join(
                "|", entry.analyte().key(), time.instant().toString(), canonical.toString());
    return Optional.of(
        new LabResult(
            reference,
            entry.analyte(),
            entry.code(),
            canonical,
            reported,
            displayUnit,
            time.instant(),
            time.dateOnly(),
            status,
            labRange(obs, spec, factor.get()),
            flags(obs),
            dedupe));
  }

  private static String describe(CodeableConcept code) {
    for (Coding c : code.getCoding()) {
      if (c.hasCode()) {
        return (c.hasSystem() ? c.getSystem() + "|" : "")
            + c.getCode()
            + (c.hasDisplay() ? " (" + c.getDisplay() + ")" : "");
      }
    }
    return code.hasText() ? code.getText() : "(no code)";
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static ReferenceRange labRange(
      Observation obs, AnalyteSpec spec, UnitFactor resultFactor) {
    for (Observation.ObservationReferenceRangeComponent range : obs.getReferenceRange()) {
      boolean normalType =
          !range.hasType()
              || range.getType().getCoding().stream().anyMatch(c -> "normal".equals(c.getCode()));
      if (!normalType || range.hasAppliesTo() || range.hasAge()) {
        continue;
      }
      try {
        if (range.hasLow() || range.hasHigh()) {
          BigDecimal low = limit(range.hasLow() ? range.getLow() : null, spec, resultFactor);
          BigDecimal high = limit(range.hasHigh() ? range.getHigh() : null, spec, resultFactor);
          if ((range.hasLow() && low == null) || (range.hasHigh() && high == null)) {
            continue;
          }
          return new ReferenceRange(low, high);
        }
        if (range.hasText()) {
          Matcher m = RANGE_TEXT.matcher(range.getText());
          if (m.matches()) {
            UnitFactor f =
                m.group(3).isEmpty() ? resultFactor : spec.factorFor(m.group(3)).orElse(null);
            if (f != null) {
              return new ReferenceRange(
                  f.apply(new BigDecimal(m.group(1))), f.apply(new BigDecimal(m.group(2))));
            }
          }
        }
      } catch (IllegalArgumentException malformed) {
        // A range with low above high is the lab's error: judge by defaults instead.
      }
    }
    return null;
  }

  private static BigDecimal limit(Quantity q, AnalyteSpec spec, UnitFactor resultFactor) {
    if (q == null || !q.hasValue()) {
      return null;
    }
    Optional<UnitFactor> factor =
        blank(q.getCode()) && blank(q.getUnit())
            ? Optional.of(resultFactor)
            : spec.factorFor(q.getCode()).or(() -> spec.factorFor(q.getUnit()));
    return factor.map(f -> f.apply(q.getValue())).orElse(null);
  }

  private static Set<Interpretation> flags(Observation obs) {
    Set<Interpretation> flags = EnumSet.noneOf(Interpretation.class);
    for (CodeableConcept concept : obs.getInterpretation()) {
      for (Coding coding : concept.getCoding()) {
        if ((V3_INTERPRETATION.equals(coding.getSystem())
                || V2_INTERPRETATION.equals(coding.getSystem())
                || V2_INTERPRETATION_STU3.equals(coding.getSystem()))
            && coding.getCode() != null) {
          Interpretation.fromCode(coding.getCode().trim()).ifPresent(flags::add);
        }
      }
    }
    return flags;
  }

  private static String identity(Observation obs) {
    for (Identifier id : obs.getIdentifier()) {
      if (id.hasSystem() && id.hasValue()) {
        return "identifier|" + id.getSystem() + "|" + id.getValue();
      }
    }
    return null;
  }

  /**
   * Collection time: effective[x] (a period's end, else its start); report time as a last resort.
   */
  private record Clock(Instant instant, boolean dateOnly) {}

  private static Optional<Clock> clinicalTime(Observation obs) {
    Type effective = obs.getEffective();
    if (effective instanceof DateTimeType dt && dt.hasValue()) {
      return Optional.of(time(dt));
    }
    if (effective instanceof Period p) {
      if (p.hasEnd()) {
        return Optional.of(time(p.getEndElement()));
      }
      if (p.hasStart()) {
        return Optional.of(time(p.getStartElement()));
      }
    }
    if (effective instanceof BaseDateTimeType instant && instant.hasValue()) {
      return Optional.of(time(instant));
    }
    if (obs.hasIssued()) {
      return Optional.of(new Clock(obs.getIssued().toInstant(), false));
    }
    return Optional.empty();
  }

  private static Clock time(BaseDateTimeType value) {
    if (value.getPrecision().ordinal() <= TemporalPrecisionEnum.DAY.ordinal()) {
      return new Clock(localDate(value).atStartOfDay(ZoneOffset.UTC).toInstant(), true);
    }
    return new Clock(value.getValue().toInstant(), false);
  }

  private static LocalDate localDate(BaseDateTimeType value) {
    Integer month = value.getMonth();
    Integer day = value.getDay();
    return LocalDate.of(value.getYear(), month == null ? 1 : month + 1, day == null ? 1 : day);
  }

  // ---- Medications --------------------------------------------------------------------------

  public Optional<MedicationExposure> medication(
      MedicationRequest request, Map<String, Medication> medications) {
    if (request.hasStatus()
        && request.getStatus() != MedicationRequest.MedicationRequestStatus.ACTIVE
        && request.getStatus() != MedicationRequest.MedicationRequestStatus.ONHOLD) {
      return Optional.empty();
    }
    if (request.hasIntent()
        && request.getIntent() == MedicationRequest.MedicationRequestIntent.PROPOSAL) {
      return Optional.empty();
    }
    Instant start = request.hasAuthoredOn() ? request.getAuthoredOn().toInstant() : null;
    return exposure("MedicationRequest", request, request.getMedication(), start, medications);
  }

  public Optional<MedicationExposure> medication(
      MedicationStatement statement, Map<String, Medication> medications) {
    if (statement.hasStatus()
        && statement.getStatus() != MedicationStatement.MedicationStatementStatus.ACTIVE
        && statement.getStatus() != MedicationStatement.MedicationStatementStatus.INTENDED
        && statement.getStatus() != MedicationStatement.MedicationStatementStatus.ONHOLD) {
      return Optional.empty();
    }
    Instant start = null;
    if (statement.getEffective() instanceof Period p && p.hasStart()) {
      start = p.getStart().toInstant();
    } else if (statement.getEffective() instanceof DateTimeType dt && dt.hasValue()) {
      start = dt.getValue().toInstant();
    } else if (statement.hasDateAsserted()) {
      start = statement.getDateAsserted().toInstant();
    }
    return exposure(
        "MedicationStatement", statement, statement.getMedication(), start, medications);
  }

  private Optional<MedicationExposure> exposure(
      String type,
      Resource source,
      Type medication,
      Instant start,
      Map<String, Medication> medications) {
    List<CodeRef> codings = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    if (medication instanceof CodeableConcept concept) {
      collect(concept, codings, texts);
    } else if (medication instanceof Reference reference) {
      if (reference.hasDisplay()) {
        texts.add(reference.getDisplay());
      }
      Medication resolved = resolve(reference, source, medications);
      if (resolved != null) {
        collect(resolved.getCode(), codings, texts);
        resolved.getIngredient().stream()
            .filter(i -> i.getItem() instanceof CodeableConcept)
            .forEach(i -> collect((CodeableConcept) i.getItem(), codings, texts));
      }
    }
    String description =
        texts.stream()
            .filter(t -> t != null && !t.isBlank())
            .findFirst()
            .orElse(
                codings.stream()
                    .map(CodeRef::display)
                    .filter(d -> d != null)
                    .findFirst()
                    .orElse("medication"));
    String ref =
        source.hasIdElement() && source.getIdElement().hasIdPart()
            ? type + "/" + source.getIdElement().getIdPart()
            : null;
    return Optional.of(
        new MedicationExposure(ref, description, start, drugs.recognise(codings, texts)));
  }

  private static Medication resolve(
      Reference reference, Resource source, Map<String, Medication> medications) {
    String ref = reference.getReference();
    if (ref == null) {
      return null;
    }
    if (ref.startsWith("#") && source instanceof org.hl7.fhir.r4.model.DomainResource domain) {
      for (Resource contained : domain.getContained()) {
        if (contained instanceof Medication m
            && ref.substring(1).equals(m.getIdElement().getIdPart())) {
          return m;
        }
      }
      return null;
    }
    return medications.get(relativeReference(ref));
  }

  /** "http://x/fhir/Medication/5/_history/2" and "Medication/5" both become "Medication/5". */
  static String relativeReference(String ref) {
    String[] parts = ref.split("/");
    for (int i = parts.length - 2; i >= 0; i--) {
      if (parts[i].equals("_history")) {
        continue;
      }
      if (!parts[i].isEmpty()
          && Character.isUpperCase(parts[i].charAt(0))
          && (i + 2 >= parts.length || parts[i + 2].equals("_history"))) {
        return parts[i] + "/" + parts[i + 1];
      }
    }
    return ref;
  }

  private static void collect(CodeableConcept concept, List<CodeRef> codings, List<String> texts) {
    for (Coding c : concept.getCoding()) {
      codings.add(new CodeRef(c.getSystem(), c.getCode(), c.getDisplay()));
    }
    if (concept.hasText()) {
      texts.add(concept.getText());
    }
  }

  // ---- Conditions, orders, patient -----------------------------------------------------------

  public Optional<ConditionRecord> condition(Condition condition) {
    if (condition.hasClinicalStatus()
        && condition.getClinicalStatus().getCoding().stream()
            .noneMatch(c -> ACTIVE_CONDITION.contains(c.getCode()))) {
      return Optional.empty();
    }
    if (condition.hasVerificationStatus()
        && condition.getVerificationStatus().getCoding().stream()
            .anyMatch(c -> REFUTED.contains(c.getCode()))) {
      return Optional.empty();
    }
    List<CodeRef> codes = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    collect(condition.getCode(), codes, texts);
    Instant recorded = null;
    if (condition.hasRecordedDate()) {
      recorded = condition.getRecordedDate().toInstant();
    } else if (condition.getOnset() instanceof DateTimeType dt && dt.hasValue()) {
      recorded = dt.getValue().toInstant();
    }
    String description =
        texts.isEmpty()
            ? codes.stream().map(CodeRef::display).filter(d -> d != null).findFirst().orElse(null)
            : texts.get(0);
    String ref =
        condition.getIdElement().hasIdPart()
            ? "Condition/" + condition.getIdElement().getIdPart()
            : null;
    return Optional.of(
        new ConditionRecord(ref, description, codes, recorded, conditions.recognise(codes)));
  }

  public Optional<PendingOrder> pendingOrder(ServiceRequest request) {
    // Draft orders are pended by a clinician (or created by accepting one of our suggestions):
    // suggesting the same test again would be noise (clinical notes §3j.3).
    if (request.getStatus() != ServiceRequest.ServiceRequestStatus.ACTIVE
        && request.getStatus() != ServiceRequest.ServiceRequestStatus.ONHOLD
        && request.getStatus() != ServiceRequest.ServiceRequestStatus.DRAFT) {
      return Optional.empty();
    }
    Set<String> loinc = new LinkedHashSet<>();
    for (Coding c : request.getCode().getCoding()) {
      if (LabCatalog.LOINC_SYSTEM.equals(c.getSystem()) && c.getCode() != null) {
        loinc.add(c.getCode().trim());
      }
    }
    if (loinc.isEmpty()) {
      return Optional.empty();
    }
    String ref =
        request.getIdElement().hasIdPart()
            ? "ServiceRequest/" + request.getIdElement().getIdPart()
            : null;
    Instant authored = request.hasAuthoredOn() ? request.getAuthoredOn().toInstant() : null;
    return Optional.of(new PendingOrder(ref, loinc, authored));
  }

  public Demographics demographics(Patient patient) {
    LocalDate birth =
        patient.hasBirthDateElement() && patient.getBirthDateElement().hasValue()
            ? localDate(patient.getBirthDateElement())
            : null;
    return new Demographics(birth, patient.hasGender() ? patient.getGender().toCode() : null);
  }
}
