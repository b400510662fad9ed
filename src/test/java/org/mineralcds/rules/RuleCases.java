package org.mineralcds.rules;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.Comparator;
import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.clinical.ResultStatus;
import org.mineralcds.knowledge.KnowledgeLoader;

/** The data-driven rule cases of {@code src/test/resources/rules/rule-cases.yaml}. */
public final class RuleCases {

  public static final String FIRES = "fires";
  public static final String NEAR_MISS = "nearMiss";

  /** {@code instead: none}: the analyte produces no finding at all. */
  public static final String NONE = "none";

  private static final String RESOURCE = "/rules/rule-cases.yaml";

  private RuleCases() {}

  /** One case: a patient and what the rule {@code rule} must (fires) or must not (nearMiss) do. */
  public record RuleCase(
      String rule, String kind, String description, PatientData patient, Expect expect) {

    public boolean fires() {
      return FIRES.equals(kind);
    }

    @Override
    public String toString() {
      return rule + " [" + kind + "] " + description;
    }
  }

  public record PatientData(
      Integer age,
      List<LabData> labs,
      List<String> meds,
      List<String> pendingOrders,
      List<ConditionData> conditions) {

    public PatientData {
      labs = labs == null ? List.of() : List.copyOf(labs);
      meds = meds == null ? List.of() : List.copyOf(meds);
      pendingOrders = pendingOrders == null ? List.of() : List.copyOf(pendingOrders);
      conditions = conditions == null ? List.of() : List.copyOf(conditions);
    }
  }

  /** A coded, active problem: system icd10 or snomed. */
  public record ConditionData(String system, String code) {}

  private static final ConditionCatalog CONDITIONS =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance")).conditions();

  /**
   * One result: value in the analyte's canonical unit; comparator one of {@code < <= >= >};
   * collected daysAgo days (plus hoursAgo hours) before {@link Labs#NOW}.
   */
  public record LabData(
      String analyte,
      String value,
      String comparator,
      Integer daysAgo,
      Integer hoursAgo,
      RangeData labRange,
      List<String> flags,
      String status,
      String reference,
      Boolean hemolyzed) {

    public LabData {
      flags = flags == null ? List.of() : List.copyOf(flags);
    }
  }

  public record RangeData(String low, String high) {}

  /**
   * For fires: indicator, suggested test ids in order, calcium measure and the displayed value
   * (each optional), and drug causes by ingredient name. For nearMiss: the band that fires instead
   * for the same analyte, or {@code none}.
   */
  public record Expect(
      String indicator,
      List<String> suggests,
      String measure,
      String value,
      List<String> drugCauses,
      String instead) {

    public List<String> suggestsOrEmpty() {
      return suggests == null ? List.of() : suggests;
    }
  }

  public static List<RuleCase> load() {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    try (InputStream in = RuleCases.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + RESOURCE);
      }
      return List.of(yaml.readValue(in, RuleCase[].class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first firing case of each rule, as a realistic patient for that rule. */
  public static RuleCase firstFiring(List<RuleCase> cases, String ruleId) {
    return cases.stream()
        .filter(c -> c.rule().equals(ruleId) && c.fires())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no fires case for " + ruleId));
  }

  public static PatientRecord patient(RuleCase c, DrugCatalog drugs) {
    PatientData data = c.patient();
    Labs.PatientBuilder builder = Labs.patient();
    if (data.age() != null) {
      builder.age(data.age());
    }
    for (LabData lab : data.labs()) {
      builder.lab(lab(lab));
    }
    data.meds().forEach(name -> builder.medication(drugs, name));
    data.pendingOrders().forEach(builder::pending);
    data.conditions().forEach(d -> builder.condition(CONDITIONS, d.system(), d.code(), null));
    return builder.build();
  }

  /** One case lab as a test builder; shared with the due-test cases. */
  static Labs.Lab lab(LabData d) {
    Analyte analyte =
        Analyte.fromKey(d.analyte())
            .orElseThrow(() -> new IllegalArgumentException("unknown analyte " + d.analyte()));
    if (d.daysAgo() == null || d.value() == null) {
      throw new IllegalArgumentException("a lab needs value and daysAgo: " + d);
    }
    Labs.Lab lab = Labs.result(analyte, d.value(), d.daysAgo());
    if (d.hoursAgo() != null) {
      lab.hoursEarlier(d.hoursAgo());
    }
    if (d.comparator() != null) {
      lab.comparator(Comparator.fromSymbol(d.comparator()));
    }
    if (d.labRange() != null) {
      lab.range(d.labRange().low(), d.labRange().high());
    }
    lab.flags(d.flags().toArray(String[]::new));
    if (d.status() != null) {
      lab.status(ResultStatus.valueOf(d.status().toUpperCase(java.util.Locale.ROOT)));
    }
    if (d.reference() != null) {
      lab.reference(d.reference());
    }
    if (Boolean.TRUE.equals(d.hemolyzed())) {
      lab.hemolyzed();
    }
    return lab;
  }
}
