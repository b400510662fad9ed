package org.mineralcds.knowledge;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.DrugClass;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.rules.BaselineRule;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.ConflictRule;
import org.mineralcds.rules.Indicator;
import org.mineralcds.rules.LabCondition;
import org.mineralcds.rules.OrderRuleSet;
import org.mineralcds.rules.Position;
import org.mineralcds.rules.TestSpec;
import org.mineralcds.rules.Wording;

/**
 * Loads and validates hooks/prescribing/*.yaml: each file against its JSON Schema, then the
 * references into the patient-view knowledge (drug classes and ingredients, tests, sources,
 * condition sets), the summary placeholders and lengths. Every problem is reported at once.
 */
public final class PrescribingLoader {

  /** The folder under hooks/ (and on the classpath). */
  public static final String FOLDER = "prescribing";

  static final List<String> FILES = List.of("order-services.yaml", "order-rules.yaml");

  /** The placeholders a summary may use. */
  static final Set<String> CONFLICT_PLACEHOLDERS = Set.of("drug", "value", "unit", "date", "with");

  static final Set<String> BASELINE_PLACEHOLDERS = Set.of("drug", "tests");

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

  private final Knowledge knowledge;
  private final List<String> problems = new ArrayList<>();
  private final Set<String> classIds = new HashSet<>();
  private final Set<String> ingredientNames = new HashSet<>();
  private final Set<String> conditionSets = new HashSet<>();

  private PrescribingLoader(Knowledge knowledge) {
    this.knowledge = knowledge;
    knowledge.drugs().classes().stream().map(DrugClass::id).forEach(classIds::add);
    knowledge.drugs().ingredients().stream().map(Ingredient::name).forEach(ingredientNames::add);
    knowledge.conditions().sets().stream().map(ConditionSet::id).forEach(conditionSets::add);
  }

