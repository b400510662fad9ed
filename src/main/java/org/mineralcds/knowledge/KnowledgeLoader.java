package org.mineralcds.knowledge;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.ConditionCatalog;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.DrugCatalog;
import org.mineralcds.clinical.DrugClass;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.Limits;
import org.mineralcds.clinical.LoincEntry;
import org.mineralcds.clinical.UnitFactor;
import org.mineralcds.rules.AnalyteRule;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.CalciumMeasure;
import org.mineralcds.rules.CalciumPolicy;
import org.mineralcds.rules.Circumstances;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.Companion;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.Indicator;
import org.mineralcds.rules.LinkRule;
import org.mineralcds.rules.PatternRule;
import org.mineralcds.rules.RuleAnalyte;
import org.mineralcds.rules.RuleSet;
import org.mineralcds.rules.Suggest;
import org.mineralcds.rules.TestSpec;
import org.mineralcds.rules.Threshold;
import org.mineralcds.rules.Topics;
import org.mineralcds.rules.TrendRule;
import org.mineralcds.rules.When;
import org.mineralcds.rules.Wording;

/**
 * Loads and validates hooks/&lt;service-id&gt;/*.yaml. Every problem found is reported at once,
 * with the file, the rule or entry, and the field, so a reviewer can fix the data in one pass.
 */
public final class KnowledgeLoader {

  static final List<String> FILES =
      List.of(
          "service.yaml",
          "sources.yaml",
          "analytes.yaml",
          "drugs.yaml",
          "conditions.yaml",
          "tests.yaml",
          "rules.yaml",
          "due-tests.yaml");

  private static final Set<String> EFFECT_KEYS =
      Set.of("potassium", "magnesium", "calcium", "pth", "tsh", "vitamin-d", "ck");
  private static final Pattern LOINC = Pattern.compile("\\d{1,7}-\\d");
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          // Exact decimals keep "5.0" as written, so cards show limits as they were reviewed.
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

  private final List<String> problems = new ArrayList<>();
  private final Set<String> drugClassIds = new HashSet<>();
  private final Map<String, List<String>> ingredientsByClass = new HashMap<>();
  private final Map<String, String> classNames = new HashMap<>();
  private final Map<String, ConditionSet> conditionSets = new LinkedHashMap<>();
  private final Map<String, JsonNode> documents = new HashMap<>();

  private KnowledgeLoader() {}

  /** Loads the copy packaged in the jar under hooks/&lt;serviceId&gt;/. */
  public static Knowledge fromClasspath(String serviceId) {
    Knowledge knowledge = patientViewFromClasspath(serviceId);
    // The prescribing-time rules refer to this knowledge (drug classes, tests, sources) and are
    // validated with it, at the same start-up.
    return KnowledgeLoader.class.getClassLoader().getResource("hooks/" + PrescribingLoader.FOLDER)
            == null
        ? knowledge
        : knowledge.withPrescribing(PrescribingLoader.fromClasspath(knowledge));
  }

  private static Knowledge patientViewFromClasspath(String serviceId) {
    return load(
        name -> {
          String path = "hooks/" + serviceId + "/" + name;
          try (InputStream in = KnowledgeLoader.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
              throw new IOException("missing on the classpath: " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          }
        });
  }

  /** Loads from a directory, e.g. a working copy of hooks/mineral-balance being edited. */
  public static Knowledge fromDirectory(Path directory) {
    Knowledge knowledge = load(name -> Files.readString(directory.resolve(name)));
    Path prescribing = directory.toAbsolutePath().resolveSibling(PrescribingLoader.FOLDER);
    return Files.isDirectory(prescribing)
        ? knowledge.withPrescribing(PrescribingLoader.fromDirectory(knowledge, prescribing))
        : knowledge;
  }

  /** Reads one knowledge file by name. */
  @FunctionalInterface
  public interface FileSource {
    String read(String name) throws IOException;
  }

  /**
   * Checks every file against its JSON Schema first (structure: keys, types, required fields, with
   * file and line), then builds the knowledge checking what a schema cannot: cross-references
   * between files and rules, placeholders, windows against prefetch horizons.
   */
  public static Knowledge load(FileSource source) {
    KnowledgeLoader loader = new KnowledgeLoader();
    Map<String, String> texts = new LinkedHashMap<>();
    for (String name : FILES) {
      try {
        texts.put(name, source.read(name));
      } catch (IOException e) {
        loader.problems.add(name + ": cannot be read: " + e.getMessage());
      }
    }
    if (!loader.problems.isEmpty()) {
      throw new KnowledgeException(loader.problems);
    }
    // The schema check runs on a thread of its own while this one parses and builds: start-up
    // waits for the longer of the two, not their sum.
    java.util.concurrent.CompletableFuture<List<String>> schemaCheck =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                texts.entrySet().stream()
                    .flatMap(e -> KnowledgeSchemas.check(e.getKey(), e.getValue()).stream())
                    .toList(),
            r -> {
              Thread t = new Thread(r, "knowledge-schemas");
              t.setDaemon(true);
              t.start();
            });
    boolean parsed = true;
    for (Map.Entry<String, String> text : texts.entrySet()) {
      try {
        loader.documents.put(text.getKey(), YAML.readTree(text.getValue()));
      } catch (IOException e) {
        parsed = false;
      }
    }
    if (!parsed) {
      // Not YAML: the schema check names the file and line; nothing else can be checked.
      throw new KnowledgeException(
          schemaCheck.join().stream().filter(p -> p.contains(KnowledgeSchemas.NOT_YAML)).toList());
    }
    List<String> structural;
    Knowledge knowledge;
    try {
      knowledge = loader.build();
    } catch (RuntimeException e) {
      structural = schemaCheck.join();
      if (structural.isEmpty()) {
        throw e;
      }
      // The structure is wrong somewhere: what it says is what to fix first.
      throw new KnowledgeException(structural);
    }
    structural = schemaCheck.join();
    if (!structural.isEmpty() || !loader.problems.isEmpty()) {
      // The cross-reference checks also trip over what the schema reported; keep the schema's
      // words (with file and line) for the entries it names, and the other findings as they are.
      List<String> all = new ArrayList<>(structural);
      for (String problem : loader.problems) {
        if (structural.stream().noneMatch(s -> sameEntry(s, problem))) {
          all.add(problem);
        }
      }
      throw new KnowledgeException(all);
    }
    return knowledge;
  }

  private static final Pattern ENTRY = Pattern.compile("(rule|source|analyte|test) [a-z0-9-]+");

  /** Both problems are about the same rule or entry ("rule vitamin-d-high"). */
  private static boolean sameEntry(String structural, String problem) {
    java.util.regex.Matcher m = ENTRY.matcher(structural);
    return m.find() && problem.contains(m.group() + ":");
  }

  private Knowledge build() {
    Map<String, Citation> citations = citations();
    Map<Analyte, AnalyteSpec> specs = new EnumMap<>(Analyte.class);
    List<LoincEntry> codes = new ArrayList<>();
    Map<Analyte, String> prefetchKeys = new EnumMap<>(Analyte.class);
    analytes(citations, specs, codes, prefetchKeys);
    ServiceDefinition service = service(codes, prefetchKeys);
    DrugCatalog drugs = drugs(citations);
    ConditionCatalog conditions = conditions();
    Map<String, TestSpec> tests = tests();
    RuleSet rules =
        rules(citations, tests, specs, dueTests(citations, tests, prefetchKeys, service));
    if (!problems.isEmpty()) {
      return null;
    }
    return new Knowledge(service, new LabCatalog(specs, codes), drugs, conditions, rules);
  }

