package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationDispense;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.MedicationRequest.MedicationRequestIntent;
import org.hl7.fhir.r4.model.MedicationRequest.MedicationRequestStatus;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.MedicationStatement.MedicationStatementStatus;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Observation.ObservationReferenceRangeComponent;
import org.hl7.fhir.r4.model.Observation.ObservationStatus;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.ServiceRequest.ServiceRequestStatus;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.Comparator;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Demographics;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.Interpretation;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.clinical.ResultStatus;
import org.mineralcds.hook.HookJson;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;

/** Normalisation at the FHIR boundary, against the real knowledge in hooks/mineral-balance. */
class R4MapperTest {

  private static final Knowledge KNOWLEDGE =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final R4Mapper MAPPER =
      new R4Mapper(KNOWLEDGE.labs(), KNOWLEDGE.drugs(), KNOWLEDGE.conditions());

  private static final ObjectMapper JSON = HookJson.newMapper();
  private static final String LOINC = "http://loinc.org";
  private static final String UCUM = "http://unitsofmeasure.org";
  private static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
  private static final String ATC = "http://www.whocc.no/atc";
  private static final String ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm";
  private static final String SNOMED = "http://snomed.info/sct";
  private static final String V3_INTERPRETATION =
      "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  private static final String V2_0078_LEGACY = "http://hl7.org/fhir/v2/0078";
  private static final String V2_0078_R4 = "http://terminology.hl7.org/CodeSystem/v2-0078";

  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  private static final String COLLECTED = "2026-11-18T08:30:00Z";

  // ---- helpers ------------------------------------------------------------------------------

  private static Observation observation(String loinc, Type value) {
    Observation obs = new Observation();
    obs.setId("obs-1");
    obs.setStatus(ObservationStatus.FINAL);
    obs.getCode().addCoding(new Coding(LOINC, loinc, null));
    obs.setEffective(new DateTimeType(COLLECTED));
    obs.setValue(value);
    return obs;
  }

  private static Quantity ucum(String value, String unit) {
    return new Quantity()
        .setValue(new BigDecimal(value))
        .setUnit(unit)
        .setSystem(UCUM)
        .setCode(unit);
  }

  /** The resource as the mapper reads it: FHIR R4 JSON, as HAPI writes it. */
  private static JsonNode json(Resource resource) {
    try {
      return JSON.readTree(
          FhirContext.forR4Cached().newJsonParser().encodeResourceToString(resource));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Map<String, JsonNode> json(Map<String, ? extends Resource> resources) {
    return resources.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> json(e.getValue())));
  }

  private static List<LabResult> map(Observation obs) {
    return MAPPER.labResults(json(obs), NOW);
  }

  private static LabResult single(Observation obs) {
    List<LabResult> results = map(obs);
    assertThat(results).hasSize(1);
    return results.get(0);
  }

  private static BigDecimal rounded(BigDecimal value, int places) {
    return value.setScale(places, RoundingMode.HALF_UP);
  }

  private static Set<String> names(Set<Ingredient> ingredients) {
    return ingredients.stream().map(Ingredient::name).collect(Collectors.toSet());
  }

  // ---- units --------------------------------------------------------------------------------

  /** One unit spelling of analytes.yaml, a value in it, and the canonical value (3 dp). */
  record UnitCase(Analyte analyte, String loinc, String value, String unit, String canonical) {
    @Override
    public String toString() {
      return analyte.key() + " " + value + " " + unit + " -> " + canonical;
    }
  }

  private static final List<UnitCase> UNIT_CASES =
      List.of(
          new UnitCase(Analyte.POTASSIUM, "2823-3", "4.2", "mmol/L", "4.200"),
          new UnitCase(Analyte.POTASSIUM, "2823-3", "4.2", "meq/L", "4.200"),
          new UnitCase(Analyte.POTASSIUM, "6298-4", "4.2", "mEq/L", "4.200"),
          new UnitCase(Analyte.MAGNESIUM, "19123-9", "2.0", "mg/dL", "2.000"),
          new UnitCase(Analyte.MAGNESIUM, "19123-9", "2.0", "mg/dl", "2.000"),
          new UnitCase(Analyte.MAGNESIUM, "2601-3", "0.55", "mmol/L", "1.337"),
          new UnitCase(Analyte.MAGNESIUM, "2601-3", "1.0", "meq/L", "1.215"),
          new UnitCase(Analyte.MAGNESIUM, "2593-2", "1.0", "mEq/L", "1.215"),
          new UnitCase(Analyte.CALCIUM_TOTAL, "17861-6", "9.5", "mg/dL", "9.500"),
          new UnitCase(Analyte.CALCIUM_TOTAL, "2000-8", "2.5", "mmol/L", "10.020"),
          new UnitCase(Analyte.CALCIUM_TOTAL, "2000-8", "5.0", "meq/L", "10.020"),
          new UnitCase(Analyte.CALCIUM_TOTAL, "49765-1", "5.0", "mEq/L", "10.020"),
          new UnitCase(Analyte.CALCIUM_IONIZED, "1994-3", "1.2", "mmol/L", "1.200"),
          new UnitCase(Analyte.CALCIUM_IONIZED, "17863-2", "5.0", "mg/dL", "1.248"),
          new UnitCase(Analyte.CALCIUM_IONIZED, "1995-0", "2.4", "meq/L", "1.200"),
          new UnitCase(Analyte.CALCIUM_IONIZED, "47596-2", "2.4", "mEq/L", "1.200"),
          new UnitCase(Analyte.ALBUMIN, "1751-7", "3.5", "g/dL", "3.500"),
          new UnitCase(Analyte.ALBUMIN, "61151-7", "35", "g/L", "3.500"),
          new UnitCase(Analyte.PHOSPHATE, "2777-1", "3.0", "mg/dL", "3.000"),
          new UnitCase(Analyte.PHOSPHATE, "14879-1", "1.0", "mmol/L", "3.097"),
          new UnitCase(Analyte.CREATININE, "2160-0", "1.1", "mg/dL", "1.100"),
          new UnitCase(Analyte.CREATININE, "14682-9", "88.4", "umol/L", "1.000"),
          new UnitCase(Analyte.EGFR, "98979-8", "60", "mL/min/{1.73_m2}", "60.000"),
          new UnitCase(Analyte.EGFR, "62238-1", "60", "mL/min/1.73m2", "60.000"),
          new UnitCase(Analyte.EGFR, "33914-3", "60", "mL/min/{1.73m2}", "60.000"),
          new UnitCase(Analyte.EGFR, "98979-8", "60", "mL/min/1.73_m2", "60.000"),
          // Synthea (and some laboratory systems) label these per-1.73 m2 codes "mL/min".
          new UnitCase(Analyte.EGFR, "33914-3", "45.2", "mL/min", "45.200"),
          new UnitCase(Analyte.PTH, "2731-8", "40", "pg/mL", "40.000"),
          new UnitCase(Analyte.PTH, "2731-8", "40", "ng/L", "40.000"),
          new UnitCase(Analyte.PTH, "14866-8", "1.0", "pmol/L", "9.425"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "m[IU]/L", "2.000"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "mIU/L", "2.000"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "mU/L", "2.000"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "u[IU]/mL", "2.000"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "uIU/mL", "2.000"),
          new UnitCase(Analyte.TSH, "11580-8", "2.0", "uU/mL", "2.000"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "\u00b5IU/mL", "2.000"),
          new UnitCase(Analyte.TSH, "3016-3", "2.0", "\u03bcIU/mL", "2.000"),
          new UnitCase(Analyte.FREE_T4, "3024-7", "1.2", "ng/dL", "1.200"),
          new UnitCase(Analyte.FREE_T4, "14920-3", "12.87", "pmol/L", "1.000"),
          new UnitCase(Analyte.VITAMIN_D, "62292-8", "30", "ng/mL", "30.000"),
          new UnitCase(Analyte.VITAMIN_D, "1989-3", "30", "ug/L", "30.000"),
          new UnitCase(Analyte.VITAMIN_D, "14635-7", "30", "nmol/L", "12.019"),
          new UnitCase(Analyte.CK, "2157-6", "100", "U/L", "100.000"),
          new UnitCase(Analyte.CK, "2157-6", "100", "IU/L", "100.000"),
          new UnitCase(Analyte.CK, "2157-6", "100", "[IU]/L", "100.000"),
          new UnitCase(Analyte.CK, "2157-6", "2", "ukat/L", "120.000"));

