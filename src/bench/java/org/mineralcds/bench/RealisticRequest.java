package org.mineralcds.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The realistic request of the benchmarks: one CDS Hooks 2.0 patient-view call with full prefetch
 * for a 74-year-old woman with heart failure, hypertension and type 2 diabetes on eight drugs
 * (furosemide among them), and 60 laboratory results over 400 days (potassium, magnesium, calcium,
 * albumin, PTH, TSH, 25-OH vitamin D, creatinine, eGFR), each search a searchset Bundle as a FHIR
 * server returns it. The latest potassium (3.1 mmol/L two days ago) is low, the last magnesium is
 * 45 days old: the service answers with a low-potassium card suggesting magnesium, and the CQL rule
 * of the comparison fires too.
 *
 * <p>Deterministic: the same {@code today} gives the same bytes. The checked-in copy
 * (src/bench/resources/bench/realistic-request.json) is for {@link #ANCHOR}; regenerate it with
 * {@code java -jar target/bench/mineral-cds-bench.jar generate}.
 */
public final class RealisticRequest {

  /** The date the checked-in request is written for (as the scenarios are). */
  public static final LocalDate ANCHOR = LocalDate.of(2026, 11, 20);

  public static final String PATIENT = "bench-heart-failure-1";

  /** The request's hookInstance (the load generator writes a new one into each call's copy). */
  public static final String HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";
  public static final String RESOURCE = "/bench/realistic-request.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LOINC = "http://loinc.org";
  private static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
  private static final String BASE = "https://ehr.example.org/fhir";

  private RealisticRequest() {}

  /** The checked-in request, for {@link #ANCHOR}. */
  public static byte[] checkedIn() {
    try (InputStream in = RealisticRequest.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The request with its dates relative to {@code today}. */
  public static ObjectNode request(LocalDate today) {
    ObjectNode body = JSON.createObjectNode();
    body.put("hook", "patient-view");
    body.put("hookInstance", HOOK_INSTANCE);
    ObjectNode context = body.putObject("context");
    context.put("userId", "Practitioner/bench-clinician");
    context.put("patientId", PATIENT);
    ObjectNode prefetch = body.putObject("prefetch");
    prefetch.set("patient", patient());
    Labs labs = new Labs(today);
    // One search for every lab family, as the query plan asks, with the Patient included.
    List<ObjectNode> all = new ArrayList<>();
    all.addAll(labs.potassium());
    all.addAll(labs.magnesium());
    all.addAll(labs.calcium());
    all.addAll(labs.albumin());
    all.addAll(labs.pth());
    all.addAll(labs.tsh());
    all.addAll(labs.vitaminD());
    all.addAll(labs.kidney());
    ObjectNode labBundle = searchset("Observation", all);
    ObjectNode included = ((ArrayNode) labBundle.path("entry")).addObject();
    included.put("fullUrl", BASE + "/Patient/" + PATIENT);
    included.set("resource", patient());
    included.putObject("search").put("mode", "include");
    prefetch.set("labs", labBundle);
    prefetch.set("medicationRequests", searchset("MedicationRequest", medications(today)));
    prefetch.set("medicationHistory", searchset("MedicationRequest", List.of()));
    prefetch.set("medicationStatements", searchset("MedicationStatement", List.of()));
    prefetch.set("medicationDispenses", searchset("MedicationDispense", List.of()));
    prefetch.set("conditions", searchset("Condition", conditions()));
    prefetch.set("pendingLabOrders", searchset("ServiceRequest", List.of()));
    return body;
  }

  /** The searchset bundles of {@link #request} by FHIR search, for the FHIR stub. */
  public static Map<String, ObjectNode> searchsets(LocalDate today) {
    Map<String, ObjectNode> out = new LinkedHashMap<>();
    request(today).path("prefetch").properties().forEach(e -> out.put(e.getKey(), (ObjectNode) e.getValue()));
    return out;
  }

  private static ObjectNode patient() {
    ObjectNode p = JSON.createObjectNode();
    p.put("resourceType", "Patient");
    p.put("id", PATIENT);
    p.putObject("meta").put("versionId", "3").put("lastUpdated", "2026-01-04T09:12:00Z");
    ArrayNode identifiers = p.putArray("identifier");
    identifiers
        .addObject()
        .put("use", "usual")
        .put("system", "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14")
        .put("value", "E4451");
    p.put("active", true);
    ObjectNode name = p.putArray("name").addObject();
    name.put("use", "official").put("family", "Halvorsen");
    name.putArray("given").add("Ingrid").add("M");
    p.put("gender", "female");
    p.put("birthDate", "1952-06-02");
    ObjectNode address = p.putArray("address").addObject();
    address.put("use", "home").put("city", "Madison").put("state", "WI").put("postalCode", "53703");
    return p;
  }

  private static ObjectNode searchset(String type, List<ObjectNode> resources) {
    ObjectNode bundle = JSON.createObjectNode();
    bundle.put("resourceType", "Bundle");
    bundle.put("id", "bench-" + type.toLowerCase() + "-" + resources.size());
    bundle.putObject("meta").put("lastUpdated", "2026-11-20T11:59:58.120+00:00");
    bundle.put("type", "searchset");
    bundle.put("total", resources.size());
    bundle
        .putArray("link")
        .addObject()
        .put("relation", "self")
        .put("url", BASE + "/" + type + "?patient=" + PATIENT);
    if (!resources.isEmpty()) {
      ArrayNode entries = bundle.putArray("entry");
      for (ObjectNode r : resources) {
        ObjectNode entry = entries.addObject();
        entry.put("fullUrl", BASE + "/" + type + "/" + r.path("id").asText());
        entry.set("resource", r);
        entry.putObject("search").put("mode", "match");
      }
    }
    return bundle;
  }

  /** The laboratory history: 60 results, newest first within each analyte. */
  private static final class Labs {
    private final LocalDate today;
    private int n;

    Labs(LocalDate today) {
      this.today = today;
    }

    List<ObjectNode> potassium() {
      double[] values = {3.1, 3.7, 3.9, 4.1, 3.8, 4.2, 4.0, 3.6, 4.4, 4.1, 3.9, 4.3};
      int[] days = {2, 21, 45, 70, 98, 130, 160, 200, 240, 280, 320, 370};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("k", "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "Potassium", days[i],
                values[i], "mmol/L", 3.5, 5.1));
      }
      return out;
    }

    List<ObjectNode> magnesium() {
      double[] values = {1.9, 2.0, 1.8, 2.1, 2.0, 1.9};
      int[] days = {45, 98, 160, 240, 320, 370};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("mg", "19123-9", "Magnesium [Mass/volume] in Serum or Plasma", "Magnesium",
                days[i], values[i], "mg/dL", 1.7, 2.4));
      }
      return out;
    }

    List<ObjectNode> calcium() {
      double[] values = {9.3, 9.4, 9.1, 9.6, 9.2, 9.5, 9.3, 9.4};
      int[] days = {2, 45, 98, 130, 200, 240, 320, 370};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("ca", "17861-6", "Calcium [Mass/volume] in Serum or Plasma", "Calcium", days[i],
                values[i], "mg/dL", 8.6, 10.3));
      }
      return out;
    }

    List<ObjectNode> albumin() {
      double[] values = {4.1, 4.0, 4.2, 4.1, 4.0, 4.2};
      int[] days = {2, 45, 130, 200, 280, 370};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("alb", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "Albumin", days[i],
                values[i], "g/dL", 3.5, 5.2));
      }
      return out;
    }

    List<ObjectNode> pth() {
      double[] values = {48, 41, 52};
      int[] days = {98, 280, 520};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("pth", "2731-8", "Parathyrin.intact [Mass/volume] in Serum or Plasma", "PTH",
                days[i], values[i], "pg/mL", 15, 65));
      }
      return out;
    }

    List<ObjectNode> tsh() {
      double[] values = {1.9, 2.3, 1.6, 2.1};
      int[] days = {45, 200, 370, 560};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("tsh", "3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "TSH", days[i],
                values[i], "m[IU]/L", 0.4, 4.0));
      }
      return out;
    }

    List<ObjectNode> vitaminD() {
      double[] values = {34, 29, 38};
      int[] days = {130, 370, 600};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < values.length; i++) {
        out.add(
            lab("vitd", "62292-8", "25-hydroxyvitamin D2+D3 [Mass/volume] in Serum or Plasma",
                "25-OH vitamin D", days[i], values[i], "ng/mL", 30, 100));
      }
      return out;
    }

    List<ObjectNode> kidney() {
      double[] creatinine = {1.0, 1.1, 0.9, 1.0, 1.1, 1.0, 0.9, 1.0, 1.1, 1.0};
      int[] creatinineDays = {2, 21, 45, 70, 98, 130, 160, 200, 280, 370};
      double[] egfr = {58, 52, 64, 58, 52, 58, 64, 58};
      int[] egfrDays = {2, 21, 45, 70, 98, 130, 160, 200};
      List<ObjectNode> out = new ArrayList<>();
      for (int i = 0; i < creatinine.length; i++) {
        out.add(
            lab("creat", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "Creatinine",
                creatinineDays[i], creatinine[i], "mg/dL", 0.5, 1.1));
      }
      for (int i = 0; i < egfr.length; i++) {
        out.add(
            lab("egfr", "98979-8",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum,"
                    + " Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
                "eGFR", egfrDays[i], egfr[i], "mL/min/{1.73_m2}", 60, Double.NaN));
      }
      return out;
    }

    private ObjectNode lab(
        String prefix,
        String loinc,
        String display,
        String text,
        int daysAgo,
        double value,
        String unit,
        double low,
        double high) {
      ObjectNode o = JSON.createObjectNode();
      o.put("resourceType", "Observation");
      o.put("id", PATIENT + "-" + prefix + (++n));
      o.putObject("meta").put("versionId", "1").put("lastUpdated", at(daysAgo, 11, 2));
      o.put("status", "final");
      o.putArray("category")
          .addObject()
          .putArray("coding")
          .addObject()
          .put("system", "http://terminology.hl7.org/CodeSystem/observation-category")
          .put("code", "laboratory")
          .put("display", "Laboratory");
      ObjectNode code = o.putObject("code");
      ArrayNode codings = code.putArray("coding");
      codings.addObject().put("system", LOINC).put("code", loinc).put("display", display);
      codings
          .addObject()
          .put("system", "urn:oid:1.2.840.114350.1.13.0.1.7.2.768282")
          .put("code", "LAB" + Math.abs(loinc.hashCode() % 100000))
          .put("display", text.toUpperCase());
      code.put("text", text);
      o.putObject("subject").put("reference", "Patient/" + PATIENT).put("display", "Halvorsen, Ingrid M");
      o.put("effectiveDateTime", at(daysAgo, 7, 45));
      o.put("issued", at(daysAgo, 10, 45));
      o.putArray("performer")
          .addObject()
          .put("reference", "Organization/bench-lab")
          .put("display", "Main Street Laboratory");
      ObjectNode quantity = o.putObject("valueQuantity");
      quantity.put("value", value);
      quantity.put("unit", unit).put("system", "http://unitsofmeasure.org").put("code", unit);
      String flag = value < low ? "L" : (!Double.isNaN(high) && value > high ? "H" : "N");
      o.putArray("interpretation")
          .addObject()
          .putArray("coding")
          .addObject()
          .put("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation")
          .put("code", flag);
      ObjectNode range = o.putArray("referenceRange").addObject();
      range.putObject("low").put("value", low).put("unit", unit)
          .put("system", "http://unitsofmeasure.org").put("code", unit);
      if (!Double.isNaN(high)) {
        range.putObject("high").put("value", high).put("unit", unit)
            .put("system", "http://unitsofmeasure.org").put("code", unit);
      }
      return o;
    }

    private String at(int daysAgo, int hour, int minute) {
      return ZonedDateTime.of(today.minusDays(daysAgo).atTime(hour, minute), ZoneOffset.UTC)
          .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }
  }

  private static List<ObjectNode> medications(LocalDate today) {
    List<ObjectNode> out = new ArrayList<>();
    out.add(medication(today, "furosemide", "313988", "furosemide 40 MG Oral Tablet", "4603",
        "furosemide", "40 mg by mouth once daily in the morning", 240));
    out.add(medication(today, "lisinopril", "314076", "lisinopril 10 MG Oral Tablet", "29046",
        "lisinopril", "10 mg by mouth once daily", 900));
    out.add(medication(today, "metoprolol", "866924",
        "metoprolol succinate 25 MG Extended Release Oral Tablet", "6918", "metoprolol",
        "25 mg by mouth once daily", 600));
    out.add(medication(today, "atorvastatin", "617310", "atorvastatin 20 MG Oral Tablet", "83367",
        "atorvastatin", "20 mg by mouth at bedtime", 1200));
    out.add(medication(today, "metformin", "861007", "metformin hydrochloride 500 MG Oral Tablet",
        "6809", "metformin", "500 mg by mouth twice daily with meals", 1500));
    out.add(medication(today, "apixaban", "1364445", "apixaban 5 MG Oral Tablet", "1364430",
        "apixaban", "5 mg by mouth twice daily", 400));
    out.add(medication(today, "aspirin", "243670", "aspirin 81 MG Oral Tablet", "1191", "aspirin",
        "81 mg by mouth once daily", 2000));
    out.add(medication(today, "sertraline", "312941", "sertraline 50 MG Oral Tablet", "36437",
        "sertraline", "50 mg by mouth once daily", 700));
    return out;
  }

  private static ObjectNode medication(
      LocalDate today,
      String id,
      String scd,
      String scdName,
      String ingredient,
      String ingredientName,
      String dosage,
      int startedDaysAgo) {
    ObjectNode m = JSON.createObjectNode();
    m.put("resourceType", "MedicationRequest");
    m.put("id", PATIENT + "-" + id);
    m.put("status", "active");
    m.put("intent", "order");
    m.putArray("category")
        .addObject()
        .putArray("coding")
        .addObject()
        .put("system", "http://terminology.hl7.org/CodeSystem/medicationrequest-category")
        .put("code", "outpatient");
    ObjectNode code = m.putObject("medicationCodeableConcept");
    ArrayNode codings = code.putArray("coding");
    codings.addObject().put("system", RXNORM).put("code", scd).put("display", scdName);
    codings.addObject().put("system", RXNORM).put("code", ingredient).put("display", ingredientName);
    code.put("text", scdName);
    m.putObject("subject").put("reference", "Patient/" + PATIENT);
    m.put("authoredOn", today.minusDays(startedDaysAgo) + "T10:00:00Z");
    m.putObject("requester").put("reference", "Practitioner/bench-clinician");
    m.putArray("dosageInstruction").addObject().put("text", dosage);
    return m;
  }

  private static List<ObjectNode> conditions() {
    List<ObjectNode> out = new ArrayList<>();
    out.add(condition("hf", "I50.22", "Chronic systolic (congestive) heart failure", "441481004",
        "Chronic systolic heart failure"));
    out.add(condition("htn", "I10", "Essential (primary) hypertension", "59621000",
        "Essential hypertension"));
    out.add(condition("t2dm", "E11.9", "Type 2 diabetes mellitus without complications",
        "44054006", "Diabetes mellitus type 2"));
    return out;
  }

  private static ObjectNode condition(
      String id, String icd10, String icdName, String snomed, String snomedName) {
    ObjectNode c = JSON.createObjectNode();
    c.put("resourceType", "Condition");
    c.put("id", PATIENT + "-" + id);
    c.putObject("clinicalStatus")
        .putArray("coding")
        .addObject()
        .put("system", "http://terminology.hl7.org/CodeSystem/condition-clinical")
        .put("code", "active");
    c.putObject("verificationStatus")
        .putArray("coding")
        .addObject()
        .put("system", "http://terminology.hl7.org/CodeSystem/condition-ver-status")
        .put("code", "confirmed");
    c.putArray("category")
        .addObject()
        .putArray("coding")
        .addObject()
        .put("system", "http://terminology.hl7.org/CodeSystem/condition-category")
        .put("code", "problem-list-item");
    ObjectNode code = c.putObject("code");
    ArrayNode codings = code.putArray("coding");
    codings.addObject().put("system", "http://hl7.org/fhir/sid/icd-10-cm").put("code", icd10)
        .put("display", icdName);
    codings.addObject().put("system", "http://snomed.info/sct").put("code", snomed)
        .put("display", snomedName);
    code.put("text", snomedName);
    c.putObject("subject").put("reference", "Patient/" + PATIENT);
    c.put("recordedDate", "2023-03-15");
    return c;
  }

  /** Writes the checked-in copy for {@link #ANCHOR}. */
  public static void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(
        file,
        (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(request(ANCHOR)) + "\n")
            .getBytes(StandardCharsets.UTF_8));
  }
}
