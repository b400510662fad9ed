package org.mineralcds.rules;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.CodeRef;
import org.mineralcds.clinical.Comparator;
import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Demographics;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.Interpretation;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.Measurement;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.clinical.ReferenceRange;
import org.mineralcds.clinical.ResultStatus;

/**
 * Test builders for domain records. Values are in canonical units; times are relative to {@link
 * #NOW}.
 */
public final class Labs {

  /** The fixed evaluation time of every rule test. */
  public static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

  /** Main LOINC code and canonical unit per analyte, as the FHIR mapper would report them. */
  private static final Map<Analyte, String[]> CODE_AND_UNIT =
      Map.ofEntries(
          Map.entry(Analyte.POTASSIUM, new String[] {"2823-3", "mmol/L"}),
          Map.entry(Analyte.MAGNESIUM, new String[] {"19123-9", "mg/dL"}),
          Map.entry(Analyte.CALCIUM_TOTAL, new String[] {"17861-6", "mg/dL"}),
          Map.entry(Analyte.CALCIUM_IONIZED, new String[] {"1994-3", "mmol/L"}),
          Map.entry(Analyte.ALBUMIN, new String[] {"1751-7", "g/dL"}),
          Map.entry(Analyte.PHOSPHATE, new String[] {"2777-1", "mg/dL"}),
          Map.entry(Analyte.CREATININE, new String[] {"2160-0", "mg/dL"}),
          Map.entry(Analyte.EGFR, new String[] {"98979-8", "mL/min/{1.73_m2}"}),
          Map.entry(Analyte.PTH, new String[] {"2731-8", "pg/mL"}),
          Map.entry(Analyte.TSH, new String[] {"3016-3", "mIU/L"}),
          Map.entry(Analyte.FREE_T4, new String[] {"3024-7", "ng/dL"}),
          Map.entry(Analyte.VITAMIN_D, new String[] {"62292-8", "ng/mL"}),
          Map.entry(Analyte.CK, new String[] {"2157-6", "U/L"}));

  private Labs() {}

  /** A final result of {@code value} (canonical unit) collected {@code daysAgo} days before NOW. */
  public static Lab result(Analyte analyte, String value, int daysAgo) {
    return new Lab(analyte, value, Duration.ofDays(daysAgo));
  }

  public static PatientBuilder patient() {
    return new PatientBuilder();
  }

  /** Builder for one {@link LabResult}. */
  public static final class Lab {
    private final Analyte analyte;
    private final String value;
    private Duration age;
    private Comparator comparator = Comparator.EXACT;
    private ReferenceRange range;
    private final Set<Interpretation> flags = EnumSet.noneOf(Interpretation.class);
    private ResultStatus status = ResultStatus.FINAL;
    private String reference;
    private boolean noReference;
    private boolean hemolyzed;
    private String reportedValue;
    private String reportedUnit;

    private Lab(Analyte analyte, String value, Duration age) {
      this.analyte = analyte;
      this.value = value;
      this.age = age;
    }

    /** Collected this many hours earlier than the whole number of days given. */
    public Lab hoursEarlier(int hours) {
      age = age.plusHours(hours);
      return this;
    }

    public Lab comparator(Comparator c) {
      comparator = c;
      return this;
    }

    /** The lab's own reference range (canonical unit); either end may be null. */
    public Lab range(String low, String high) {
      range =
          new ReferenceRange(
              low == null ? null : new BigDecimal(low), high == null ? null : new BigDecimal(high));
      return this;
    }

    /** Lab flags by HL7 code: N, L, H, LL, HH, A, AA. */
    public Lab flags(String... codes) {
      for (String code : codes) {
        flags.add(
            Interpretation.fromCode(code)
                .orElseThrow(() -> new IllegalArgumentException("unknown flag " + code)));
      }
      return this;
    }

    public Lab status(ResultStatus s) {
      status = s;
      return this;
    }

    /** As the lab reported it, in another accepted unit (the value above stays canonical). */
    public Lab reported(String value, String unit) {
      reportedValue = value;
      reportedUnit = unit;
      return this;
    }

    public Lab reference(String ref) {
      reference = ref;
      return this;
    }

    /** The lab marked the specimen hemolyzed. */
    public Lab hemolyzed() {
      hemolyzed = true;
      return this;
    }

    /** The resource had no id: suggestions then carry no reasonReference. */
    public Lab withoutReference() {
      noReference = true;
      return this;
    }

    public Instant effective() {
      return NOW.minus(age);
    }