  // ---- sources.yaml -------------------------------------------------------------------------

  private Map<String, Citation> citations() {
    Map<String, Citation> result = new LinkedHashMap<>();
    JsonNode sources = documents.get("sources.yaml").path("sources");
    if (!sources.isObject() || sources.isEmpty()) {
      problems.add("sources.yaml: 'sources' must be a non-empty map");
      return result;
    }
    sources
        .properties()
        .forEach(
            e -> {
              String where = "sources.yaml: source " + e.getKey();
              String title = text(e.getValue(), "title", where);
              String url = text(e.getValue(), "url", where);
              if (url != null && isSearchPage(url)) {
                problems.add(
                    where
                        + ": url '"
                        + url
                        + "' is a search page; cite the document itself (DOI, PubMed or PMC"
                        + " record, guideline or label page)");
              }
              result.put(e.getKey(), new Citation(e.getKey(), title, url));
            });
    return result;
  }

  private static final Pattern SEARCH_PATH = Pattern.compile("(?i)/(search|results)\\b|search\\.");
  private static final Pattern SEARCH_QUERY =
      Pattern.compile("(?i)(^|&)(q|query|term|s|search|searchterm|keywords?|text)=");

  /**
   * A search (a results page for a query) rather than a document: "/search", "search.cfm",
   * "?term=", "?query=", "?s=" and the like.
   */
  static boolean isSearchPage(String url) {
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
    return SEARCH_PATH.matcher(path).find() || SEARCH_QUERY.matcher(query).find();
  }

  private Citation citation(
      Map<String, Citation> citations, JsonNode node, String field, String where) {
    String key = text(node, field, where);
    if (key == null) {
      return null;
    }
    Citation citation = citations.get(key);
    if (citation == null) {
      problems.add(where + ": field '" + field + "' names unknown source '" + key + "'");
    }
    return citation;
  }

  // ---- analytes.yaml ------------------------------------------------------------------------

  private void analytes(
      Map<String, Citation> citations,
      Map<Analyte, AnalyteSpec> specs,
      List<LoincEntry> codes,
      Map<Analyte, String> prefetchKeys) {
    JsonNode analytes = documents.get("analytes.yaml").path("analytes");
    for (Analyte analyte : Analyte.values()) {
      JsonNode node = analytes.path(analyte.key());
      String where = "analytes.yaml: analyte " + analyte.key();
      if (!node.isObject()) {
        problems.add(where + ": missing");
        continue;
      }
      String name = text(node, "name", where);
      String canonical = text(node, "canonicalUnit", where);
      prefetchKeys.put(analyte, text(node, "prefetchKey", where));
      Map<String, UnitFactor> units = new HashMap<>();
      JsonNode unitNode = node.path("units");
      if (!unitNode.isObject() || unitNode.isEmpty()) {
        problems.add(where + ": field 'units' must be a non-empty map");
      }
      unitNode
          .properties()
          .forEach(
              u -> {
                try {
                  UnitFactor factor = UnitFactor.parse(u.getValue().asText());
                  UnitFactor previous = units.put(AnalyteSpec.normaliseUnit(u.getKey()), factor);
                  if (previous != null && !previous.equals(factor)) {
                    problems.add(where + ": unit '" + u.getKey() + "' given two different factors");
                  }
                } catch (RuntimeException ex) {
                  problems.add(where + ": unit '" + u.getKey() + "' has an invalid factor");
                }
              });
      if (canonical != null) {
        UnitFactor identity = units.get(AnalyteSpec.normaliseUnit(canonical));
        if (identity == null || identity.apply(BigDecimal.ONE).compareTo(BigDecimal.ONE) != 0) {
          problems.add(where + ": the canonical unit must be listed in 'units' with factor 1");
        }
      }
      Limits defaultRange = limits(node.get("defaultRange"), citations, where + ": defaultRange");
      Limits critical = limits(node.get("criticalLimits"), citations, where + ": criticalLimits");
      JsonNode loinc = node.path("loinc");
      if (!loinc.isArray() || loinc.isEmpty()) {
        problems.add(where + ": field 'loinc' must be a non-empty list");
      }
      for (JsonNode code : loinc) {
        String c = text(code, "code", where + ": loinc entry");
        if (c != null && !isValidLoinc(c)) {
          problems.add(where + ": LOINC code '" + c + "' fails the LOINC check digit");
        }
        String whenMissing =
            code.hasNonNull("unitWhenMissing") ? code.get("unitWhenMissing").asText() : null;
        if (whenMissing != null && !units.containsKey(AnalyteSpec.normaliseUnit(whenMissing))) {
          problems.add(
              where + ": code " + c + ": unitWhenMissing '" + whenMissing + "' is not in 'units'");
        }
        codes.add(
            new LoincEntry(c, analyte, text(code, "display", where + ": code " + c), whenMissing));
      }
      Limits borderline = borderline(node.get("borderline"), defaultRange, citations, where);
      if (name != null && canonical != null) {
        specs.put(
            analyte,
            new AnalyteSpec(
                analyte,
                name,
                canonical,
                units,
                defaultRange,
                critical,
                borderline,
                node.path("hemolysisRaises").asBoolean(false)));
      }
    }
    Set<String> seen = new HashSet<>();
    for (LoincEntry entry : codes) {
      if (entry.code() != null && !seen.add(entry.code())) {
        problems.add("analytes.yaml: LOINC code " + entry.code() + " is listed under two analytes");
      }
    }
  }

  private Limits limits(JsonNode node, Map<String, Citation> citations, String where) {
    if (node == null || node.isNull()) {
      return null;
    }
    BigDecimal low = number(node, "low", where, false);
    BigDecimal high = number(node, "high", where, false);
    if (low == null && high == null) {
      problems.add(where + ": needs 'low' or 'high'");
    }
    if (low != null && high != null && low.compareTo(high) >= 0) {
      problems.add(where + ": 'low' must be below 'high'");
    }
    Citation source = citation(citations, node, "source", where);
    return new Limits(low, high, source == null ? null : source.key());
  }

  /**
   * Margins around the default range within which a value is not called abnormal: each side a
   * non-negative number smaller than the range is wide, a source and a rationale.
   */
  private Limits borderline(
      JsonNode node, Limits defaultRange, Map<String, Citation> citations, String analyteWhere) {
    if (node == null || node.isNull()) {
      return null;
    }
    String where = analyteWhere + ": borderline";
    if (defaultRange == null) {
      problems.add(where + ": needs a defaultRange");
      return null;
    }
    BigDecimal low = number(node, "low", where, false);
    BigDecimal high = number(node, "high", where, false);
    if (low == null && high == null) {
      problems.add(where + ": needs 'low' or 'high'");
    }
    for (BigDecimal margin : new BigDecimal[] {low, high}) {
      if (margin != null && margin.signum() < 0) {
        problems.add(where + ": margins must not be negative");
      }
    }
    text(node, "rationale", where);
    Citation source = citation(citations, node, "source", where);
    return new Limits(low, high, source == null ? null : source.key());
  }