  /** The copy packaged in the jar. */
  public static Prescribing fromClasspath(Knowledge knowledge) {
    return load(
        knowledge,
        name -> {
          String path = "hooks/" + FOLDER + "/" + name;
          try (InputStream in =
              PrescribingLoader.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
              throw new IOException("missing on the classpath: " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          }
        });
  }

  /** From a directory, e.g. a working copy of hooks/prescribing. */
  public static Prescribing fromDirectory(Knowledge knowledge, Path directory) {
    return load(knowledge, name -> Files.readString(directory.resolve(name)));
  }

  public static Prescribing load(Knowledge knowledge, KnowledgeLoader.FileSource source) {
    PrescribingLoader loader = new PrescribingLoader(knowledge);
    Map<String, JsonNode> documents = new LinkedHashMap<>();
    for (String name : FILES) {
      String text;
      try {
        text = source.read(name);
      } catch (IOException e) {
        loader.problems.add(FOLDER + "/" + name + ": cannot be read: " + e.getMessage());
        continue;
      }
      List<String> structural = KnowledgeSchemas.check(name, text);
      if (!structural.isEmpty()) {
        structural.forEach(p -> loader.problems.add(FOLDER + "/" + p));
        continue;
      }
      try {
        documents.put(name, YAML.readTree(text));
      } catch (IOException e) {
        loader.problems.add(FOLDER + "/" + name + ": not valid YAML: " + e.getMessage());
      }
    }
    if (!loader.problems.isEmpty()) {
      throw new KnowledgeException(loader.problems);
    }
    Prescribing result =
        new Prescribing(
            loader.services(documents.get("order-services.yaml")),
            loader.rules(documents.get("order-rules.yaml")));
    if (!loader.problems.isEmpty()) {
      throw new KnowledgeException(loader.problems);
    }
    return result;
  }

  /** Each service with the query plan of mineral-balance (the same prefetch and deferred keys). */
  private List<ServiceDefinition> services(JsonNode doc) {
    ServiceDefinition plan = knowledge.service();
    List<ServiceDefinition> services = new ArrayList<>();
    Set<String> hooks = new HashSet<>();
    for (JsonNode s : doc.path("services")) {
      String hook = s.path("hook").asText();
      if (!hooks.add(hook)) {
        problems.add(FOLDER + "/order-services.yaml: two services on hook " + hook);
      }
      services.add(
          new ServiceDefinition(
              s.path("id").asText(),
              hook,
              s.path("title").asText(),
              s.path("description").asText().strip(),
              plan.usageRequirements(),
              plan.prefetch(),
              plan.requiredKeys(),
              plan.fetchOnlyWhen(),
              plan.optionalParameters(),
              plan.fetchParameters()));
    }
    for (String hook : List.of("order-select", "order-sign")) {
      if (!hooks.contains(hook)) {
        problems.add(FOLDER + "/order-services.yaml: no service on hook " + hook);
      }
    }
    return services;
  }

  private OrderRuleSet rules(JsonNode doc) {
    Set<String> ids = new HashSet<>();
    List<ConflictRule> conflicts = new ArrayList<>();
    for (JsonNode r : doc.path("conflicts")) {
      String id = r.path("id").asText();
      String where = FOLDER + "/order-rules.yaml: rule " + id;
      if (!ids.add(id)) {
        problems.add(where + ": duplicate rule id");
      }
      LabCondition lab = lab(r.path("lab"), where);
      List<ConflictRule.CriticalWhen> critical = new ArrayList<>();
      for (JsonNode c : r.path("criticalWhen")) {
        Set<String> ingredients = names(c.path("ingredients"));
        checkIngredients(ingredients, where);
        critical.add(
            new ConflictRule.CriticalWhen(
                decimal(c.get("atLeast")),
                decimal(c.get("below")),
                c.path("combined").asBoolean(false),
                ingredients,
                c.has("lab") ? lab(c.get("lab"), where) : null));
      }
      Set<String> combined = names(r.path("combinedClasses"));
      checkClasses(combined, where);
      String summary = r.path("summary").asText();
      String conditionSummary =
          r.hasNonNull("conditionSummary") ? r.get("conditionSummary").asText() : null;
      checkSummary(summary, CONFLICT_PLACEHOLDERS, where);
      if (conditionSummary != null) {
        checkSummary(conditionSummary, CONFLICT_PLACEHOLDERS, where);
      }
      if (!lab.orConditions().isEmpty() && conditionSummary == null) {
        problems.add(where + ": orConditions needs a conditionSummary (a card without a value)");
      }
      conflicts.add(
          new ConflictRule(
              id,
              drugClasses(r, where),
              ingredients(r, where),
              lab,
              Indicator.fromCode(r.path("indicator").asText()),
              combined,
              critical,
              r.path("withdraw").asBoolean(),
              tests(r.path("recheck"), where),
              summary,
              conditionSummary,
              r.path("meaning").asText().strip(),
              r.path("action").asText().strip(),
              sources(r.path("sources"), where),
              r.hasNonNull("rationale") ? r.get("rationale").asText().strip() : null,
              r.path("review").asText()));
    }
    List<BaselineRule> baselines = new ArrayList<>();
    for (JsonNode r : doc.path("baselines")) {
      String id = r.path("id").asText();
      String where = FOLDER + "/order-rules.yaml: rule " + id;
      if (!ids.add(id)) {
        problems.add(where + ": duplicate rule id");
      }
      List<BaselineRule.BaselineTest> tests = new ArrayList<>();
      for (JsonNode t : r.path("tests")) {
        List<TestSpec> spec = tests(List.of(t.path("test").asText()), where);
        Set<Analyte> also = new LinkedHashSet<>();
        for (String key : names(t.path("alsoSatisfiedBy"))) {
          Analyte.fromKey(key)
              .ifPresentOrElse(
                  also::add, () -> problems.add(where + ": unknown analyte '" + key + "'"));
        }
        if (!spec.isEmpty()) {
          tests.add(new BaselineRule.BaselineTest(spec.get(0), t.path("withinDays").asInt(), also));
        }
      }
      String summary = r.path("summary").asText();
      checkSummary(summary, BASELINE_PLACEHOLDERS, where);
      baselines.add(
          new BaselineRule(
              id,
              drugClasses(r, where),
              ingredients(r, where),
              r.hasNonNull("longTermDays") ? r.get("longTermDays").asInt() : null,
              tests,
              Indicator.fromCode(r.path("indicator").asText()),
              summary,
              r.path("meaning").asText().strip(),
              r.path("action").asText().strip(),
              sources(r.path("sources"), where),
              r.hasNonNull("rationale") ? r.get("rationale").asText().strip() : null,
              r.path("review").asText()));
    }
    int renewalGap = doc.path("renewalGapDays").asInt();
    Integer history = knowledge.service().orderHistoryDays();
    if (history != null && history < renewalGap) {
      // A renewal is told from a start by the orders ended within the gap: they must be read.
      problems.add(
          FOLDER
              + "/order-rules.yaml: renewalGapDays "
              + renewalGap
              + " is longer than the medication order history the query plan reads ("
              + history
              + " days, hooks/mineral-balance/service.yaml)");
    }
    return new OrderRuleSet(conflicts, baselines, renewalGap);
  }

  private LabCondition lab(JsonNode lab, String where) {
    String analyte = lab.path("analyte").asText();
    if (!"calcium".equals(analyte) && Analyte.fromKey(analyte).isEmpty()) {
      problems.add(where + ": unknown analyte '" + analyte + "'");
    }
    Set<String> conditions = names(lab.path("orConditions"));
    for (String c : conditions) {
      if (!conditionSets.contains(c)) {
        problems.add(where + ": unknown condition set '" + c + "' (conditions.yaml)");
      }
    }
    Position position =
        switch (lab.path("position").asText("")) {
          case "above" -> Position.ABOVE;
          case "below" -> Position.BELOW;
          default -> null;
        };
    return new LabCondition(
        analyte,
        position,
        decimal(lab.get("below")),
        decimal(lab.get("atLeast")),
        lab.path("withinDays").asInt(),
        conditions);
  }

  private Set<String> drugClasses(JsonNode rule, String where) {
    Set<String> classes = names(rule.path("drugClasses"));
    checkClasses(classes, where);
    return classes;
  }

  private Set<String> ingredients(JsonNode rule, String where) {
    Set<String> ingredients = names(rule.path("ingredients"));
    checkIngredients(ingredients, where);
    return ingredients;
  }

  private void checkClasses(Set<String> classes, String where) {
    for (String c : classes) {
      if (!classIds.contains(c)) {
        problems.add(where + ": unknown drug class '" + c + "' (drugs.yaml)");
      }
    }
  }

  private void checkIngredients(Set<String> ingredients, String where) {
    for (String i : ingredients) {
      if (!ingredientNames.contains(i)) {
        problems.add(where + ": unknown ingredient '" + i + "' (drugs.yaml)");
      }
    }
  }

  private List<TestSpec> tests(JsonNode keys, String where) {
    return tests(List.copyOf(names(keys)), where);
  }

  private List<TestSpec> tests(List<String> keys, String where) {
    List<TestSpec> tests = new ArrayList<>();
    for (String key : keys) {
      TestSpec t = knowledge.rules().tests().get(key);
      if (t == null) {
        problems.add(where + ": unknown test '" + key + "' (tests.yaml)");
      } else {
        tests.add(t);
      }
    }
    return tests;
  }

  private List<Citation> sources(JsonNode keys, String where) {
    List<Citation> sources = new ArrayList<>();
    for (String key : names(keys)) {
      Citation c = knowledge.rules().citations().get(key);
      if (c == null) {
        problems.add(where + ": unknown source '" + key + "' (sources.yaml)");
      } else {
        sources.add(c);
      }
    }
    return sources;
  }

  /** Placeholders known, and the summary under 140 characters with long values filled in. */
  private void checkSummary(String summary, Set<String> allowed, String where) {
    Set<String> used = Wording.placeholders(summary);
    for (String p : used) {
      if (!allowed.contains(p)) {
        problems.add(where + ": unknown placeholder {" + p + "} in summary");
      }
    }
    if (!allowed.containsAll(used)) {
      return;
    }
    String longest =
        Wording.fill(
            summary,
            Map.of(
                "drug", "hydrochlorothiazide",
                "value", "10.25",
                "unit", "mL/min/1.73m2",
                "date", "2026-11-20",
                "with", " with spironolactone",
                "tests", "calcium, TSH and creatinine"));
    if (longest.length() > Wording.MAX_SUMMARY_LENGTH) {
      problems.add(
          where
              + ": summary can reach "
              + longest.length()
              + " characters (at most "
              + Wording.MAX_SUMMARY_LENGTH
              + ")");
    }
  }

  private static Set<String> names(JsonNode array) {
    Set<String> names = new LinkedHashSet<>();
    if (array != null && array.isArray()) {
      array.forEach(n -> names.add(n.asText()));
    }
    return names;
  }

  private static BigDecimal decimal(JsonNode n) {
    return n == null || n.isNull() ? null : n.decimalValue();
  }
}