    public LabResult build(String defaultReference) {
      String[] codeAndUnit = CODE_AND_UNIT.get(analyte);
      String ref = noReference ? null : reference != null ? reference : defaultReference;
      String identity =
          ref != null ? ref : String.join("|", analyte.key(), effective().toString(), value);
      return new LabResult(
          ref,
          analyte,
          codeAndUnit[0],
          new Measurement(new BigDecimal(value), comparator),
          comparator.symbol() + (reportedValue != null ? reportedValue : value),
          reportedUnit != null ? reportedUnit : codeAndUnit[1],
          effective(),
          false,
          status,
          range,
          flags,
          identity,
          hemolyzed);
    }
  }

  /** Builder for a {@link PatientRecord}; age unknown (treated as adult) unless set. */
  public static final class PatientBuilder {
    private String id = "patient-1";
    private Integer age;
    private final List<Lab> labs = new ArrayList<>();
    private final List<MedicationExposure> medications = new ArrayList<>();
    private final List<ConditionRecord> conditions = new ArrayList<>();
    private final List<PendingOrder> pending = new ArrayList<>();

    private PatientBuilder() {}

    public PatientBuilder id(String patientId) {
      id = patientId;
      return this;
    }

    /** Age in whole years on NOW (birthday 30 days before the anniversary). */
    public PatientBuilder age(int years) {
      age = years;
      return this;
    }

    public PatientBuilder lab(Lab... results) {
      labs.addAll(List.of(results));
      return this;
    }

    /** An active medication recognised by name from the drug catalog. */
    public PatientBuilder medication(DrugCatalog drugs, String name) {
      Set<Ingredient> ingredients = drugs.recognise(List.of(), List.of(name));
      if (ingredients.isEmpty()) {
        throw new IllegalArgumentException("drug catalog does not recognise '" + name + "'");
      }
      medications.add(
          new MedicationExposure(
              "MedicationRequest/" + name.replace(' ', '-'),
              name + " tablet",
              NOW.minus(Duration.ofDays(90)),
              ingredients));
      return this;
    }

    /**
     * An active medication recognised by name from the drug catalog, ordered or started {@code
     * startedDaysAgo} days before NOW; null means the source gives no start date.
     */
    public PatientBuilder medication(DrugCatalog drugs, String name, Integer startedDaysAgo) {
      Set<Ingredient> ingredients = drugs.recognise(List.of(), List.of(name));
      if (ingredients.isEmpty()) {
        throw new IllegalArgumentException("drug catalog does not recognise '" + name + "'");
      }
      String base = "MedicationRequest/" + name.replace(' ', '-');
      String reference =
          medications.stream().anyMatch(m -> m.reference().equals(base))
              ? base + "-" + (medications.size() + 1)
              : base;
      medications.add(
          new MedicationExposure(
              reference,
              name + " tablet",
              startedDaysAgo == null ? null : NOW.minus(Duration.ofDays(startedDaysAgo)),
              ingredients));
      return this;
    }

    /**
     * An active coded problem, recorded {@code recordedDaysAgo} days before NOW (null: no date).
     *
     * @param system {@code icd10} (ICD-10-CM) or {@code snomed} (SNOMED CT)
     * @throws IllegalArgumentException when no condition set of the catalog recognises the code
     */
    public PatientBuilder condition(
        ConditionCatalog catalog, String system, String code, Integer recordedDaysAgo) {
      String uri =
          switch (system) {
            case "icd10" -> ConditionSet.ICD10CM_SYSTEM;
            case "snomed" -> ConditionSet.SNOMED_SYSTEM;
            default ->
                throw new IllegalArgumentException(
                    "condition system must be icd10 or snomed, not '" + system + "'");
          };
      List<CodeRef> codes = List.of(new CodeRef(uri, code, null));
      Set<ConditionSet> sets = catalog.recognise(codes);
      if (sets.isEmpty()) {
        throw new IllegalArgumentException(
            "no condition set recognises " + system + " code '" + code + "'");
      }
      conditions.add(
          new ConditionRecord(
              "Condition/" + system + "-" + code.replace('.', '-'),
              null,
              codes,
              recordedDaysAgo == null ? null : NOW.minus(Duration.ofDays(recordedDaysAgo)),
              sets));
      return this;
    }

    /** A pending (active, not resulted) lab order with these LOINC codes. */
    public PatientBuilder pending(String... loincCodes) {
      pending.add(
          new PendingOrder(
              "ServiceRequest/pending-" + (pending.size() + 1),
              Set.of(loincCodes),
              NOW.minus(Duration.ofDays(1))));
      return this;
    }

    public PatientRecord build() {
      LocalDate birthDate =
          age == null
              ? null
              : LocalDate.ofInstant(NOW, ZoneOffset.UTC).minusYears(age).minusDays(30);
      List<LabResult> results = new ArrayList<>();
      for (int i = 0; i < labs.size(); i++) {
        results.add(labs.get(i).build("Observation/lab-" + (i + 1)));
      }
      return new PatientRecord(
          id,
          new Demographics(birthDate, null),
          results,
          medications,
          conditions,
          pending,
          Set.of());
    }
  }
}