  /**
   * Unit spellings deliberately not in UNIT_CASES: TSH "[IU]/L" carries the factor 0.001 in
   * analytes.yaml, but 1 [IU]/L is 1000 mIU/L (see {@link
   * #tshInInternationalUnitsPerLitreIsMultipliedByAThousand}).
   */
  private static final Set<String> KNOWN_WRONG_UNITS = Set.of("tsh [iu]/l");

  static Stream<UnitCase> unitCases() {
    return UNIT_CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unitCases")
  void everyListedUnitIsConvertedToTheCanonicalUnit(UnitCase c) {
    LabResult result = single(observation(c.loinc(), ucum(c.value(), c.unit())));

    assertThat(result.analyte()).isEqualTo(c.analyte());
    assertThat(result.loincCode()).isEqualTo(c.loinc());
    assertThat(rounded(result.value().exactValue(), 3)).isEqualByComparingTo(c.canonical());
    assertThat(result.reportedValue()).isEqualTo(c.value());
    assertThat(result.reportedUnit()).isEqualTo(c.unit());
  }

  @Test
  void unitCasesCoverEveryUnitSpellingOfEveryAnalyte() {
    List<String> uncovered = new ArrayList<>();
    for (Analyte analyte : Analyte.values()) {
      AnalyteSpec spec = KNOWLEDGE.labs().spec(analyte);
      for (String unit : spec.units().keySet()) {
        boolean covered =
            UNIT_CASES.stream()
                .anyMatch(
                    c ->
                        c.analyte() == analyte && AnalyteSpec.normaliseUnit(c.unit()).equals(unit));
        if (!covered && !KNOWN_WRONG_UNITS.contains(analyte.key() + " " + unit)) {
          uncovered.add(analyte.key() + " " + unit);
        }
      }
    }
    assertThat(uncovered).isEmpty();
  }

  @Test
  void magnesiumInMmolPerLitreIsConvertedExactlyToMgPerDeciliter() {
    LabResult result = single(observation("2601-3", ucum("0.55", "mmol/L")));

    assertThat(result.value().exactValue()).isEqualByComparingTo("1.336775");
    assertThat(result.value().comparator()).isEqualTo(Comparator.EXACT);
  }

  @Test
  void ionizedCalciumInMgPerDeciliterIsDividedByTheMolarMass() {
    LabResult result = single(observation("17863-2", ucum("5.0", "mg/dL")));

    assertThat(rounded(result.value().exactValue(), 4)).isEqualByComparingTo("1.2475");
  }

  @Test
  void vitaminDOf30NmolPerLitreIsJustAbove12NgPerMl() {
    LabResult result = single(observation("14635-7", ucum("30", "nmol/L")));

    assertThat(rounded(result.value().exactValue(), 5)).isEqualByComparingTo("12.01923");
    assertThat(result.value().isBelow(new BigDecimal("12"))).isFalse();
    assertThat(result.value().isAtLeast(new BigDecimal("12"))).isTrue();
  }

  @Test
  void tshInInternationalUnitsPerLitreIsMultipliedByAThousand() {
    LabResult result = single(observation("3016-3", ucum("0.002", "[IU]/L")));

    assertThat(result.value().exactValue()).isEqualByComparingTo("2");
  }

  @Test
  void unitOnlyInUnitNotCodeIsRecognised() {
    Quantity q = new Quantity().setValue(new BigDecimal("0.55")).setUnit("mmol/L");

    LabResult result = single(observation("2601-3", q));

    assertThat(rounded(result.value().exactValue(), 3)).isEqualByComparingTo("1.337");
    assertThat(result.reportedUnit()).isEqualTo("mmol/L");
  }

  @Test
  void unitOnlyInCodeNotUnitIsRecognised() {
    Quantity q = new Quantity().setValue(new BigDecimal("2.5")).setSystem(UCUM).setCode("mmol/L");

    LabResult result = single(observation("2000-8", q));

    assertThat(rounded(result.value().exactValue(), 2)).isEqualByComparingTo("10.02");
    assertThat(result.reportedUnit()).isEqualTo("mmol/L");
  }

  @Test
  void unknownUnitGivesNoResult() {
    assertThat(map(observation("2601-3", ucum("0.8", "mmol/dL")))).isEmpty();
    assertThat(map(observation("2823-3", ucum("4.0", "mg/dL")))).isEmpty();
  }

  @Test
  void noUnitUsesUnitWhenMissingForCodesThatDeclareIt() {
    Quantity q = new Quantity().setValue(new BigDecimal("30"));

    LabResult result = single(observation("62292-8", q));

    assertThat(result.value().exactValue()).isEqualByComparingTo("30");
    assertThat(result.reportedUnit()).isEqualTo("ng/mL");
  }

  @Test
  void noUnitUsesTheMolarUnitWhenMissingForMolarCodes() {
    LabResult result =
        single(observation("14635-7", new Quantity().setValue(new BigDecimal("30"))));

    assertThat(rounded(result.value().exactValue(), 3)).isEqualByComparingTo("12.019");
    assertThat(result.reportedUnit()).isEqualTo("nmol/L");
  }

  @Test
  void noUnitGivesNoResultForCodesWithoutUnitWhenMissing() {
    assertThat(map(observation("17861-6", new Quantity().setValue(new BigDecimal("9.5")))))
        .isEmpty();
  }

  // ---- values -------------------------------------------------------------------------------

  @Test
  void quantityComparatorIsKeptAsCensored() {
    Quantity q = ucum("5", "ng/mL").setComparator(Quantity.QuantityComparator.LESS_THAN);

    LabResult result = single(observation("62292-8", q));

    assertThat(result.value().isCensored()).isTrue();
    assertThat(result.value().comparator()).isEqualTo(Comparator.LESS_THAN);
    assertThat(result.value().value()).isEqualByComparingTo("5");
    assertThat(result.reportedValue()).isEqualTo("<5");
  }

  @Test
  void censoredQuantityIsConvertedKeepingItsComparator() {
    Quantity q = ucum("25", "nmol/L").setComparator(Quantity.QuantityComparator.LESS_THAN);

    LabResult result = single(observation("14635-7", q));

    assertThat(result.value().comparator()).isEqualTo(Comparator.LESS_THAN);
    assertThat(rounded(result.value().value(), 3)).isEqualByComparingTo("10.016");
    assertThat(result.value().isBelow(new BigDecimal("12"))).isTrue();
  }

  @Test
  void valueStringLessThanIsParsedAsCensored() {
    LabResult result = single(observation("62292-8", new StringType("<5")));

    assertThat(result.value().comparator()).isEqualTo(Comparator.LESS_THAN);
    assertThat(result.value().value()).isEqualByComparingTo("5");
    assertThat(result.reportedValue()).isEqualTo("<5");
    assertThat(result.reportedUnit()).isEqualTo("ng/mL");
  }

  @Test
  void valueStringGreaterThanWithSpaceIsParsedAsCensored() {
    LabResult result = single(observation("2731-8", new StringType("> 150")));

    assertThat(result.value().comparator()).isEqualTo(Comparator.GREATER_THAN);
    assertThat(result.value().value()).isEqualByComparingTo("150");
    assertThat(result.value().isAbove(new BigDecimal("150"))).isTrue();
  }

  @Test
  void valueStringWithUnitUsesThatUnit() {
    LabResult result = single(observation("62292-8", new StringType("<12.48 nmol/L")));

    assertThat(result.value().comparator()).isEqualTo(Comparator.LESS_THAN);
    assertThat(result.value().value()).isEqualByComparingTo("5");
    assertThat(result.reportedUnit()).isEqualTo("nmol/L");
  }

  @ParameterizedTest
  @ValueSource(strings = {"HEMOLYZED", "see comment", "", "1,5", "5.0-7.0"})
  void valueStringThatIsNotANumberIsIgnored(String text) {
    assertThat(map(observation("62292-8", new StringType(text)))).isEmpty();
  }

  @Test
  void valueStringWithoutAValueGivesNoResult() {
    StringType absent = new StringType();
    absent.addExtension(
        "http://hl7.org/fhir/StructureDefinition/data-absent-reason", new CodeType("error"));

    assertThat(map(observation("62292-8", absent))).isEmpty();
  }

  @Test
  void dataAbsentReasonGivesNoResult() {
    Observation obs = observation("2823-3", null);
    obs.setDataAbsentReason(
        new CodeableConcept(
            new Coding(
                "http://terminology.hl7.org/CodeSystem/data-absent-reason", "error", "Error")));

    assertThat(map(obs)).isEmpty();
  }

  @Test
  void observationWithoutValueGivesNoResult() {
    assertThat(map(observation("2823-3", null))).isEmpty();
  }

  // ---- statuses -----------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "final, FINAL",
    "amended, AMENDED",
    "corrected, CORRECTED",
    "preliminary, PRELIMINARY"
  })
  void usableStatusesAreKept(String code, ResultStatus expected) {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setStatus(ObservationStatus.fromCode(code));

    assertThat(single(obs).status()).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"registered", "cancelled", "entered-in-error", "unknown"})
  void unusableStatusesAreDropped(String code) {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setStatus(ObservationStatus.fromCode(code));

    assertThat(map(obs)).isEmpty();
  }

  @Test
  void observationWithoutStatusIsDropped() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setStatus(null);

    assertThat(map(obs)).isEmpty();
  }

  // ---- codes --------------------------------------------------------------------------------

  @Test
  void loincCodingAfterAProprietaryCodingMatches() {
    Observation obs = observation("2823-3", ucum("3.9", "mmol/L"));
    obs.getCode()
        .getCoding()
        .add(0, new Coding("http://acme.example.org/lab-codes", "K-SER", "Potassium"));

    LabResult result = single(obs);

    assertThat(result.analyte()).isEqualTo(Analyte.POTASSIUM);
    assertThat(result.loincCode()).isEqualTo("2823-3");
  }

  @Test
  void loincCodeUnderANonLoincSystemDoesNotMatch() {
    Observation obs = observation("2157-6", ucum("150", "U/L"));
    obs.getCode().getCodingFirstRep().setSystem("urn:oid:2.16.840.1.113883.6.238");

    assertThat(map(obs)).isEmpty();
  }

  @Test
  void unknownLoincCodeGivesNoResult() {
    assertThat(map(observation("2951-2", ucum("140", "mmol/L")))).isEmpty();
  }

  @Test
  void componentWithIonizedCalciumCodeYieldsAResult() {
    Observation panel = observation("24336-0", null);
    panel.addIdentifier().setSystem("urn:oid:1.2.3.4").setValue("BG-77");
    panel
        .addComponent()
        .setCode(new CodeableConcept(new Coding(LOINC, "1994-3", null)))
        .setValue(ucum("1.05", "mmol/L"));
    panel
        .addComponent()
        .setCode(new CodeableConcept(new Coding(LOINC, "2708-6", "Oxygen saturation")))
        .setValue(ucum("97", "%"));

    LabResult result = single(panel);

    assertThat(result.analyte()).isEqualTo(Analyte.CALCIUM_IONIZED);
    assertThat(result.loincCode()).isEqualTo("1994-3");
    assertThat(result.value().exactValue()).isEqualByComparingTo("1.05");
    assertThat(result.reference()).isEqualTo("Observation/obs-1");
    assertThat(result.identity()).isEqualTo("identifier|urn:oid:1.2.3.4|BG-77#1994-3");
  }

  @Test
  void componentWithDataAbsentReasonIsSkipped() {
    Observation panel = observation("24336-0", null);
    panel
        .addComponent()
        .setCode(new CodeableConcept(new Coding(LOINC, "1994-3", null)))
        .setDataAbsentReason(new CodeableConcept(new Coding(null, "error", null)));

    assertThat(map(panel)).isEmpty();
  }

  @Test
  void identifierGivesTheIdentityAndReferenceIsTheResourceId() {
    Observation obs = observation("2823-3", ucum("3.9", "mmol/L"));
    obs.addIdentifier().setSystem("urn:lab").setValue("A-1");

    LabResult result = single(obs);

    assertThat(result.identity()).isEqualTo("identifier|urn:lab|A-1");
    assertThat(result.reference()).isEqualTo("Observation/obs-1");
  }

  @Test
  void withoutIdentifierTheIdentityIsAnalyteTimeAndValue() {
    LabResult result = single(observation("2823-3", ucum("3.9", "mmol/L")));

    assertThat(result.identity()).isEqualTo("potassium|" + COLLECTED + "|3.9");
  }

  // ---- reference ranges ---------------------------------------------------------------------

  @Test
  void referenceRangeIsConvertedToCanonicalUnits() {
    Observation obs = observation("2601-3", ucum("0.8", "mmol/L"));
    obs.addReferenceRange().setLow(ucum("0.7", "mmol/L")).setHigh(ucum("0.95", "mmol/L"));

    LabResult result = single(obs);

    assertThat(result.labRange().low()).isEqualByComparingTo("1.70135");
    assertThat(result.labRange().high()).isEqualByComparingTo("2.308975");
    assertThat(rounded(result.labRange().low(), 2)).isEqualByComparingTo("1.70");
    assertThat(rounded(result.labRange().high(), 2)).isEqualByComparingTo("2.31");
  }

  @Test
  void referenceRangeWithoutUnitsUsesTheResultUnit() {
    Observation obs = observation("2601-3", ucum("0.8", "mmol/L"));
    obs.addReferenceRange()
        .setLow(new Quantity().setValue(new BigDecimal("0.7")))
        .setHigh(new Quantity().setValue(new BigDecimal("0.95")));

    LabResult result = single(obs);

    assertThat(result.labRange().low()).isEqualByComparingTo("1.70135");
    assertThat(result.labRange().high()).isEqualByComparingTo("2.308975");
  }

  @Test
  void referenceRangeWithOnlyAHighLimitIsKept() {
    Observation obs = observation("3016-3", ucum("2.0", "mIU/L"));
    obs.addReferenceRange().setHigh(ucum("4.2", "mIU/L"));

    LabResult result = single(obs);

    assertThat(result.labRange().low()).isNull();
    assertThat(result.labRange().high()).isEqualByComparingTo("4.2");
  }

  @Test
  void referenceRangeOfAnotherTypeIsIgnored() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    ObservationReferenceRangeComponent treatment = obs.addReferenceRange();
    treatment.setLow(ucum("4.0", "mmol/L")).setHigh(ucum("4.5", "mmol/L"));
    treatment.setType(
        new CodeableConcept(
            new Coding(
                "http://terminology.hl7.org/CodeSystem/referencerange-meaning",
                "treatment",
                null)));

    assertThat(single(obs).labRange()).isNull();

    ObservationReferenceRangeComponent normal = obs.addReferenceRange();
    normal.setLow(ucum("3.5", "mmol/L")).setHigh(ucum("5.1", "mmol/L"));
    normal.setType(
        new CodeableConcept(
            new Coding(
                "http://terminology.hl7.org/CodeSystem/referencerange-meaning", "normal", null)));

    LabResult result = single(obs);
    assertThat(result.labRange().low()).isEqualByComparingTo("3.5");
    assertThat(result.labRange().high()).isEqualByComparingTo("5.1");
  }

  @Test
  void referenceRangeForASubpopulationIsIgnored() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.addReferenceRange()
        .setLow(ucum("3.4", "mmol/L"))
        .setHigh(ucum("4.7", "mmol/L"))
        .addAppliesTo(new CodeableConcept(new Coding(SNOMED, "248153007", "Male")));

    assertThat(single(obs).labRange()).isNull();
  }

  @Test
  void referenceRangeTextIsParsed() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.addReferenceRange().setText("3.5-5.1");

    LabResult result = single(obs);

    assertThat(result.labRange().low()).isEqualByComparingTo("3.5");
    assertThat(result.labRange().high()).isEqualByComparingTo("5.1");
  }

  @Test
  void referenceRangeTextWithEnDashAndUnitIsConverted() {
    Observation obs = observation("19123-9", ucum("2.0", "mg/dL"));
    obs.addReferenceRange().setText("0.70 \u2013 0.95 mmol/L");

    LabResult result = single(obs);

    assertThat(result.labRange().low()).isEqualByComparingTo("1.70135");
    assertThat(result.labRange().high()).isEqualByComparingTo("2.308975");
  }

  @Test
  void referenceRangeWithLowAboveHighIsIgnored() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.addReferenceRange().setLow(ucum("5.1", "mmol/L")).setHigh(ucum("3.5", "mmol/L"));

    assertThat(single(obs).labRange()).isNull();
  }

  @Test
  void referenceRangeInAnUnknownUnitIsIgnored() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.addReferenceRange().setLow(ucum("3.5", "mmol/dL")).setHigh(ucum("5.1", "mmol/dL"));

    assertThat(single(obs).labRange()).isNull();
  }

  // ---- interpretation -----------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    V3_INTERPRETATION + ", LL, CRITICAL_LOW",
    V3_INTERPRETATION + ", HH, CRITICAL_HIGH",
    V3_INTERPRETATION + ", AA, CRITICAL_ABNORMAL",
    V3_INTERPRETATION + ", L, LOW",
    V3_INTERPRETATION + ", H, HIGH",
    V3_INTERPRETATION + ", N, NORMAL",
    V3_INTERPRETATION + ", A, ABNORMAL",
    V2_0078_LEGACY + ", LL, CRITICAL_LOW",
    V2_0078_LEGACY + ", HH, CRITICAL_HIGH",
    V2_0078_LEGACY + ", L, LOW",
    V2_0078_LEGACY + ", H, HIGH",
    V2_0078_LEGACY + ", N, NORMAL"
  })
  void interpretationCodesAreMapped(String system, String code, Interpretation expected) {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.addInterpretation(new CodeableConcept(new Coding(system, code, null)));

    assertThat(single(obs).flags()).containsExactly(expected);
  }

  @Test
  void interpretationUnderTheR4V2TableSystemIsMapped() {
    Observation obs = observation("2823-3", ucum("2.6", "mmol/L"));
    obs.addInterpretation(new CodeableConcept(new Coding(V2_0078_R4, "LL", null)));

    assertThat(single(obs).flags()).containsExactly(Interpretation.CRITICAL_LOW);
  }

  @Test
  void interpretationUnderAnUnknownSystemIsIgnored() {
    Observation obs = observation("2823-3", ucum("6.5", "mmol/L"));
    obs.addInterpretation(
        new CodeableConcept(new Coding("http://acme.example.org/flags", "HH", null)));
    obs.addInterpretation(new CodeableConcept(new Coding(V3_INTERPRETATION, "XYZ", null)));

    assertThat(single(obs).flags()).isEmpty();
  }

  // ---- clinical time ------------------------------------------------------------------------

  @Test
  void dateOnlyEffectiveIsStartOfThatDayUtcAndMarkedDateOnly() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setEffective(new DateTimeType("2026-11-18"));

    LabResult result = single(obs);

    assertThat(result.effectiveIsDateOnly()).isTrue();
    assertThat(result.effective()).isEqualTo(Instant.parse("2026-11-18T00:00:00Z"));
  }

  @Test
  void effectiveDateTimeWithOffsetIsConvertedToAnInstant() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setEffective(new DateTimeType("2026-11-18T08:30:00+02:00"));

    LabResult result = single(obs);

    assertThat(result.effectiveIsDateOnly()).isFalse();
    assertThat(result.effective()).isEqualTo(Instant.parse("2026-11-18T06:30:00Z"));
  }

  @Test
  void effectivePeriodUsesItsEnd() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setEffective(
        new Period()
            .setStartElement(new DateTimeType("2026-11-17T20:00:00Z"))
            .setEndElement(new DateTimeType("2026-11-18T07:00:00Z")));

    assertThat(single(obs).effective()).isEqualTo(Instant.parse("2026-11-18T07:00:00Z"));
  }

  @Test
  void effectivePeriodWithoutEndUsesItsStart() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setEffective(new Period().setStartElement(new DateTimeType("2026-11-17T20:00:00Z")));

    assertThat(single(obs).effective()).isEqualTo(Instant.parse("2026-11-17T20:00:00Z"));
  }

  @Test
  void issuedIsUsedOnlyWhenThereIsNoEffective() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setIssued(Date.from(Instant.parse("2026-11-19T10:00:00Z")));

    assertThat(single(obs).effective()).isEqualTo(Instant.parse(COLLECTED));

    obs.setEffective(null);

    LabResult result = single(obs);
    assertThat(result.effective()).isEqualTo(Instant.parse("2026-11-19T10:00:00Z"));
    assertThat(result.effectiveIsDateOnly()).isFalse();
  }

  @Test
  void observationWithNoTimeAtAllIsDropped() {
    Observation obs = observation("2823-3", ucum("4.0", "mmol/L"));
    obs.setEffective(null);

    assertThat(map(obs)).isEmpty();
  }

  @Test
  void resultDatedMoreThanADayInTheFutureIsDropped() {
    Observation future = observation("2823-3", ucum("4.0", "mmol/L"));
    future.setEffective(new DateTimeType("2026-11-21T13:00:00Z"));
    Observation nearFuture = observation("2823-3", ucum("4.0", "mmol/L"));
    nearFuture.setEffective(new DateTimeType("2026-11-21T11:00:00Z"));

    assertThat(map(future)).isEmpty();
    assertThat(map(nearFuture)).hasSize(1);
  }

  // ---- medications --------------------------------------------------------------------------

  private static MedicationRequest request(CodeableConcept medication) {
    MedicationRequest request = new MedicationRequest();
    request.setId("mr-1");
    request.setStatus(MedicationRequestStatus.ACTIVE);
    request.setIntent(MedicationRequestIntent.ORDER);
    request.setAuthoredOnElement(new DateTimeType("2026-10-01T09:00:00Z"));
    request.setMedication(medication);
    return request;
  }

  private static MedicationExposure exposure(MedicationRequest request) {
    Optional<MedicationExposure> exposure = MAPPER.medication(json(request), Map.of());
    assertThat(exposure).isPresent();
    return exposure.get();
  }

  private static CodeableConcept code(String system, String code, String display) {
    return new CodeableConcept(new Coding(system, code, display));
  }

  private static CodeableConcept text(String text) {
    return new CodeableConcept().setText(text);
  }

  private static MedicationDispense dispense(String status) {
    MedicationDispense dispense = new MedicationDispense();
    dispense.setId("md-1");
    dispense.setStatus(MedicationDispense.MedicationDispenseStatus.fromCode(status));
    dispense.setMedication(code(ATC, "C03CA01", null));
    dispense.setWhenPreparedElement(new DateTimeType("2026-08-31T16:00:00Z"));
    dispense.setWhenHandedOverElement(new DateTimeType("2026-09-01T10:00:00Z"));
    dispense.setDaysSupply(
        new org.hl7.fhir.r4.model.Quantity().setValue(90).setSystem(UCUM).setCode("d"));
    dispense.addAuthorizingPrescription(
        new org.hl7.fhir.r4.model.Reference("http://ehr.example/fhir/MedicationRequest/mr-7"));
    return dispense;
  }

  @Test
  void aCompletedDispenseIsTheSupplyItHandedOver() {
    MedicationHistory.Dispense d = MAPPER.dispense(json(dispense("completed")), Map.of()).get();

    assertThat(names(d.exposure().ingredients())).containsExactly("furosemide");
    assertThat(d.exposure().reference()).isEqualTo("MedicationDispense/md-1");
    assertThat(d.exposure().start()).isEqualTo(Instant.parse("2026-09-01T10:00:00Z"));
    assertThat(d.daysSupply()).isEqualTo(90);
    assertThat(d.suppliedUntil()).isEqualTo(Instant.parse("2026-11-30T10:00:00Z"));
    assertThat(d.authorizingPrescriptions()).containsExactly("MedicationRequest/mr-7");
  }

  @Test
  void aDispenseNotHandedOverIsNoSupply() {
    for (String status :
        List.of("preparation", "in-progress", "cancelled", "declined", "entered-in-error")) {
      assertThat(MAPPER.dispense(json(dispense(status)), Map.of())).as(status).isEmpty();
    }
    MedicationDispense undated = dispense("completed");
    undated.setWhenHandedOverElement(null);
    undated.setWhenPreparedElement(null);
    assertThat(MAPPER.dispense(json(undated), Map.of())).isEmpty();
    assertThat(MAPPER.dispense(json(request(code(RXNORM, "29046", null))), Map.of())).isEmpty();
  }

  @Test
  void aDispenseDatedOnlyByPreparationWithSupplyInWeeksOrNoneIsRead() {
    MedicationDispense d = dispense("completed");
    d.setWhenHandedOverElement(null);
    d.setDaysSupply(new org.hl7.fhir.r4.model.Quantity().setValue(4).setUnit("weeks"));
    MedicationHistory.Dispense mapped = MAPPER.dispense(json(d), Map.of()).get();
    assertThat(mapped.exposure().start()).isEqualTo(Instant.parse("2026-08-31T16:00:00Z"));
    assertThat(mapped.daysSupply()).isEqualTo(28);

    d.setDaysSupply(null);
    mapped = MAPPER.dispense(json(d), Map.of()).get();
    assertThat(mapped.daysSupply()).isNull();
    assertThat(mapped.suppliedUntil())
        .isEqualTo(
            Instant.parse("2026-08-31T16:00:00Z")
                .plus(java.time.Duration.ofDays(MedicationHistory.DEFAULT_DAYS_SUPPLY)));
  }

  @Test
  void aDispenseOfAReferencedMedicationIsRecognisedLikeAnOrder() {
    MedicationDispense d = dispense("completed");
    d.setMedication(new org.hl7.fhir.r4.model.Reference("Medication/med-5"));
    Map<String, Medication> medications =
        Map.of("Medication/med-5", medication("med-5", code(RXNORM, "9997", "spironolactone")));

    MedicationHistory.Dispense mapped = MAPPER.dispense(json(d), json(medications)).get();
    assertThat(names(mapped.exposure().ingredients())).containsExactly("spironolactone");
  }

  @Test
  void rxnormIngredientCodeIsRecognised() {
    MedicationExposure exposure = exposure(request(code(RXNORM, "29046", null)));

    assertThat(names(exposure.ingredients())).containsExactly("lisinopril");
    assertThat(exposure.ingredients().iterator().next().drugClass().id())
        .isEqualTo("ace-inhibitor");
    assertThat(exposure.reference()).isEqualTo("MedicationRequest/mr-1");
    assertThat(exposure.start()).isEqualTo(Instant.parse("2026-10-01T09:00:00Z"));
    assertThat(exposure.description()).isEqualTo("medication");
  }

  @Test
  void clinicalDrugCodeIsRecognisedByTheNameInItsDisplay() {
    MedicationExposure exposure =
        exposure(request(code(RXNORM, "313988", "furosemide 40 MG Oral Tablet")));

    assertThat(names(exposure.ingredients())).containsExactly("furosemide");
    assertThat(exposure.description()).isEqualTo("furosemide 40 MG Oral Tablet");
  }

  @Test
  void atcIngredientCodeIsRecognised() {
    MedicationExposure exposure = exposure(request(code(ATC, "A02BC01", null)));

    assertThat(names(exposure.ingredients())).containsExactly("omeprazole");
  }

  @Test
  void atcClassPrefixGivesAClassLevelIngredient() {
    MedicationExposure exposure = exposure(request(code(ATC, "C03CA", null)));

    assertThat(exposure.ingredients()).hasSize(1);
    Ingredient ingredient = exposure.ingredients().iterator().next();
    assertThat(ingredient.drugClass().id()).isEqualTo("loop-diuretic");
    assertThat(ingredient.name()).isEqualTo("loop diuretic");
    assertThat(ingredient.atc()).isEqualTo("C03CA");
    assertThat(ingredient.rxnorm()).isNull();
  }

  @Test
  void combinationAtcCodeGivesEveryClassItIsListedUnder() {
    MedicationExposure exposure = exposure(request(code(ATC, "C09BA03", null)));

    assertThat(exposure.ingredients())
        .extracting(i -> i.drugClass().id())
        .containsExactlyInAnyOrder("thiazide-diuretic", "ace-inhibitor");
  }

  @Test
  void textOnlyMedicationIsRecognisedByName() {
    MedicationExposure exposure = exposure(request(text("Spironolactone 25 mg tablet")));

    assertThat(names(exposure.ingredients())).containsExactly("spironolactone");
    assertThat(exposure.description()).isEqualTo("Spironolactone 25 mg tablet");
  }

  @Test
  void brandNameIsRecognised() {
    MedicationExposure exposure = exposure(request(text("Lasix")));

    assertThat(names(exposure.ingredients())).containsExactly("furosemide");
  }

  @Test
  void combinationTextGivesBothIngredients() {
    MedicationExposure exposure = exposure(request(text("lisinopril / hydrochlorothiazide")));

    assertThat(names(exposure.ingredients()))
        .containsExactlyInAnyOrder("lisinopril", "hydrochlorothiazide");
  }

  @Test
  void unknownMedicationGivesAnExposureWithoutIngredients() {
    MedicationExposure exposure = exposure(request(text("Acetaminophen 500 mg tablet")));

    assertThat(exposure.ingredients()).isEmpty();
    assertThat(exposure.description()).isEqualTo("Acetaminophen 500 mg tablet");
  }

  private static Medication medication(String id, CodeableConcept code) {
    Medication m = new Medication();
    m.setId(id);
    m.setCode(code);
    return m;
  }

  @Test
  void medicationReferenceIsResolvedThroughTheMedicationsMap() {
    MedicationRequest request = request(null);
    request.setMedication(new Reference("Medication/med-5"));
    Map<String, Medication> medications =
        Map.of("Medication/med-5", medication("med-5", code(RXNORM, "9997", "spironolactone")));

    Optional<MedicationExposure> exposure = MAPPER.medication(json(request), json(medications));

    assertThat(exposure).isPresent();
    assertThat(names(exposure.get().ingredients())).containsExactly("spironolactone");
    assertThat(exposure.get().description()).isEqualTo("spironolactone");
  }

  @Test
  void absoluteVersionedMedicationReferenceIsResolved() {
    MedicationRequest request = request(null);
    request.setMedication(new Reference("http://127.0.0.1:8080/fhir/Medication/med-5/_history/3"));
    Map<String, Medication> medications =
        Map.of("Medication/med-5", medication("med-5", code(RXNORM, "4603", null)));

    assertThat(names(exposure(request, medications).ingredients())).containsExactly("furosemide");
  }

  private static MedicationExposure exposure(
      MedicationRequest request, Map<String, Medication> medications) {
    Optional<MedicationExposure> exposure = MAPPER.medication(json(request), json(medications));
    assertThat(exposure).isPresent();
    return exposure.get();
  }

  @Test
  void relativeReferenceStripsBaseAndHistory() {
    assertThat(R4Mapper.relativeReference("Medication/5")).isEqualTo("Medication/5");
    assertThat(R4Mapper.relativeReference("http://x/fhir/Medication/5")).isEqualTo("Medication/5");
    assertThat(R4Mapper.relativeReference("http://x/fhir/Medication/5/_history/2"))
        .isEqualTo("Medication/5");
  }

  @Test
  void unresolvedMedicationReferenceFallsBackToItsDisplay() {
    MedicationRequest request = request(null);
    request.setMedication(new Reference("Medication/missing").setDisplay("Aldactone 25 mg"));

    MedicationExposure exposure = exposure(request, Map.of());

    assertThat(names(exposure.ingredients())).containsExactly("spironolactone");
    assertThat(exposure.description()).isEqualTo("Aldactone 25 mg");
  }

  @Test
  void containedMedicationIsResolved() {
    MedicationRequest request = request(null);
    Medication contained = medication("med1", code(RXNORM, "4603", "furosemide"));
    request.addContained(contained);
    request.setMedication(new Reference("#med1"));

    assertThat(names(exposure(request, Map.of()).ingredients())).containsExactly("furosemide");
  }

  @Test
  void containedMedicationIsResolvedAfterParsingJson() {
    String json =
        """
        {
          "resourceType": "MedicationRequest",
          "id": "mr-9",
          "contained": [
            {
              "resourceType": "Medication",
              "id": "med1",
              "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "A02BC02"}]}
            }
          ],
          "status": "active",
          "intent": "order",
          "medicationReference": {"reference": "#med1"},
          "subject": {"reference": "Patient/1"}
        }
        """;
    MedicationRequest request =
        FhirContext.forR4Cached().newJsonParser().parseResource(MedicationRequest.class, json);

    MedicationExposure exposure = exposure(request, Map.of());

    assertThat(names(exposure.ingredients())).containsExactly("pantoprazole");
    assertThat(exposure.reference()).isEqualTo("MedicationRequest/mr-9");
  }

  @Test
  void medicationIngredientsOfACombinationProductAreRecognised() {
    Medication product = medication("combo", text("Zestoretic 20/12.5"));
    product.addIngredient().setItem(code(RXNORM, "29046", null));
    product.addIngredient().setItem(code(RXNORM, "5487", null));
    MedicationRequest request = request(null);
    request.setMedication(new Reference("Medication/combo"));

    MedicationExposure exposure = exposure(request, Map.of("Medication/combo", product));

    assertThat(names(exposure.ingredients()))
        .containsExactlyInAnyOrder("lisinopril", "hydrochlorothiazide");
  }

  @ParameterizedTest
  @ValueSource(strings = {"stopped", "completed", "cancelled", "entered-in-error", "draft"})
  void inactiveMedicationRequestIsExcluded(String status) {
    MedicationRequest request = request(code(RXNORM, "29046", null));
    request.setStatus(MedicationRequestStatus.fromCode(status));

    assertThat(MAPPER.medication(json(request), Map.of())).isEmpty();
  }

  @Test
  void onHoldMedicationRequestIsIncluded() {
    MedicationRequest request = request(code(RXNORM, "29046", null));
    request.setStatus(MedicationRequestStatus.ONHOLD);

    assertThat(MAPPER.medication(json(request), Map.of())).isPresent();
  }

  @Test
  void proposalMedicationRequestIsExcluded() {
    MedicationRequest request = request(code(RXNORM, "29046", null));
    request.setIntent(MedicationRequestIntent.PROPOSAL);

    assertThat(MAPPER.medication(json(request), Map.of())).isEmpty();
  }

  @Test
  void activeMedicationStatementIsIncludedWithItsStart() {
    MedicationStatement statement = new MedicationStatement();
    statement.setId("ms-1");
    statement.setStatus(MedicationStatementStatus.ACTIVE);
    statement.setMedication(text("omeprazole 20 mg capsule"));
    statement.setEffective(new Period().setStartElement(new DateTimeType("2025-03-01T00:00:00Z")));

    Optional<MedicationExposure> exposure = MAPPER.medication(json(statement), Map.of());

    assertThat(exposure).isPresent();
    assertThat(names(exposure.get().ingredients())).containsExactly("omeprazole");
    assertThat(exposure.get().start()).isEqualTo(Instant.parse("2025-03-01T00:00:00Z"));
    assertThat(exposure.get().reference()).isEqualTo("MedicationStatement/ms-1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"completed", "stopped", "entered-in-error", "not-taken"})
  void inactiveMedicationStatementIsExcluded(String status) {
    MedicationStatement statement = new MedicationStatement();
    statement.setStatus(MedicationStatementStatus.fromCode(status));
    statement.setMedication(text("omeprazole 20 mg capsule"));

    assertThat(MAPPER.medication(json(statement), Map.of())).isEmpty();
  }

  // ---- conditions ---------------------------------------------------------------------------

  private static Condition condition(String system, String code) {
    Condition condition = new Condition();
    condition.setId("c-1");
    condition.setCode(code(system, code, null));
    return condition;
  }

  private static CodeableConcept clinicalStatus(String code) {
    return code("http://terminology.hl7.org/CodeSystem/condition-clinical", code, null);
  }

  private static CodeableConcept verificationStatus(String code) {
    return code("http://terminology.hl7.org/CodeSystem/condition-ver-status", code, null);
  }

  private static Set<String> setIds(ConditionRecord record) {
    return record.sets().stream().map(ConditionSet::id).collect(Collectors.toSet());
  }

  @Test
  void icd10CodeIsMatchedToItsSetByPrefix() {
    Condition condition = condition(ICD10CM, "N18.32");
    condition.setClinicalStatus(clinicalStatus("active"));

    Optional<ConditionRecord> record = MAPPER.condition(json(condition));

    assertThat(record).isPresent();
    assertThat(setIds(record.get())).containsExactly("chronic-kidney-disease");
    assertThat(record.get().reference()).isEqualTo("Condition/c-1");
  }

  @Test
  void snomedCodeIsMatchedToItsSet() {
    Optional<ConditionRecord> record = MAPPER.condition(json(condition(SNOMED, "84114007")));

    assertThat(record).isPresent();
    assertThat(setIds(record.get())).containsExactly("heart-failure");
  }

  @Test
  void codeUnderTheWrongSystemMatchesNoSet() {
    Optional<ConditionRecord> record = MAPPER.condition(json(condition(ICD10CM, "84114007")));

    assertThat(record).isPresent();
    assertThat(record.get().sets()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"resolved", "inactive", "remission"})
  void conditionThatIsNotActiveIsExcluded(String status) {
    Condition condition = condition(ICD10CM, "N18.32");
    condition.setClinicalStatus(clinicalStatus(status));

    assertThat(MAPPER.condition(json(condition))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"recurrence", "relapse"})
  void recurrentConditionIsIncluded(String status) {
    Condition condition = condition(ICD10CM, "N18.32");
    condition.setClinicalStatus(clinicalStatus(status));

    assertThat(MAPPER.condition(json(condition))).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"refuted", "entered-in-error"})
  void refutedConditionIsExcluded(String status) {
    Condition condition = condition(SNOMED, "84114007");
    condition.setClinicalStatus(clinicalStatus("active"));
    condition.setVerificationStatus(verificationStatus(status));

    assertThat(MAPPER.condition(json(condition))).isEmpty();
  }

  @Test
  void unconfirmedConditionIsIncluded() {
    Condition condition = condition(SNOMED, "84114007");
    condition.setVerificationStatus(verificationStatus("unconfirmed"));

    assertThat(MAPPER.condition(json(condition))).isPresent();
  }

  // ---- orders -------------------------------------------------------------------------------

  private static ServiceRequest serviceRequest(ServiceRequestStatus status, String loinc) {
    ServiceRequest request = new ServiceRequest();
    request.setId("sr-1");
    request.setStatus(status);
    request.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
    request.setCode(code(LOINC, loinc, null));
    request.setAuthoredOnElement(new DateTimeType("2026-11-19T15:00:00Z"));
    return request;
  }

  @Test
  void activeLabOrderIsAPendingOrder() {
    Optional<PendingOrder> order =
        MAPPER.pendingOrder(json(serviceRequest(ServiceRequestStatus.ACTIVE, "19123-9")));

    assertThat(order)
        .contains(
            new PendingOrder(
                "ServiceRequest/sr-1", Set.of("19123-9"), Instant.parse("2026-11-19T15:00:00Z")));
  }

  @Test
  void draftAndOnHoldLabOrdersArePending() {
    assertThat(MAPPER.pendingOrder(json(serviceRequest(ServiceRequestStatus.DRAFT, "19123-9"))))
        .isPresent();
    assertThat(MAPPER.pendingOrder(json(serviceRequest(ServiceRequestStatus.ONHOLD, "19123-9"))))
        .isPresent();
  }

  @Test
  void completedLabOrderIsNotPending() {
    assertThat(MAPPER.pendingOrder(json(serviceRequest(ServiceRequestStatus.COMPLETED, "19123-9"))))
        .isEmpty();
    assertThat(MAPPER.pendingOrder(json(serviceRequest(ServiceRequestStatus.REVOKED, "19123-9"))))
        .isEmpty();
  }

  @Test
  void orderWithoutLoincCodeIsNotAPendingLabOrder() {
    ServiceRequest request = serviceRequest(ServiceRequestStatus.ACTIVE, "19123-9");
    request.setCode(code("http://www.ama-assn.org/go/cpt", "83735", "Magnesium"));

    assertThat(MAPPER.pendingOrder(json(request))).isEmpty();
  }

  // ---- patient ------------------------------------------------------------------------------

  @Test
  void patientBirthDateAndGenderGiveDemographics() {
    Patient patient = new Patient();
    patient.setBirthDateElement(new DateType("2010-05-01"));
    patient.setGender(AdministrativeGender.FEMALE);

    Demographics demographics = MAPPER.demographics(json(patient));

    assertThat(demographics).isEqualTo(new Demographics(LocalDate.of(2010, 5, 1), "female"));
    assertThat(demographics.isChildOn(LocalDate.of(2026, 11, 20))).isTrue();
    assertThat(demographics.isChildOn(LocalDate.of(2028, 4, 30))).isTrue();
    assertThat(demographics.isChildOn(LocalDate.of(2028, 5, 1))).isFalse();
  }

  @Test
  void patientWithoutBirthDateIsTreatedAsAdult() {
    Demographics demographics = MAPPER.demographics(json(new Patient()));

    assertThat(demographics).isEqualTo(new Demographics(null, null));
    assertThat(demographics.isChildOn(LocalDate.of(2026, 11, 20))).isFalse();
  }

  // ---- read from JSON as senders write it -----------------------------------------------------

  private static JsonNode raw(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String potassium(String members) {
    return "{\"resourceType\":\"Observation\",\"id\":\"k1\",\"status\":\"final\","
        + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2823-3\"}]},"
        + members
        + "}";
  }

  @Test
  void aValueReadsWithTheDigitsTheLabSent() {
    LabResult result =
        MAPPER
            .labResults(
                raw(
                    potassium(
                        "\"effectiveDateTime\":\"2026-11-18\",\"valueQuantity\":"
                            + "{\"value\":3.40,\"unit\":\"mmol/L\"}")),
                NOW)
            .get(0);

    assertThat(result.reportedValue()).isEqualTo("3.40");
    assertThat(result.effective()).isEqualTo(Instant.parse("2026-11-18T00:00:00Z"));
    assertThat(result.effectiveIsDateOnly()).isTrue();
    assertThat(result.reference()).isEqualTo("Observation/k1");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"effectiveDateTime\":\"yesterday\",\"valueQuantity\":{\"value\":3.4,\"unit\":\"mmol/L\"}"
            + "| Observation.effectiveDateTime is not a FHIR dateTime",
        "\"effectivePeriod\":{\"end\":\"18.11.2026\"},\"valueQuantity\":{\"value\":3.4}"
            + "| Observation.effectivePeriod.end is not a FHIR dateTime",
        "\"issued\":\"now\",\"valueQuantity\":{\"value\":3.4,\"unit\":\"mmol/L\"}"
            + "| Observation.issued is not a FHIR dateTime",
        "\"effectiveDateTime\":\"2026-11-18\",\"valueQuantity\":{\"value\":\"low\",\"unit\":\"mmol/L\"}"
            + "| Observation.valueQuantity.value is not a FHIR decimal",
        "\"effectiveDateTime\":\"2026-11-18\",\"valueQuantity\":{\"value\":3.4,\"comparator\":\"~\"}"
            + "| Observation.valueQuantity.comparator is not one of <, <=, >=, >",
        "\"effectiveDateTime\":\"2026-11-18\",\"valueQuantity\":{\"value\":3.4,\"unit\":\"mmol/L\"},"
            + "\"referenceRange\":[{\"low\":{\"value\":\"3,5\"}}]"
            + "| Observation.referenceRange limit is not a FHIR decimal"
      })
  void aValueTheServiceReadsThatIsNotFhirIsMalformed(String members, String message) {
    JsonNode obs = raw(potassium(members));

    assertThatThrownBy(() -> MAPPER.labResults(obs, NOW))
        .isInstanceOf(FhirJson.Malformed.class)
        .hasMessage(message.trim());
  }

  @Test
  void oddShapesInElementsTheServiceReadsCountAsAbsent() {
    JsonNode obs =
        raw(
            potassium(
                "\"effectiveDateTime\":\"2026-11-18T08:00:00Z\",\"valueQuantity\":"
                    + "{\"value\":3.4,\"unit\":\"mmol/L\"},\"interpretation\":\"L\","
                    + "\"identifier\":{\"value\":1},\"referenceRange\":[5],"
                    + "\"component\":null,\"text\":{\"div\":[]}"));

    LabResult result = MAPPER.labResults(obs, NOW).get(0);

    assertThat(result.flags()).isEmpty();
    assertThat(result.labRange()).isNull();
    assertThat(result.value().exactValue()).isEqualByComparingTo("3.4");
  }

  @Test
  void aContainedMedicationIsReadFromTheJson() {
    JsonNode request =
        raw(
            "{\"resourceType\":\"MedicationRequest\",\"id\":\"mr1\",\"status\":\"active\","
                + "\"intent\":\"order\",\"authoredOn\":\"2026-01-05T09:00:00+01:00\","
                + "\"contained\":[{\"resourceType\":\"Medication\",\"id\":\"m\",\"code\":"
                + "{\"coding\":[{\"system\":\""
                + RXNORM
                + "\",\"code\":\"4603\"}]}}],"
                + "\"medicationReference\":{\"reference\":\"#m\"}}");

    MedicationExposure exposure = MAPPER.medication(request, Map.of()).orElseThrow();

    assertThat(names(exposure.ingredients())).containsExactly("furosemide");
    assertThat(exposure.start()).isEqualTo(Instant.parse("2026-01-05T08:00:00Z"));
    assertThat(exposure.reference()).isEqualTo("MedicationRequest/mr1");
  }

  @Test
  void aResourceOfAnotherTypeIsNoMedication() {
    assertThat(MAPPER.medication(raw("{\"resourceType\":\"Observation\"}"), Map.of())).isEmpty();
  }

  @Test
  void aServiceRequestWithoutStatusIsNotPending() {
    JsonNode request =
        raw(
            "{\"resourceType\":\"ServiceRequest\",\"code\":{\"coding\":[{\"system\":"
                + "\"http://loinc.org\",\"code\":\"19123-9\"}]}}");

    assertThat(MAPPER.pendingOrder(request)).isEmpty();
  }
}