  /** LOINC check digit: the mod-10 (Luhn) algorithm over the digits before the hyphen. */
  static boolean isValidLoinc(String code) {
    if (!LOINC.matcher(code).matches()) {
      return false;
    }
    String payload = code.substring(0, code.indexOf('-'));
    int sum = 0;
    for (int i = 0; i < payload.length(); i++) {
      int digit = payload.charAt(payload.length() - 1 - i) - '0';
      if (i % 2 == 0) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
    }
    int check = (10 - sum % 10) % 10;
    return check == code.charAt(code.length() - 1) - '0';
  }

  // ---- service.yaml -------------------------------------------------------------------------

  /**
   * The result parameters CDS Hooks allows in prefetch templates (besides reference, token and date
   * search parameters): 2.0 says SHOULD, the 3.0 ballot SHALL.
   */
  private static final Set<String> PREFETCH_CONTROL_PARAMETERS =
      Set.of("_count", "_sort", "_maxresults");

  private static List<String> queryParameterNames(String template) {
    int q = template.indexOf('?');
    List<String> names = new ArrayList<>();
    if (q < 0) {
      return names;
    }
    for (String pair : template.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      names.add(eq < 0 ? pair : pair.substring(0, eq));
    }
    return names;
  }

  private ServiceDefinition service(List<LoincEntry> codes, Map<Analyte, String> prefetchKeys) {
    JsonNode node = documents.get("service.yaml");
    String where = "service.yaml";
    String id = text(node, "id", where);
    String hook = text(node, "hook", where);
    String title = text(node, "title", where);
    String description = text(node, "description", where);
    String usage =
        node.hasNonNull("usageRequirements") ? node.get("usageRequirements").asText() : null;
    Map<String, String> prefetch = new LinkedHashMap<>();
    JsonNode templates = node.path("prefetch");
    if (!templates.isObject() || templates.isEmpty()) {
      problems.add(where + ": field 'prefetch' must be a non-empty map");
    }
    templates.properties().forEach(e -> prefetch.put(e.getKey(), e.getValue().asText()));
    Set<String> required = new LinkedHashSet<>();
    for (JsonNode key : node.path("requiredKeys")) {
      if (!prefetch.containsKey(key.asText())) {
        problems.add(
            where + ": requiredKeys names '" + key.asText() + "', which is not a prefetch key");
      }
      required.add(key.asText());
    }
    for (LoincEntry entry : codes) {
      String key = prefetchKeys.get(entry.analyte());
      String template = key == null ? null : prefetch.get(key);
      if (template == null) {
        problems.add(
            "analytes.yaml: analyte "
                + entry.analyte().key()
                + ": prefetchKey '"
                + key
                + "' is not a prefetch key");
      } else if (!template.matches(
          ".*[=,]http://loinc\\.org\\|" + Pattern.quote(entry.code()) + "([,&].*|$)")) {
        problems.add(
            where
                + ": prefetch '"
                + key
                + "' does not query LOINC "
                + entry.code()
                + " ("
                + entry.analyte().key()
                + ")");
      }
    }
    Map<String, ServiceDefinition.FetchWhen> onlyWhen = new LinkedHashMap<>();
    node.path("fetchOnlyWhen")
        .properties()
        .forEach(
            e -> {
              if (!prefetch.containsKey(e.getKey())) {
                problems.add(
                    where
                        + ": fetchOnlyWhen names '"
                        + e.getKey()
                        + "', which is not a prefetch key");
              } else if (required.contains(e.getKey())) {
                problems.add(
                    where
                        + ": fetchOnlyWhen names the required key '"
                        + e.getKey()
                        + "': a required key is always fetched");
              }
              ServiceDefinition.FetchWhen when =
                  Arrays.stream(ServiceDefinition.FetchWhen.values())
                      .filter(w -> w.key().equals(e.getValue().asText()))
                      .findFirst()
                      .orElse(null);
              if (when == null) {
                problems.add(
                    where
                        + ": fetchOnlyWhen."
                        + e.getKey()
                        + " must be one of "
                        + Arrays.stream(ServiceDefinition.FetchWhen.values())
                            .map(ServiceDefinition.FetchWhen::key)
                            .toList());
              } else {
                onlyWhen.put(e.getKey(), when);
              }
            });
    Set<String> optional = new LinkedHashSet<>();
    node.path("optionalParameters").forEach(p -> optional.add(p.asText()));
    Map<String, String> fetchParameters = new LinkedHashMap<>();
    node.path("fetchParameters")
        .properties()
        .forEach(
            e -> {
              if (!prefetch.containsKey(e.getKey())) {
                problems.add(
                    where
                        + ": fetchParameters names '"
                        + e.getKey()
                        + "', which is not a prefetch key");
              }
              fetchParameters.put(e.getKey(), e.getValue().asText());
            });
    prefetch.forEach(
        (key, template) -> {
          for (String parameter : queryParameterNames(template)) {
            if (parameter.startsWith("_") && !PREFETCH_CONTROL_PARAMETERS.contains(parameter)) {
              problems.add(
                  where
                      + ": prefetch '"
                      + key
                      + "' uses "
                      + parameter
                      + ", which CDS Hooks does not allow in prefetch templates (only "
                      + PREFETCH_CONTROL_PARAMETERS
                      + "); put it in fetchParameters");
            }
          }
        });
    return new ServiceDefinition(
        id,
        hook,
        title,
        description,
        usage,
        prefetch,
        required,
        onlyWhen,
        optional,
        fetchParameters);
  }

  // ---- drugs.yaml ---------------------------------------------------------------------------

  private DrugCatalog drugs(Map<String, Citation> citations) {
    List<DrugClass> classes = new ArrayList<>();
    List<Ingredient> ingredients = new ArrayList<>();
    JsonNode node = documents.get("drugs.yaml").path("classes");
    if (!node.isObject() || node.isEmpty()) {
      problems.add("drugs.yaml: 'classes' must be a non-empty map");
    }
    node.properties()
        .forEach(
            e -> {
              String where = "drugs.yaml: class " + e.getKey();
              JsonNode c = e.getValue();
              Map<String, Direction> effects = new HashMap<>();
              c.path("effects")
                  .properties()
                  .forEach(
                      effect -> {
                        if (!EFFECT_KEYS.contains(effect.getKey())) {
                          problems.add(
                              where + ": effect on unknown analyte '" + effect.getKey() + "'");
                        }
                        Direction d =
                            direction(
                                effect.getValue().asText(), where + ": effects." + effect.getKey());
                        if (d != null) {
                          effects.put(effect.getKey(), d);
                        }
                      });
              Citation source = citation(citations, c, "source", where);
              drugClassIds.add(e.getKey());
              if (c.hasNonNull("name")) {
                classNames.put(e.getKey(), c.get("name").asText());
              }
              DrugClass drugClass =
                  new DrugClass(
                      e.getKey(),
                      text(c, "name", where),
                      strings(c.path("atcPrefixes")),
                      effects,
                      source == null ? null : source.key(),
                      c.path("systemicOnly").asBoolean(false));
              classes.add(drugClass);
              if (!c.path("members").isArray() || c.path("members").isEmpty()) {
                problems.add(where + ": field 'members' must be a non-empty list");
              }
              for (JsonNode m : c.path("members")) {
                String name = text(m, "name", where + ": member");
                String rxnorm = m.hasNonNull("rxnorm") ? m.get("rxnorm").asText() : null;
                if (rxnorm != null && !rxnorm.matches("\\d+")) {
                  problems.add(where + ": member " + name + ": rxnorm must be digits");
                }
                if (name != null) {
                  ingredientsByClass
                      .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                      .add(name.toLowerCase(Locale.ROOT));
                }
                ingredients.add(
                    new Ingredient(
                        name,
                        rxnorm,
                        m.hasNonNull("atc") ? m.get("atc").asText() : null,
                        strings(m.path("aliases")),
                        strings(m.path("brands")),
                        drugClass));
              }
            });
    try {
      return new DrugCatalog(classes, ingredients);
    } catch (IllegalArgumentException ex) {
      problems.add("drugs.yaml: " + ex.getMessage());
      return null;
    }
  }

