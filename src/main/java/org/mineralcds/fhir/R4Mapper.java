package org.mineralcds.fhir;

import static org.mineralcds.fhir.FhirJson.decimal;
import static org.mineralcds.fhir.FhirJson.has;
import static org.mineralcds.fhir.FhirJson.id;
import static org.mineralcds.fhir.FhirJson.object;
import static org.mineralcds.fhir.FhirJson.objects;
import static org.mineralcds.fhir.FhirJson.resourceType;
import static org.mineralcds.fhir.FhirJson.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.CodeRef;
import org.mineralcds.clinical.Comparator;
import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.Demographics;
import org.mineralcds.clinical.DraftOrder;
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
import org.mineralcds.fhir.FhirJson.Malformed;
import org.mineralcds.fhir.FhirJson.Time;

/**
 * Maps FHIR R4 resources, as JSON, to the plain domain records, once, at the boundary. Both data
 * paths come through here: prefetch straight from the request's JSON tree, the FHIR-server path
 * from what HAPI's client fetched. Everything the rules rely on is settled here: LOINC family by
 * system and code in any coding position (components too), units converted to canonical with exact
 * factors (unknown unit: value ignored), statuses filtered, censored values kept censored, the
 * lab's referenceRange and flags, and clinical time from effective[x].
 *
 * <p>A value the mapper reads that is not valid FHIR (a date or decimal that is not one, an unknown
 * comparator) throws {@link Malformed}; everything else it tolerates.
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
  private static final Set<String> RESULT_COMPARATORS = Set.of("<", "<=", ">=", ">");
  private static final Set<String> ACTIVE_CONDITION = Set.of("active", "recurrence", "relapse");
  private static final Set<String> REFUTED = Set.of("refuted", "entered-in-error");
  private static final Set<String> ACTIVE_REQUEST = Set.of("active", "on-hold");
  private static final Set<String> ACTIVE_STATEMENT = Set.of("active", "intended", "on-hold");
  // Draft orders are pended by a clinician (or created by accepting one of our suggestions):
  // suggesting the same test again would be noise (clinical notes §3j.3).
  private static final Set<String> PENDING_ORDER = Set.of("active", "on-hold", "draft");

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
  public List<LabResult> labResults(JsonNode obs, Instant now) {
    return labResults(obs, now, new MappingReport());
  }

  /** As {@link #labResults(JsonNode, Instant)}, noting in {@code report} what was not used. */
  public List<LabResult> labResults(JsonNode obs, Instant now, MappingReport report) {
    return labResults(obs, now, report, Map.of());
  }

  /**
   * As {@link #labResults(JsonNode, Instant, MappingReport)}, with the Specimen resources present
   * among the data (by "Specimen/id") so a referenced specimen marked hemolyzed is recognised.
   */
  public List<LabResult> labResults(
      JsonNode obs, Instant now, MappingReport report, Map<String, JsonNode> specimens) {
    JsonNode code = codeOf(obs);
    Optional<LoincEntry> observed = loinc(code);
    List<JsonNode> components = objects(obs, "component");
    if (observed.isEmpty() && components.stream().allMatch(c -> loinc(codeOf(c)).isEmpty())) {
      report.unrecognisedCode(describe(code));
      return List.of();
    }
    Optional<ResultStatus> status = status(obs);
    if (status.isEmpty()) {
      String statusCode = text(obs, "status");
      report.skipped(
          has(obs, "dataAbsentReason")
              ? "no value (dataAbsentReason)"
              : "status " + (statusCode == null ? "missing" : statusCode));
      return List.of();
    }
    Time time = clinicalTime(obs);
    if (time == null) {
      report.skipped("no effective or issued time");
      return List.of();
    }
    if (time.instant().isAfter(now.plus(Duration.ofDays(1)))) {
      report.skipped("dated in the future");
      return List.of();
    }
    List<LabResult> results = new ArrayList<>(1);
    String id = id(obs);
    String reference = id == null ? null : "Observation/" + id;
    String identity = identity(obs);
    Source source =
        new Source(obs, reference, status.get(), time, Hemolysis.marked(obs, specimens));
    observed.flatMap(entry -> result(entry, obs, source, identity, report)).ifPresent(results::add);
    for (JsonNode component : components) {
      Optional<LoincEntry> entry = loinc(codeOf(component));
      if (entry.isPresent() && !has(component, "dataAbsentReason")) {
        String componentIdentity = identity == null ? null : identity + "#" + entry.get().code();
        result(entry.get(), component, source, componentIdentity, report).ifPresent(results::add);
      }
    }
    return results;
  }

  /** What an Observation's results share: the resource, its reference, status and time. */
  private record Source(
      JsonNode obs, String reference, ResultStatus status, Time time, boolean hemolyzed) {}

  /**
   * The Specimen an Observation of an analyte that hemolysis raises refers to ("Specimen/id"), when
   * it is a separate resource: the only specimens worth reading, since their condition can say
   * hemolyzed. Null otherwise.
   */
  public String hemolysisSpecimenReference(JsonNode obs) {
    JsonNode specimen = object(obs, "specimen");
    String reference = specimen == null ? null : text(specimen, "reference");
    if (reference == null || reference.startsWith("#")) {
      return null;
    }
    Optional<LoincEntry> entry = loinc(codeOf(obs));
    if (entry.isEmpty() || !labs.spec(entry.get().analyte()).hemolysisRaises()) {
      return null;
    }
    String relative = relativeReference(reference);
    return relative.startsWith("Specimen/") ? relative : null;
  }

  private static JsonNode codeOf(JsonNode element) {
    JsonNode code = element.get("code");
    return code != null && code.isObject() ? code : MissingNode.getInstance();
  }

  private Optional<LoincEntry> loinc(JsonNode code) {
    for (JsonNode coding : objects(code, "coding")) {
      String c = text(coding, "code");
      if (LabCatalog.LOINC_SYSTEM.equals(text(coding, "system")) && c != null) {
        Optional<LoincEntry> entry = labs.entry(c.trim());
        if (entry.isPresent()) {
          return entry;
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<ResultStatus> status(JsonNode obs) {
    String code = text(obs, "status");
    if (code == null || has(obs, "dataAbsentReason") && !has(obs, "component")) {
      return Optional.empty();
    }
    return switch (code) {
      case "final" -> Optional.of(ResultStatus.FINAL);
      case "amended" -> Optional.of(ResultStatus.AMENDED);
      case "corrected" -> Optional.of(ResultStatus.CORRECTED);
      case "preliminary" -> Optional.of(ResultStatus.PRELIMINARY);
      default -> Optional.empty();
    };
  }

  /** One result from an Observation or one of its components ({@code element}). */
  private Optional<LabResult> result(
      LoincEntry entry, JsonNode element, Source source, String identity, MappingReport report) {
    AnalyteSpec spec = labs.spec(entry.analyte());
    BigDecimal number;
    Comparator comparator;
    String unitText;
    String unitCode;
    JsonNode quantity = object(element, "valueQuantity");
    String string = text(element, "valueString");
    if (quantity != null && has(quantity, "value")) {
      number = decimal(quantity, "value", "Observation.valueQuantity.value");
      comparator = comparator(quantity, "Observation.valueQuantity.comparator");
      unitCode = text(quantity, "code");
      unitText = text(quantity, "unit");
    } else if (string != null) {
      Matcher m = CENSORED_STRING.matcher(string);
      if (!m.matches()) {
        report.skipped("text value that is not a number");
        return Optional.empty();
      }
      number = FhirJson.bounded(new BigDecimal(m.group(2)), "Observation.valueString");
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
    Time time = source.time();
    String dedupe =
        identity != null
            ? identity
            : entry.analyte().key()
                + "|"
                + FhirJson.instantText(time.instant())
                + "|"
                + canonical.toString();
    return Optional.of(
        new LabResult(
            source.reference(),
            entry.analyte(),
            entry.code(),
            canonical,
            reported,
            displayUnit,
            time.instant(),
            time.dateOnly(),
            source.status(),
            labRange(source.obs(), spec, factor.get()),
            flags(source.obs()),
            dedupe,
            source.hemolyzed()));
  }

  private static Comparator comparator(JsonNode quantity, String where) {
    String symbol = text(quantity, "comparator");
    if (symbol == null) {
      return Comparator.EXACT;
    }
    if (!RESULT_COMPARATORS.contains(symbol)) {
      throw new Malformed(where + " is not one of <, <=, >=, >");
    }
    return Comparator.fromSymbol(symbol);
  }

  private static String describe(JsonNode code) {
    for (JsonNode c : objects(code, "coding")) {
      String value = text(c, "code");
      if (value != null) {
        String system = text(c, "system");
        String display = text(c, "display");
        return (system != null ? system + "|" : "")
            + value
            + (display != null ? " (" + display + ")" : "");
      }
    }
    String text = text(code, "text");
    return text != null ? text : "(no code)";
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static ReferenceRange labRange(JsonNode obs, AnalyteSpec spec, UnitFactor resultFactor) {
    for (JsonNode range : objects(obs, "referenceRange")) {
      JsonNode type = object(range, "type");
      boolean normalType =
          type == null
              || objects(type, "coding").stream().anyMatch(c -> "normal".equals(text(c, "code")));
      if (!normalType || has(range, "appliesTo") || has(range, "age")) {
        continue;
      }
      try {
        JsonNode lowQuantity = object(range, "low");
        JsonNode highQuantity = object(range, "high");
        if (lowQuantity != null || highQuantity != null) {
          BigDecimal low = limit(lowQuantity, spec, resultFactor);
          BigDecimal high = limit(highQuantity, spec, resultFactor);
          if ((lowQuantity != null && low == null) || (highQuantity != null && high == null)) {
            continue;
          }
          return new ReferenceRange(low, high);
        }
        String text = text(range, "text");
        if (text != null) {
          Matcher m = RANGE_TEXT.matcher(text);
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

  private static BigDecimal limit(JsonNode q, AnalyteSpec spec, UnitFactor resultFactor) {
    if (q == null) {
      return null;
    }
    BigDecimal value = decimal(q, "value", "Observation.referenceRange limit");
    if (value == null) {
      return null;
    }
    String code = text(q, "code");
    String unit = text(q, "unit");
    Optional<UnitFactor> factor =
        blank(code) && blank(unit)
            ? Optional.of(resultFactor)
            : spec.factorFor(code).or(() -> spec.factorFor(unit));
    return factor.map(f -> f.apply(value)).orElse(null);
  }

  private static Set<Interpretation> flags(JsonNode obs) {
    Set<Interpretation> flags = EnumSet.noneOf(Interpretation.class);
    for (JsonNode concept : objects(obs, "interpretation")) {
      for (JsonNode coding : objects(concept, "coding")) {
        String system = text(coding, "system");
        String code = text(coding, "code");
        if ((V3_INTERPRETATION.equals(system)
                || V2_INTERPRETATION.equals(system)
                || V2_INTERPRETATION_STU3.equals(system))
            && code != null) {
          Interpretation.fromCode(code.trim()).ifPresent(flags::add);
        }
      }
    }
    return flags;
  }

  private static String identity(JsonNode obs) {
    for (JsonNode id : objects(obs, "identifier")) {
      String system = text(id, "system");
      String value = text(id, "value");
      if (system != null && value != null) {
        return "identifier|" + system + "|" + value;
      }
    }
    return null;
  }

  /**
   * Collection time: effective[x] (a period's end, else its start); report time as a last resort.
   */
  private static Time clinicalTime(JsonNode obs) {
    Time effective = FhirJson.time(obs, "effectiveDateTime", "Observation.effectiveDateTime");
    if (effective != null) {
      return effective;
    }
    JsonNode period = object(obs, "effectivePeriod");
    if (period != null) {
      Time end = FhirJson.time(period, "end", "Observation.effectivePeriod.end");
      if (end != null) {
        return end;
      }
      Time start = FhirJson.time(period, "start", "Observation.effectivePeriod.start");
      if (start != null) {
        return start;
      }
    }
    Time instant = FhirJson.time(obs, "effectiveInstant", "Observation.effectiveInstant");
    if (instant != null) {
      return instant;
    }
    Time issued = FhirJson.time(obs, "issued", "Observation.issued");
    return issued == null ? null : new Time(issued.instant(), false);
  }

  // ---- Medications --------------------------------------------------------------------------

  /**
   * An active MedicationRequest or MedicationStatement as an exposure; empty for any other
   * resource, or one that is stopped, completed, refused or only proposed.
   *
   * @param medications Medication resources by "Medication/id", for medicationReference
   */
  public Optional<MedicationExposure> medication(
      JsonNode resource, Map<String, JsonNode> medications) {
    String type = resourceType(resource);
    String status = text(resource, "status");
    Instant start;
    if ("MedicationRequest".equals(type)) {
      if (status != null && !ACTIVE_REQUEST.contains(status)
          || "proposal".equals(text(resource, "intent"))) {
        return Optional.empty();
      }
      start = instant(resource, "authoredOn", "MedicationRequest.authoredOn");
    } else if ("MedicationStatement".equals(type)) {
      if (status != null && !ACTIVE_STATEMENT.contains(status)) {
        return Optional.empty();
      }
      start = statementStart(resource);
    } else {
      return Optional.empty();
    }
    return Optional.of(exposure(type, resource, start, medications));
  }

  private static final Set<String> ENDED_REQUEST = Set.of("completed", "stopped");

  /**
   * An ended order (completed or stopped MedicationRequest) as the exposure it was while it ran,
   * with {@code start} its authoredOn: the history a current order's real start is read from. Empty
   * for anything else, including orders cancelled or entered in error (never taken) and proposals.
   */
  public Optional<MedicationExposure> pastMedication(
      JsonNode resource, Map<String, JsonNode> medications) {
    if (!"MedicationRequest".equals(resourceType(resource))
        || !ENDED_REQUEST.contains(text(resource, "status"))
        || "proposal".equals(text(resource, "intent"))
        || "plan".equals(text(resource, "intent"))) {
      return Optional.empty();
    }
    Instant authored = instant(resource, "authoredOn", "MedicationRequest.authoredOn");
    if (authored == null) {
      return Optional.empty();
    }
    return Optional.of(exposure("MedicationRequest", resource, authored, medications));
  }

  /**
   * A completed MedicationDispense as the supply it handed over: the drug (recognised like an
   * order's: RxNorm, ATC or text, via medicationReference too), {@code start} when it was handed
   * over (else prepared), the days it covers ({@code daysSupply}; null when it does not say), and
   * the orders it fills ({@code authorizingPrescription}). Empty for any other resource, a dispense
   * not completed (in preparation, cancelled, declined, stopped, entered in error) or one without a
   * date.
   *
   * @param medications Medication resources by "Medication/id", for medicationReference
   */
  public Optional<MedicationHistory.Dispense> dispense(
      JsonNode resource, Map<String, JsonNode> medications) {
    if (!"MedicationDispense".equals(resourceType(resource))
        || !"completed".equals(text(resource, "status"))) {
      return Optional.empty();
    }
    Instant handedOver = instant(resource, "whenHandedOver", "MedicationDispense.whenHandedOver");
    if (handedOver == null) {
      handedOver = instant(resource, "whenPrepared", "MedicationDispense.whenPrepared");
    }
    if (handedOver == null) {
      return Optional.empty();
    }
    List<String> orders = new ArrayList<>();
    for (JsonNode reference : objects(resource, "authorizingPrescription")) {
      String ref = text(reference, "reference");
      if (ref != null && !ref.startsWith("#")) {
        orders.add(relativeReference(ref));
      }
    }
    return Optional.of(
        new MedicationHistory.Dispense(
            exposure("MedicationDispense", resource, handedOver, medications),
            daysSupply(object(resource, "daysSupply")),
            orders));
  }

  /** A dispense's daysSupply (a Quantity in days, weeks or months) in whole days, or null. */
  static Integer daysSupply(JsonNode quantity) {
    if (quantity == null) {
      return null;
    }
    BigDecimal value = FhirJson.decimal(quantity, "value", "MedicationDispense.daysSupply.value");
    if (value == null || value.signum() < 0) {
      return null;
    }
    String unit = text(quantity, "code") != null ? text(quantity, "code") : text(quantity, "unit");
    double days =
        switch (unit == null ? "d" : unit.toLowerCase(java.util.Locale.ROOT)) {
          case "d", "day", "days" -> value.doubleValue();
          case "wk", "week", "weeks" -> value.doubleValue() * 7;
          case "mo", "month", "months" -> value.doubleValue() * DAYS_PER_MONTH;
          default -> -1;
        };
    return days < 0 ? null : (int) Math.round(Math.min(days, 3_650));
  }

  /**
   * A MedicationRequest of a hook's draftOrders, as the order being written: its drug (recognised
   * like any medication: RxNorm, ATC or text), the order it renews, the supply it covers, and a
   * fingerprint of what the rules read of it.
   *
   * @param medications Medication resources by "Medication/id", for medicationReference
   */
  public DraftOrder draftOrder(JsonNode request, Map<String, JsonNode> medications) {
    MedicationExposure exposure = exposure("MedicationRequest", request, null, medications);
    return new DraftOrder(
        exposure.reference(),
        exposure.description(),
        exposure.ingredients(),
        priorPrescription(request),
        expectedDays(request),
        fingerprint(request));
  }

  /** Days a month of supply counts for, when an order gives its supply in months. */
  private static final int DAYS_PER_MONTH = 30;

  /**
   * The days of supply an order covers, refills included: expectedSupplyDuration times (1 +
   * numberOfRepeatsAllowed), else the validity period, else 30 days a fill when only refills are
   * given (the usual US fill); null when the order says nothing of its length.
   */
  static Integer expectedDays(JsonNode request) {
    JsonNode dispense = object(request, "dispenseRequest");
    if (dispense == null) {
      return null;
    }
    String repeatsText = text(dispense, "numberOfRepeatsAllowed");
    int repeats = 0;
    if (repeatsText != null) {
      try {
        repeats = Math.max(0, Integer.parseInt(repeatsText));
      } catch (NumberFormatException e) {
        repeats = 0;
      }
    }
    JsonNode supply = object(dispense, "expectedSupplyDuration");
    if (supply != null) {
      BigDecimal value = FhirJson.decimal(supply, "value", "Duration.value");
      String unit = text(supply, "code") != null ? text(supply, "code") : text(supply, "unit");
      if (value != null && unit != null) {
        double days =
            switch (unit.toLowerCase(java.util.Locale.ROOT)) {
              case "d", "day", "days" -> value.doubleValue();
              case "wk", "week", "weeks" -> value.doubleValue() * 7;
              case "mo", "month", "months" -> value.doubleValue() * DAYS_PER_MONTH;
              default -> -1;
            };
        if (days >= 0) {
          return (int) Math.round(days * (1 + repeats));
        }
      }
    }
    JsonNode validity = object(dispense, "validityPeriod");
    if (validity != null) {
      Time start = FhirJson.time(validity, "start", "MedicationRequest.dispenseRequest.validity");
      Time end = FhirJson.time(validity, "end", "MedicationRequest.dispenseRequest.validity");
      if (start != null && end != null) {
        return (int) Duration.between(start.instant(), end.instant()).toDays();
      }
    }
    return repeatsText == null ? null : DAYS_PER_MONTH * (1 + repeats);
  }

  /**
   * A digest of what the rules read of an order: drug, dosage (route), supply, status, intent and
   * the order it renews. The same draft sent again (at order-sign after order-select) has the same
   * fingerprint; a changed drug, route or supply gives another.
   */
  static String fingerprint(JsonNode request) {
    StringBuilder content = new StringBuilder();
    for (String field :
        List.of(
            "medicationCodeableConcept",
            "medicationReference",
            "dosageInstruction",
            "dispenseRequest",
            "status",
            "intent",
            "priorPrescription",
            "contained")) {
      JsonNode value = request.get(field);
      content.append(field).append('=').append(value == null ? "" : value.toString()).append('\n');
    }
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(content.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The order this one renews ({@code priorPrescription}), as "MedicationRequest/id", or null. */
  public static String priorPrescription(JsonNode request) {
    JsonNode prior = object(request, "priorPrescription");
    String reference = prior == null ? null : text(prior, "reference");
    return reference == null || reference.startsWith("#") ? null : relativeReference(reference);
  }

  private static Instant statementStart(JsonNode statement) {
    JsonNode period = object(statement, "effectivePeriod");
    Instant start =
        period == null ? null : instant(period, "start", "MedicationStatement.effectivePeriod");
    if (start != null) {
      return start;
    }
    if (period == null) {
      start = instant(statement, "effectiveDateTime", "MedicationStatement.effectiveDateTime");
      if (start != null) {
        return start;
      }
    }
    return instant(statement, "dateAsserted", "MedicationStatement.dateAsserted");
  }

  private MedicationExposure exposure(
      String type, JsonNode source, Instant start, Map<String, JsonNode> medications) {
    List<CodeRef> codings = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<CodeRef> routes = new ArrayList<>();
    for (JsonNode dosage : objects(source, dosageField(type))) {
      routeAndForm(object(dosage, "route"), routes);
    }
    JsonNode concept = object(source, "medicationCodeableConcept");
    JsonNode reference = object(source, "medicationReference");
    if (concept != null) {
      collect(concept, codings, texts);
    } else if (reference != null) {
      String display = text(reference, "display");
      if (display != null) {
        texts.add(display);
      }
      JsonNode resolved = resolve(reference, source, medications);
      if (resolved != null) {
        routeAndForm(object(resolved, "form"), routes);
        JsonNode code = object(resolved, "code");
        if (code != null) {
          collect(code, codings, texts);
        }
        for (JsonNode ingredient : objects(resolved, "ingredient")) {
          JsonNode item = object(ingredient, "itemCodeableConcept");
          if (item != null) {
            collect(item, codings, texts);
          }
        }
      }
    }
    String description =
        texts.stream()
            .filter(t -> !t.isBlank())
            .findFirst()
            .orElse(
                codings.stream()
                    .map(CodeRef::display)
                    .filter(d -> d != null)
                    .findFirst()
                    .orElse("medication"));
    String ref = id(source) == null ? null : type + "/" + id(source);
    return new MedicationExposure(ref, description, start, drugs.recognise(codings, texts, routes));
  }

  /** MedicationRequest and MedicationDispense.dosageInstruction, MedicationStatement.dosage. */
  private static String dosageField(String type) {
    return "MedicationStatement".equals(type) ? "dosage" : "dosageInstruction";
  }

  /** A dosage route or a Medication.form, as codings (a text as a display without a code). */
  private static void routeAndForm(JsonNode concept, List<CodeRef> into) {
    if (concept == null) {
      return;
    }
    for (JsonNode c : objects(concept, "coding")) {
      into.add(new CodeRef(text(c, "system"), text(c, "code"), text(c, "display")));
    }
    String text = text(concept, "text");
    if (text != null) {
      into.add(new CodeRef(null, null, text));
    }
  }

  private static JsonNode resolve(
      JsonNode reference, JsonNode source, Map<String, JsonNode> medications) {
    String ref = text(reference, "reference");
    if (ref == null) {
      return null;
    }
    if (ref.startsWith("#")) {
      for (JsonNode contained : objects(source, "contained")) {
        if ("Medication".equals(resourceType(contained))
            && ref.substring(1).equals(id(contained))) {
          return contained;
        }
      }
      return null;
    }
    return medications.get(relativeReference(ref));
  }

  /** "http://x/fhir/Medication/5/_history/2" and "Medication/5" both become "Medication/5". */
  static String relativeReference(String ref) {
    int slash = ref.indexOf('/');
    if (slash > 0 && slash == ref.lastIndexOf('/') && Character.isUpperCase(ref.charAt(0))) {
      return ref; // already "Type/id", as almost every reference is
    }
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

  /** The relative reference ("Patient/1") of {@code field}'s Reference, or null. */
  static String referenceOf(JsonNode resource, String field) {
    JsonNode reference = object(resource, field);
    String ref = reference == null ? null : text(reference, "reference");
    return ref == null ? null : relativeReference(ref);
  }

  private static void collect(JsonNode concept, List<CodeRef> codings, List<String> texts) {
    for (JsonNode c : objects(concept, "coding")) {
      codings.add(new CodeRef(text(c, "system"), text(c, "code"), text(c, "display")));
    }
    String text = text(concept, "text");
    if (text != null) {
      texts.add(text);
    }
  }

  private static boolean codeIn(JsonNode coding, Set<String> codes) {
    String code = text(coding, "code");
    return code != null && codes.contains(code);
  }

  private static Instant instant(JsonNode parent, String field, String where) {
    Time time = FhirJson.time(parent, field, where);
    return time == null ? null : time.instant();
  }

  // ---- Conditions, orders, patient -----------------------------------------------------------

  public Optional<ConditionRecord> condition(JsonNode condition) {
    JsonNode clinical = object(condition, "clinicalStatus");
    if (clinical != null
        && objects(clinical, "coding").stream().noneMatch(c -> codeIn(c, ACTIVE_CONDITION))) {
      return Optional.empty();
    }
    JsonNode verification = object(condition, "verificationStatus");
    if (verification != null
        && objects(verification, "coding").stream().anyMatch(c -> codeIn(c, REFUTED))) {
      return Optional.empty();
    }
    List<CodeRef> codes = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    collect(codeOf(condition), codes, texts);
    Instant recorded = instant(condition, "recordedDate", "Condition.recordedDate");
    if (recorded == null) {
      recorded = instant(condition, "onsetDateTime", "Condition.onsetDateTime");
    }
    String description =
        texts.isEmpty()
            ? codes.stream().map(CodeRef::display).filter(d -> d != null).findFirst().orElse(null)
            : texts.get(0);
    String ref = id(condition) == null ? null : "Condition/" + id(condition);
    return Optional.of(
        new ConditionRecord(ref, description, codes, recorded, conditions.recognise(codes)));
  }

  public Optional<PendingOrder> pendingOrder(JsonNode request) {
    String status = text(request, "status");
    if (status == null || !PENDING_ORDER.contains(status)) {
      return Optional.empty();
    }
    Set<String> loinc = new LinkedHashSet<>();
    for (JsonNode c : objects(codeOf(request), "coding")) {
      String code = text(c, "code");
      if (LabCatalog.LOINC_SYSTEM.equals(text(c, "system")) && code != null) {
        loinc.add(code.trim());
      }
    }
    if (loinc.isEmpty()) {
      return Optional.empty();
    }
    String ref = id(request) == null ? null : "ServiceRequest/" + id(request);
    return Optional.of(
        new PendingOrder(ref, loinc, instant(request, "authoredOn", "ServiceRequest.authoredOn")));
  }

  public Demographics demographics(JsonNode patient) {
    LocalDate birth = FhirJson.date(patient, "birthDate", "Patient.birthDate");
    return new Demographics(birth, text(patient, "gender"));
  }
}