  // ---- conditions.yaml ----------------------------------------------------------------------

  private ConditionCatalog conditions() {
    List<ConditionSet> sets = new ArrayList<>();
    documents
        .get("conditions.yaml")
        .path("sets")
        .properties()
        .forEach(
            e -> {
              String where = "conditions.yaml: set " + e.getKey();
              JsonNode s = e.getValue();
              List<String> prefixes = strings(s.path("icd10cmPrefixes"));
              Set<String> snomed = new HashSet<>(strings(s.path("snomed")));
              if (prefixes.isEmpty() && snomed.isEmpty()) {
                problems.add(where + ": needs icd10cmPrefixes or snomed codes");
              }
              ConditionSet set =
                  new ConditionSet(
                      e.getKey(),
                      text(s, "name", where),
                      prefixes,
                      snomed,
                      analytes(s.path("relevantTo"), where + ": relevantTo"));
              sets.add(set);
              conditionSets.put(e.getKey(), set);
            });
    return new ConditionCatalog(sets);
  }

  // ---- tests.yaml ---------------------------------------------------------------------------

  private Map<String, TestSpec> tests() {
    Map<String, TestSpec> tests = new LinkedHashMap<>();
    documents
        .get("tests.yaml")
        .path("tests")
        .properties()
        .forEach(
            e -> {
              String where = "tests.yaml: test " + e.getKey();
              JsonNode t = e.getValue();
              String loinc = text(t, "loinc", where);
              if (loinc != null && !isValidLoinc(loinc)) {
                problems.add(where + ": LOINC code '" + loinc + "' fails the LOINC check digit");
              }
              Analyte analyte = analyte(text(t, "analyte", where), where + ": analyte");
              tests.put(
                  e.getKey(),
                  new TestSpec(
                      e.getKey(),
                      loinc,
                      text(t, "display", where),
                      text(t, "label", where),
                      analyte,
                      analytes(t.path("satisfiedBy"), where + ": satisfiedBy")));
            });
    return tests;
  }

  // ---- rules.yaml ---------------------------------------------------------------------------

  private RuleSet rules(
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, AnalyteSpec> specs,
      List<DueTestRule> dueTests) {
    JsonNode doc = documents.get("rules.yaml");
    JsonNode ca = doc.path("calcium");
    String caWhere = "rules.yaml: calcium";
    CalciumPolicy calcium =
        new CalciumPolicy(
            positiveInt(ca, "preferIonizedWithinDays", caWhere),
            positiveInt(ca, "albuminWithinHours", caWhere),
            number(ca, "correctWhenAlbuminBelow", caWhere, true),
            number(ca, "referenceAlbumin", caWhere, true),
            number(ca, "factorPerGramPerDeciliter", caWhere, true),
            citation(citations, ca, "source", caWhere),
            citation(citations, ca, "caveatSource", caWhere));
    List<AnalyteRule> rules = new ArrayList<>();
    Set<String> bandIds = new HashSet<>();
    Set<String> ruleAnalytes = new HashSet<>();
    for (JsonNode r : doc.path("rules")) {
      String analyteKey = text(r, "analyte", "rules.yaml: rule");
      String where = "rules.yaml: analyte " + analyteKey;
      if (analyteKey == null) {
        continue;
      }
      if (!ruleAnalytes.add(analyteKey)) {
        problems.add(where + ": appears twice; put all its bands in one list");
      }
      RuleAnalyte analyte;
      try {
        analyte = RuleAnalyte.parse(analyteKey);
      } catch (IllegalArgumentException ex) {
        problems.add(where + ": " + ex.getMessage());
        continue;
      }
      String effectKey = text(r, "effectKey", where);
      if (effectKey != null && !EFFECT_KEYS.contains(effectKey)) {
        problems.add(where + ": effectKey '" + effectKey + "' is not one of " + EFFECT_KEYS);
      }
      List<Analyte> context = new ArrayList<>(analytes(r.path("context"), where + ": context"));
      List<Band> bands = new ArrayList<>();
      for (JsonNode b : r.path("bands")) {
        Band band = band(b, analyte, citations, tests, specs, where, Set.of());
        if (band != null) {
          if (!bandIds.add(band.id())) {
            problems.add("rules.yaml: rule id '" + band.id() + "' is used twice");
          }
          bands.add(band);
        }
      }
      if (bands.isEmpty()) {
        problems.add(where + ": needs at least one band");
      }
      rules.add(new AnalyteRule(analyte, effectKey, context, bands));
    }
    List<PatternRule> patterns = new ArrayList<>();
    for (JsonNode p : doc.path("patterns")) {
      PatternRule pattern = pattern(p, citations, tests, specs, Set.copyOf(bandIds));
      if (pattern != null) {
        if (!bandIds.add(pattern.band().id())) {
          problems.add("rules.yaml: rule id '" + pattern.band().id() + "' is used twice");
        }
        patterns.add(pattern);
      }
    }
    List<TrendRule> trends = new ArrayList<>();
    for (JsonNode t : doc.path("trends")) {
      TrendRule trend = trend(t, citations, tests, specs);
      if (trend != null) {
        if (!bandIds.add(trend.band().id())) {
          problems.add("rules.yaml: rule id '" + trend.band().id() + "' is used twice");
        }
        trends.add(trend);
      }
    }
    Set<String> ids = new HashSet<>(bandIds);
    for (DueTestRule due : dueTests) {
      if (!ids.add(due.id())) {
        problems.add("due-tests.yaml: rule id '" + due.id() + "' is used twice (or in rules.yaml)");
      }
    }
    List<LinkRule> links = new ArrayList<>();
    for (JsonNode l : doc.path("links")) {
      String id = text(l, "id", "rules.yaml: link");
      String where = "rules.yaml: link " + id;
      Set<Analyte> low = new LinkedHashSet<>();
      for (JsonNode a : l.path("low")) {
        if ("calcium".equals(a.asText())) {
          low.add(Analyte.CALCIUM_TOTAL);
        } else {
          Analyte analyte = analyte(a.asText(), where + ": low");
          if (analyte != null) {
            low.add(analyte);
          }
        }
      }
      if (low.size() < 2) {
        problems.add(where + ": field 'low' must name at least two analytes");
      }
      String note = text(l, "note", where);
      List<Citation> linkSources = sources(l, citations, where);
      if (id != null && note != null) {
        if (!ids.add(id)) {
          problems.add("rules.yaml: rule id '" + id + "' is used twice");
        }
        links.add(new LinkRule(id, low, note, linkSources));
      }
    }
    return new RuleSet(rules, patterns, trends, dueTests, calcium, tests, citations, links);
  }

  private TrendRule trend(
      JsonNode t,
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, AnalyteSpec> specs) {
    String id = text(t, "id", "rules.yaml: trend");
    String where = "rules.yaml: trend " + id;
    Analyte analyte = analyte(text(t, "analyte", where), where + ": analyte");
    BigDecimal minChange = number(t, "minChange", where, true);
    if (minChange != null && minChange.signum() <= 0) {
      problems.add(where + ": field 'minChange' must be positive");
    }
    int withinHours = positiveInt(t, "withinHours", where);
    Band band =
        band(
            t,
            analyte == null ? null : new RuleAnalyte.Single(analyte),
            citations,
            tests,
            specs,
            where,
            Set.of(Wording.PREVIOUS),
            false);
    if (band == null || analyte == null || minChange == null) {
      return null;
    }
    return new TrendRule(
        band,
        analyte,
        minChange,
        withinHours,
        new ArrayList<>(analytes(t.path("context"), where + ": context")));
  }

  private PatternRule pattern(
      JsonNode p,
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, AnalyteSpec> specs,
      Set<String> singleBandIds) {
    String id = text(p, "id", "rules.yaml: pattern");
    String where = "rules.yaml: pattern " + id;
    String primaryKey = text(p, "primary", where);
    JsonNode inputs = p.path("inputs");
    if (primaryKey == null || !inputs.isObject() || !inputs.has(primaryKey)) {
      problems.add(where + ": field 'inputs' must be a map that includes the primary analyte");
      return null;
    }
    Map<RuleAnalyte, When> others = new LinkedHashMap<>();
    RuleAnalyte primary = null;
    Set<String> placeholders = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> input : inputs.properties()) {
      RuleAnalyte analyte;
      try {
        analyte = RuleAnalyte.parse(input.getKey());
      } catch (IllegalArgumentException ex) {
        problems.add(where + ": inputs: " + ex.getMessage());
        continue;
      }
      if (input.getKey().equals(primaryKey)) {
        primary = analyte;
      } else {
        When when = when(input.getValue(), analyte, where + ": inputs." + input.getKey());
        if (when != null) {
          others.put(analyte, when);
          placeholders.add(PatternRule.placeholder(analyte));
        }
      }
    }
    if (primary == null) {
      return null;
    }
    Set<RuleAnalyte> missingAllowed = new LinkedHashSet<>();
    for (JsonNode m : p.path("missingAllowed")) {
      try {
        RuleAnalyte a = RuleAnalyte.parse(m.asText());
        if (!others.containsKey(a)) {
          problems.add(
              where
                  + ": missingAllowed names '"
                  + m.asText()
                  + "', which is not a non-primary input");
        }
        missingAllowed.add(a);
      } catch (IllegalArgumentException ex) {
        problems.add(where + ": missingAllowed: " + ex.getMessage());
      }
    }
    Set<String> replaces = new LinkedHashSet<>();
    for (JsonNode r : p.path("replaces")) {
      if (!Topics.CODES.contains(r.asText())) {
        problems.add(
            where + ": replaces names '" + r.asText() + "', which is not a contract topic");
      }
      replaces.add(r.asText());
    }
    String effectKey = text(p, "effectKey", where);
    if (effectKey != null && !EFFECT_KEYS.contains(effectKey)) {
      problems.add(where + ": effectKey '" + effectKey + "' is not one of " + EFFECT_KEYS);
    }
    // The band parser reads the primary's condition from 'when'.
    ObjectNode asBand = p.deepCopy();
    asBand.set("when", inputs.get(primaryKey));
    Band band = band(asBand, primary, citations, tests, specs, where, placeholders);
    int within = positiveInt(p, "withinDays", where);
    Set<String> requires =
        knownDrugClasses(p.path("requiresDrugClasses"), where + ": requiresDrugClasses");
    int minDrugClasses = p.has("minDrugClasses") ? positiveInt(p, "minDrugClasses", where) : 1;
    if (minDrugClasses > Math.max(1, requires.size())) {
      problems.add(where + ": minDrugClasses is larger than the requiresDrugClasses listed");
    }
    Set<String> yieldsTo = new LinkedHashSet<>();
    for (JsonNode y : p.path("yieldsTo")) {
      if (!Topics.CODES.contains(y.asText()) && !singleBandIds.contains(y.asText())) {
        problems.add(
            where
                + ": yieldsTo names '"
                + y.asText()
                + "', which is not a contract topic or a single-analyte rule id");
      }
      yieldsTo.add(y.asText());
    }
    if (band == null) {
      return null;
    }
    return new PatternRule(
        band,
        primary,
        effectKey,
        others,
        missingAllowed,
        within,
        replaces,
        new ArrayList<>(analytes(p.path("context"), where + ": context")),
        requires,
        minDrugClasses,
        yieldsTo,
        p.path("takesSuggestions").asBoolean(true));
  }

  private Band band(
      JsonNode b,
      RuleAnalyte analyte,
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, AnalyteSpec> specs,
      String analyteWhere,
      Set<String> inputPlaceholders) {
    return band(b, analyte, citations, tests, specs, analyteWhere, inputPlaceholders, true);
  }

  private Band band(
      JsonNode b,
      RuleAnalyte analyte,
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, AnalyteSpec> specs,
      String analyteWhere,
      Set<String> inputPlaceholders,
      boolean conditionRequired) {
    String id = text(b, "id", analyteWhere + ": band");
    String where = "rules.yaml: rule " + id;
    String topic = text(b, "topic", where);
    if (topic != null && !Topics.CODES.contains(topic)) {
      problems.add(where + ": field 'topic' is not a contract topic code: " + topic);
    }
    Indicator indicator = indicator(b, "indicator", where, true);
    Indicator withDrug = indicator(b, "indicatorWithDrug", where, false);
    Direction drugEffect =
        b.hasNonNull("drugEffect")
            ? direction(b.get("drugEffect").asText(), where + ": drugEffect")
            : null;
    if (withDrug != null && drugEffect == null) {
      problems.add(where + ": field 'indicatorWithDrug' needs 'drugEffect'");
    }
    String summary = text(b, "summary", where);
    if (summary != null) {
      checkSummary(summary, where, inputPlaceholders);
    }
    List<Suggest> suggest = new ArrayList<>();
    for (JsonNode s : b.path("suggest")) {
      String testId = text(s, "test", where + ": suggest");
      TestSpec test = tests.get(testId);
      if (testId != null && test == null) {
        problems.add(where + ": suggest names unknown test '" + testId + "'");
      }
      int days = positiveInt(s, "notWithinDays", where + ": suggest " + testId);
      if (test != null) {
        suggest.add(new Suggest(test, days));
      }
    }
    List<Citation> sources = sources(b, citations, where);
    String review = review(b, where);
    When when = conditionRequired ? when(b.path("when"), analyte, where) : null;
    int lookback = positiveInt(b, "lookbackDays", where);
    Set<String> managed =
        knownConditionSets(b.path("managedWhenCoded"), where + ": managedWhenCoded");
    if (!managed.isEmpty() && (drugEffect == null || indicator == Indicator.CRITICAL)) {
      problems.add(
          where
              + ": managedWhenCoded needs drugEffect (the direction of worsening) and is not"
              + " allowed on critical rules");
    }
    if (id == null
        || (conditionRequired && when == null)
        || topic == null
        || indicator == null
        || summary == null) {
      return null;
    }
    return new Band(
        id,
        when,
        lookback,
        topic,
        indicator,
        withDrug,
        drugEffect,
        b.path("appliesToChildren").asBoolean(false),
        summary,
        text(b, "meaning", where),
        text(b, "action", where),
        suggest,
        sources,
        review,
        knownConditionSets(b.path("requiresConditions"), where + ": requiresConditions"),
        managed,
        knownConditionSets(b.path("unlessConditions"), where + ": unlessConditions"),
        text(b, "rationale", where));
  }

  /** A rule's 'sources': at least one, each a key of sources.yaml. */
  private List<Citation> sources(JsonNode rule, Map<String, Citation> citations, String where) {
    List<Citation> sources = new ArrayList<>();
    if (!rule.path("sources").isArray() || rule.path("sources").isEmpty()) {
      problems.add(where + ": field 'sources' must list at least one source");
    }
    for (JsonNode s : rule.path("sources")) {
      Citation c = citations.get(s.asText());
      if (c == null) {
        problems.add(where + ": field 'sources' names unknown source '" + s.asText() + "'");
      } else {
        sources.add(c);
      }
    }
    return sources;
  }

  private String review(JsonNode rule, String where) {
    String review = text(rule, "review", where);
    if (review != null && !Set.of("draft", "reviewed").contains(review)) {
      problems.add(where + ": field 'review' must be draft or reviewed");
    }
    return review;
  }

  private void checkSummary(String summary, String where, Set<String> inputPlaceholders) {
    Set<String> unknown = new LinkedHashSet<>(Wording.placeholders(summary));
    unknown.removeAll(Wording.SUMMARY_PLACEHOLDERS);
    unknown.removeAll(inputPlaceholders);
    if (!unknown.isEmpty()) {
      problems.add(where + ": field 'summary' uses unknown placeholders " + unknown);
      return;
    }
    // The longest realistic value, unit and measure; the drug clause is dropped by the renderer
    // when it would make the summary too long, so it is not counted here.
    Map<String, String> samples = new HashMap<>();
    samples.put("value", "<0.005");
    samples.put("unit", "mL/min/{1.73_m2}");
    samples.put("date", "2026-11-20");
    samples.put("measure", "albumin-corrected");
    samples.put("whileOn", "");
    // A pattern input reads "value unit", e.g. "123.4 pg/mL".
    inputPlaceholders.forEach(name -> samples.put(name, "123.4 pg/mL"));
    String sample = Wording.fill(summary, samples);
    if (sample.length() > Wording.MAX_SUMMARY_LENGTH) {
      problems.add(
          where + ": field 'summary' can reach " + sample.length() + " characters (limit 139)");
    }
  }

  private When when(JsonNode w, RuleAnalyte analyte, String where) {
    String at = where + ": when";
    if (!w.isObject()) {
      problems.add(at + ": missing");
      return null;
    }
    int problemsBefore = problems.size();
    Direction critical =
        w.hasNonNull("critical") ? direction(w.get("critical").asText(), at + ".critical") : null;
    Threshold below = threshold(w, "below", at, true);
    Threshold atLeast = threshold(w, "atLeast", at, false);
    Threshold above = threshold(w, "above", at, true);
    Threshold atMost = threshold(w, "atMost", at, false);
    Threshold notAbove = threshold(w, "notAbove", at, true);
    Threshold notBelow = threshold(w, "notBelow", at, true);
    Set<CalciumMeasure> measures = new HashSet<>();
    for (JsonNode m : w.path("measures")) {
      if (!(analyte instanceof RuleAnalyte.Calcium)) {
        problems.add(at + ".measures: only calcium rules have measures");
      }
      try {
        measures.add(CalciumMeasure.fromKey(m.asText()));
      } catch (IllegalArgumentException ex) {
        problems.add(at + ".measures: " + ex.getMessage());
      }
    }
    Companion companion = null;
    JsonNode c = w.get("companion");
    if (c != null) {
      Analyte companionAnalyte =
          analyte(text(c, "analyte", at + ".companion"), at + ".companion.analyte");
      Direction is = direction(text(c, "is", at + ".companion"), at + ".companion.is");
      int within = positiveInt(c, "withinDays", at + ".companion");
      companion =
          companionAnalyte == null || is == null
              ? null
              : new Companion(companionAnalyte, is, within);
    }
    Boolean hemolyzed = null;
    if (w.has("hemolyzed")) {
      if (!w.get("hemolyzed").isBoolean() || !w.get("hemolyzed").asBoolean()) {
        problems.add(at + ".hemolyzed: must be true (omit it otherwise)");
      }
      hemolyzed = Boolean.TRUE;
    }
    Analyte withoutSameDraw =
        w.hasNonNull("withoutSameDraw")
            ? analyte(w.get("withoutSameDraw").asText(), at + ".withoutSameDraw")
            : null;
    if (problems.size() > problemsBefore) {
      return null; // a part is malformed and reported; an "empty condition" would only repeat it
    }
    try {
      return new When(
          critical,
          below,
          atLeast,
          above,
          atMost,
          notAbove,
          notBelow,
          measures,
          companion,
          hemolyzed,
          withoutSameDraw);
    } catch (IllegalArgumentException ex) {
      problems.add(at + ": " + ex.getMessage());
      return null;
    }
  }

  private Threshold threshold(JsonNode w, String field, String where, boolean rangeAllowed) {
    JsonNode node = w.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isObject()) {
      JsonNode factor = node.get("timesUpperLimit");
      if (!Set.of("atLeast", "above", "below").contains(field)
          || node.size() != 1
          || factor == null
          || !factor.isNumber()
          || factor.decimalValue().signum() <= 0) {
        problems.add(
            where
                + "."
                + field
                + ": an object threshold must be {timesUpperLimit: <positive number>}"
                + " and is only allowed with atLeast, above and below");
        return null;
      }
      return new Threshold.UpperLimitMultiple(factor.decimalValue());
    }
    if ("range".equals(node.asText())) {
      if (!rangeAllowed) {
        problems.add(where + "." + field + ": 'range' is only allowed with below or above");
        return null;
      }
      return new Threshold.Range();
    }
    if (!node.isNumber()) {
      problems.add(where + "." + field + ": must be a number or 'range'");
      return null;
    }
    return new Threshold.Value(node.decimalValue());
  }

  // ---- due-tests.yaml -----------------------------------------------------------------------

  private static final Pattern LOOKBACK = Pattern.compile("today\\(\\) - (\\d+) days");

  /**
   * Monitoring and work-up rules. A window longer than the data the prefetch template asks for
   * would report a test as missing when it is merely outside the fetched period, so it is refused.
   */
  private List<DueTestRule> dueTests(
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, String> prefetchKeys,
      ServiceDefinition service) {
    JsonNode doc = documents.get("due-tests.yaml");
    Map<Analyte, Integer> horizon = new EnumMap<>(Analyte.class);
    if (service != null) {
      prefetchKeys.forEach(
          (analyte, key) -> {
            String template = service.prefetch().get(key);
            Matcher m = template == null ? null : LOOKBACK.matcher(template);
            if (m != null && m.find()) {
              horizon.put(analyte, Integer.parseInt(m.group(1)));
            }
          });
    }
    List<DueTestRule> result = new ArrayList<>();
    for (String section : List.of("monitoring", "workups")) {
      JsonNode list = doc.path(section);
      if (!list.isArray() || list.isEmpty()) {
        problems.add("due-tests.yaml: '" + section + "' must be a non-empty list");
        continue;
      }
      for (JsonNode r : list) {
        DueTestRule rule = dueTest(r, section.equals("monitoring"), citations, tests, horizon);
        if (rule != null) {
          result.add(rule);
        }
      }
    }
    checkOrderHistory(result, service);
    return result;
  }

  /**
   * Days by which two orders of a drug join into one course (fhir.MedicationHistory.RENEWAL_GAP):
   * an order this far before the first one read may still belong to the course.
   */
  static final int RENEWAL_GAP_DAYS = 400;

  /**
   * The order history the plan reads must reach back far enough for every start the rules compare:
   * the longest activeAtLeastDays, startedWithinDays or sinceStart window, plus {@link
   * #RENEWAL_GAP_DAYS}. A start the history may not reach then always lies before every one of
   * those windows, so the rules decide as with the whole history; only the cards' wording changes
   * ("since at least").
   */
  private void checkOrderHistory(List<DueTestRule> rules, ServiceDefinition service) {
    Integer history = service == null ? null : service.orderHistoryDays();
    if (history == null) {
      return;
    }
    int longest = 0;
    String which = null;
    for (DueTestRule rule : rules) {
      List<Integer> days = new ArrayList<>();
      if (rule.trigger() instanceof DueTestRule.Trigger.Medication m) {
        days.add(m.activeAtLeastDays());
        if (m.startedWithinDays() != null) {
          days.add(m.startedWithinDays());
        }
      }
      for (DueTestRule.DueTest t : rule.tests()) {
        if (t.activeAtLeastDays() != null) {
          days.add(t.activeAtLeastDays());
        }
        if (t.sinceStart()) {
          days.add(t.withinDays());
          if (t.shorterWithinDays() != null) {
            days.add(t.shorterWithinDays());
          }
        }
      }
      for (int d : days) {
        if (d > longest) {
          longest = d;
          which = rule.id();
        }
      }
    }
    if (history < longest + RENEWAL_GAP_DAYS) {
      problems.add(
          "service.yaml: the medication order history reaches back "
              + history
              + " days; the rules need "
              + (longest + RENEWAL_GAP_DAYS)
              + " ("
              + longest
              + " days of due-tests.yaml rule "
              + which
              + " plus the "
              + RENEWAL_GAP_DAYS
              + " days that join two orders into one course)");
    }
  }

  private DueTestRule dueTest(
      JsonNode r,
      boolean monitoring,
      Map<String, Citation> citations,
      Map<String, TestSpec> tests,
      Map<Analyte, Integer> horizon) {
    String id = text(r, "id", "due-tests.yaml: rule");
    String where = "due-tests.yaml: rule " + id;
    int before = problems.size();
    String family = monitoring ? text(r, "family", where) : "symptom-workup";
    JsonNode t = r.path("trigger");
    DueTestRule.Trigger trigger = null;
    List<String> triggerNames = new ArrayList<>();
    if (!t.isObject()) {
      problems.add(where + ": field 'trigger' is required");
    } else if (monitoring) {
      Set<String> classes = knownDrugClasses(t.path("drugClasses"), where + ": trigger");
      if (classes.isEmpty()) {
        problems.add(where + ": trigger.drugClasses must name at least one drug class");
      }
      Set<String> ingredients = new LinkedHashSet<>();
      for (JsonNode n : t.path("ingredients")) {
        String name = n.asText().toLowerCase(Locale.ROOT);
        if (classes.stream()
            .noneMatch(c -> ingredientsByClass.getOrDefault(c, List.of()).contains(name))) {
          problems.add(
              where + ": trigger.ingredients names '" + n.asText() + "', not in those classes");
        }
        ingredients.add(name);
      }
      classes.forEach(
          c ->
              ingredientsByClass.getOrDefault(c, List.of()).stream()
                  .filter(n -> ingredients.isEmpty() || ingredients.contains(n))
                  .forEach(triggerNames::add));
      if (ingredients.isEmpty()) {
        // A class-level code (ATC L01XA) is recognised as the class, named by its name.
        classes.stream()
            .map(classNames::get)
            .filter(java.util.Objects::nonNull)
            .forEach(triggerNames::add);
      }
      int active = t.has("activeAtLeastDays") ? nonNegativeInt(t, "activeAtLeastDays", where) : 0;
      Integer started =
          t.has("startedWithinDays")
              ? positiveInt(t, "startedWithinDays", where + ": trigger")
              : null;
      if (started != null && started < active) {
        problems.add(where + ": trigger.startedWithinDays is shorter than activeAtLeastDays");
      }
      trigger = new DueTestRule.Trigger.Medication(classes, ingredients, active, started);
    } else {
      Set<String> sets = knownConditionSets(t.path("conditions"), where + ": trigger");
      if (sets.isEmpty()) {
        problems.add(where + ": trigger.conditions must name at least one condition set");
      }
      sets.stream().map(conditionSets::get).map(ConditionSet::name).forEach(triggerNames::add);
      trigger =
          new DueTestRule.Trigger.Problem(
              sets,
              t.has("recordedWithinDays")
                  ? positiveInt(t, "recordedWithinDays", where + ": trigger")
                  : null);
    }
    Circumstances requires = circumstances(r.get("requires"), where + ": requires");
    List<DueTestRule.DueTest> dueTests = new ArrayList<>();
    if (!r.path("tests").isArray() || r.path("tests").isEmpty()) {
      problems.add(where + ": field 'tests' must be a non-empty list");
    }
    List<String> labels = new ArrayList<>();
    for (JsonNode d : r.path("tests")) {
      String testId = text(d, "test", where + ": tests");
      String at = where + ": test " + testId;
      TestSpec test = tests.get(testId);
      if (testId != null && test == null) {
        problems.add(at + ": unknown test");
      }
      int within = positiveInt(d, "withinDays", at);
      Integer shorter = d.has("shorterWithinDays") ? positiveInt(d, "shorterWithinDays", at) : null;
      Circumstances shorterWhen = circumstances(d.get("shorterWhen"), at + ": shorterWhen");
      if ((shorter == null) != (shorterWhen == null)) {
        problems.add(at + ": shorterWithinDays and shorterWhen go together");
      }
      if (shorter != null && shorter >= within) {
        problems.add(at + ": shorterWithinDays must be shorter than withinDays");
      }
      if (d.has("sinceStart") && !monitoring) {
        problems.add(at + ": sinceStart needs a medication trigger");
      }
      if (d.has("activeAtLeastDays") && !monitoring) {
        problems.add(at + ": activeAtLeastDays needs a medication trigger");
      }
      if (test != null) {
        Integer fetched = horizon.get(test.analyte());
        if (fetched != null && within > fetched) {
          problems.add(
              at
                  + ": withinDays "
                  + within
                  + " is longer than the "
                  + fetched
                  + " days its prefetch template fetches");
        }
        labels.add(test.label());
        dueTests.add(
            new DueTestRule.DueTest(
                test,
                within,
                shorter,
                shorterWhen,
                d.path("sinceStart").asBoolean(false),
                circumstances(d.get("onlyWhen"), at + ": onlyWhen"),
                d.has("activeAtLeastDays") ? positiveInt(d, "activeAtLeastDays", at) : null));
      }
    }
    Indicator indicator = indicator(r, "indicator", where, true);
    Indicator escalated = null;
    Circumstances escalateWhen = null;
    JsonNode e = r.get("escalate");
    if (e != null) {
      escalated = indicator(e, "indicator", where + ": escalate", true);
      escalateWhen = circumstances(e.get("when"), where + ": escalate.when");
      if (escalateWhen == null) {
        problems.add(where + ": escalate.when is required");
      }
      if (escalated != null && indicator != null && escalated.compareTo(indicator) >= 0) {
        problems.add(where + ": escalate.indicator must be more urgent than indicator");
      }
    }
    String summary = text(r, "summary", where);
    if (summary != null) {
      checkDueSummary(summary, where, monitoring, triggerNames, labels);
    }
    List<Citation> sources = sources(r, citations, where);
    String review = review(r, where);
    String meaning = text(r, "meaning", where);
    String action = text(r, "action", where);
    if (problems.size() > before) {
      return null;
    }
    return new DueTestRule(
        id,
        family,
        monitoring ? "monitoring-overdue" : "symptom-workup",
        trigger,
        requires,
        dueTests,
        indicator,
        escalated,
        escalateWhen,
        summary,
        meaning,
        action,
        sources,
        review,
        text(r, "rationale", where));
  }

  /** Placeholders of due-test summaries. */
  public static final Set<String> MONITORING_PLACEHOLDERS =
      Set.of("drug", "missing", "window", "days");

  public static final Set<String> WORKUP_PLACEHOLDERS = Set.of("problem", "missing", "window");

  private void checkDueSummary(
      String summary,
      String where,
      boolean monitoring,
      List<String> triggerNames,
      List<String> testLabels) {
    Set<String> unknown = new LinkedHashSet<>(Wording.placeholders(summary));
    unknown.removeAll(monitoring ? MONITORING_PLACEHOLDERS : WORKUP_PLACEHOLDERS);
    if (!unknown.isEmpty()) {
      problems.add(where + ": field 'summary' uses unknown placeholders " + unknown);
      return;
    }
    String longestName =
        triggerNames.stream().max(java.util.Comparator.comparingInt(String::length)).orElse("");
    Map<String, String> samples = new HashMap<>();
    samples.put("drug", longestName);
    samples.put("problem", longestName);
    samples.put("missing", Wording.list(testLabels));
    samples.put("window", "12 months");
    samples.put("days", "365");
    String sample = Wording.fill(summary, samples);
    if (sample.length() > Wording.MAX_SUMMARY_LENGTH) {
      problems.add(
          where + ": field 'summary' can reach " + sample.length() + " characters (limit 139)");
    }
  }

  private Circumstances circumstances(JsonNode c, String where) {
    if (c == null || c.isNull()) {
      return null;
    }
    if (!c.isObject()) {
      problems.add(where + ": must be a map");
      return null;
    }
    Set<RuleAnalyte> low = new LinkedHashSet<>();
    for (JsonNode n : c.path("lowResults")) {
      try {
        low.add(RuleAnalyte.parse(n.asText()));
      } catch (IllegalArgumentException ex) {
        problems.add(where + ": lowResults: " + ex.getMessage());
      }
    }
    try {
      return new Circumstances(
          knownConditionSets(c.path("conditions"), where),
          knownDrugClasses(c.path("drugClasses"), where),
          number(c, "egfrBelow", where, false),
          c.has("ageAtLeast") ? positiveInt(c, "ageAtLeast", where) : null,
          low);
    } catch (IllegalArgumentException ex) {
      problems.add(where + ": " + ex.getMessage());
      return null;
    }
  }

  private Set<String> knownDrugClasses(JsonNode list, String where) {
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode n : list) {
      if (!drugClassIds.contains(n.asText())) {
        problems.add(where + ": unknown drug class '" + n.asText() + "'");
      }
      ids.add(n.asText());
    }
    return ids;
  }

  private Set<String> knownConditionSets(JsonNode list, String where) {
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode n : list) {
      if (!conditionSets.containsKey(n.asText())) {
        problems.add(where + ": unknown condition set '" + n.asText() + "'");
      } else {
        ids.add(n.asText());
      }
    }
    return ids;
  }

  private int nonNegativeInt(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || !value.isIntegralNumber() || value.asInt() < 0) {
      problems.add(where + ": field '" + field + "' must be a whole number of 0 or more");
      return 0;
    }
    return value.asInt();
  }

  // ---- small readers ------------------------------------------------------------------------

  private String text(JsonNode node, String field, String where) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || value.isNull() || !value.isValueNode() || value.asText().isBlank()) {
      problems.add(where + ": field '" + field + "' is required");
      return null;
    }
    return value.asText();
  }

  private BigDecimal number(JsonNode node, String field, String where, boolean required) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        problems.add(where + ": field '" + field + "' is required");
      }
      return null;
    }
    if (!value.isNumber()) {
      problems.add(where + ": field '" + field + "' must be a number");
      return null;
    }
    return value.decimalValue();
  }

  private int positiveInt(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null
        || !value.canConvertToInt()
        || !value.isIntegralNumber()
        || value.asInt() <= 0) {
      problems.add(where + ": field '" + field + "' must be a positive whole number");
      return 1;
    }
    return value.asInt();
  }

  private Indicator indicator(JsonNode node, String field, String where, boolean required) {
    if (!node.hasNonNull(field)) {
      if (required) {
        problems.add(where + ": field '" + field + "' is required");
      }
      return null;
    }
    try {
      return Indicator.fromCode(node.get(field).asText());
    } catch (IllegalArgumentException ex) {
      problems.add(where + ": field '" + field + "': " + ex.getMessage());
      return null;
    }
  }

  private Direction direction(String text, String where) {
    if ("low".equals(text)) {
      return Direction.LOW;
    }
    if ("high".equals(text)) {
      return Direction.HIGH;
    }
    problems.add(where + ": must be low or high, not '" + text + "'");
    return null;
  }

  private Analyte analyte(String key, String where) {
    if (key == null) {
      return null;
    }
    return Analyte.fromKey(key)
        .orElseGet(
            () -> {
              problems.add(where + ": unknown analyte '" + key + "'");
              return null;
            });
  }

  private Set<Analyte> analytes(JsonNode list, String where) {
    Set<Analyte> result = new LinkedHashSet<>();
    for (JsonNode n : list) {
      Analyte a = analyte(n.asText(), where);
      if (a != null) {
        result.add(a);
      }
    }
    return result;
  }

  private static List<String> strings(JsonNode list) {
    List<String> result = new ArrayList<>();
    list.forEach(n -> result.add(n.asText()));
    return result;
  }
}
