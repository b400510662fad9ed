package org.mineralcds.knowledge;

import static org.mineralcds.knowledge.Markdown.bold;
import static org.mineralcds.knowledge.Markdown.code;
import static org.mineralcds.knowledge.Markdown.link;
import static org.mineralcds.knowledge.Markdown.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.DrugClass;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.Limits;
import org.mineralcds.rules.AnalyteRule;
import org.mineralcds.rules.CalciumPolicy;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.TestSpec;

/** The appendices of the knowledge report: drug classes, condition sets, tests and sources. */
final class Appendices {

  private static final String NONE = "—";

  private final Knowledge knowledge;
  private final Markdown md;
  private final ConditionText words;
  private final RuleSections rules;

  Appendices(Knowledge knowledge, Markdown md, ConditionText words, RuleSections rules) {
    this.knowledge = knowledge;
    this.md = md;
    this.words = words;
    this.rules = rules;
  }

  void write() {
    drugClasses();
    conditionSets();
    tests();
    sources();
  }

  // ---- drug classes -------------------------------------------------------------------------

  private void drugClasses() {
    md.heading(2, "Appendix A: Drug classes");
    md.paragraph(
        "Drugs are recognized by RxNorm ingredient code, by ATC code (the ingredient's own code or"
            + " a class prefix), or by ingredient, alias or brand name as whole words in a"
            + " medication's coding display or text. Effects give the direction in which the class"
            + " moves an analyte; a single-analyte or pattern card names an active drug as a"
            + " possible cause when the effect matches the card's drug effect.");
    Map<String, List<Ingredient>> members = new LinkedHashMap<>();
    for (Ingredient i : knowledge.drugs().ingredients()) {
      members.computeIfAbsent(i.drugClass().id(), k -> new ArrayList<>()).add(i);
    }
    for (DrugClass c : knowledge.drugs().classes()) {
      List<String> about = new ArrayList<>();
      about.add(bold(text(c.name())) + " " + code(c.id()) + ".");
      about.add("Effects: " + effects(c) + ".");
      about.add(
          "ATC class prefixes: "
              + (c.atcPrefixes().isEmpty() ? NONE : codes(c.atcPrefixes()))
              + ".");
      Citation source = c.source() == null ? null : citation(c.source());
      if (source != null) {
        about.add("Source: " + link(source.title(), source.url()) + ".");
      }
      Set<String> users = rules.drugClassUsers().getOrDefault(c.id(), Set.of());
      if (!users.isEmpty()) {
        about.add("Named by: " + ruleLinks(users) + ".");
      }
      md.paragraph(String.join(" ", about));
      List<List<String>> rows = new ArrayList<>();
      for (Ingredient i : members.getOrDefault(c.id(), List.of())) {
        rows.add(
            List.of(
                text(i.name()),
                i.rxnorm() == null ? NONE : code(i.rxnorm()),
                i.atc() == null ? NONE : code(i.atc()),
                i.aliases().isEmpty() ? NONE : texts(i.aliases()),
                i.brands().isEmpty() ? NONE : texts(i.brands())));
      }
      md.table(List.of("Ingredient", "RxNorm", "ATC", "Aliases", "Brands"), rows);
    }
  }

  /** "potassium: lowers, magnesium: lowers", in the order of the analyte rules. */
  private String effects(DrugClass c) {
    if (c.effects().isEmpty()) {
      return "none recorded (named by rules directly)";
    }
    List<String> order =
        knowledge.rules().rules().stream().map(AnalyteRule::effectKey).distinct().toList();
    return String.join(
        ", ",
        c.effects().entrySet().stream()
            .sorted(
                Comparator.comparingInt(
                        (Map.Entry<String, Direction> e) ->
                            order.contains(e.getKey())
                                ? order.indexOf(e.getKey())
                                : Integer.MAX_VALUE)
                    .thenComparing(Map.Entry::getKey))
            .map(
                e ->
                    (e.getValue() == Direction.LOW ? "lowers " : "raises ")
                        + code(e.getKey())
                        + " ("
                        + e.getValue().name().toLowerCase(Locale.ROOT)
                        + ")")
            .toList());
  }

  // ---- condition sets -----------------------------------------------------------------------

  private void conditionSets() {
    md.heading(2, "Appendix B: Condition sets");
    md.paragraph(
        "Coded problems are recognized by ICD-10-CM code prefix and SNOMED CT exact code. Relevant"
            + " to: the analytes whose cards mention a coded problem of the set.");
    List<List<String>> rows = new ArrayList<>();
    for (ConditionSet s : knowledge.conditions().sets()) {
      Set<String> users = rules.conditionSetUsers().getOrDefault(s.id(), Set.of());
      rows.add(
          List.of(
              code(s.id()),
              text(s.name()),
              s.icd10cmPrefixes().isEmpty() ? NONE : codes(s.icd10cmPrefixes()),
              s.snomedCodes().isEmpty() ? NONE : codes(numericOrder(s.snomedCodes())),
              s.relevantTo().isEmpty() ? NONE : analytes(s.relevantTo()),
              users.isEmpty() ? NONE : ruleLinks(users)));
    }
    md.table(
        List.of("Set", "Name", "ICD-10-CM prefixes", "SNOMED CT codes", "Relevant to", "Named by"),
        rows);
  }

  // ---- tests --------------------------------------------------------------------------------

  private void tests() {
    md.heading(2, "Appendix C: Tests");
    md.paragraph(
        "The tests the service may suggest as draft orders, with the LOINC code put on the order. A"
            + " result of the test's analyte (any LOINC code of its family), or of an analyte that"
            + " also answers it, counts as already resulted.");
    List<List<String>> rows = new ArrayList<>();
    knowledge.rules().tests().values().stream()
        .sorted(
            Comparator.comparing((TestSpec t) -> t.analyte().ordinal()).thenComparing(TestSpec::id))
        .forEach(
            t ->
                rows.add(
                    List.of(
                        code(t.id()),
                        text(t.label()),
                        code(t.loinc()),
                        text(t.display()),
                        analytes(t.answeredBy()))));
    md.table(List.of("Test", "Label", "LOINC", "Display", "Answered by results of"), rows);
  }

  // ---- sources ------------------------------------------------------------------------------

  private void sources() {
    md.heading(2, "Appendix D: Sources");
    md.paragraph("Every citation in sources.yaml, by key, with what cites it.");
    Map<String, Set<String>> citedBy = new LinkedHashMap<>();
    for (Analyte a : Analyte.values()) {
      cite(citedBy, words.spec(a).defaultRange(), "default range of " + words.name(a));
      cite(citedBy, words.spec(a).criticalLimits(), "critical limits of " + words.name(a));
      cite(citedBy, words.spec(a).borderline(), "borderline margins of " + words.name(a));
    }
    CalciumPolicy calcium = knowledge.rules().calcium();
    if (calcium.source() != null) {
      add(citedBy, calcium.source().key(), "calcium correction");
    }
    if (calcium.caveatSource() != null) {
      add(citedBy, calcium.caveatSource().key(), "calcium correction (caveat)");
    }
    for (DrugClass c : knowledge.drugs().classes()) {
      if (c.source() != null) {
        add(citedBy, c.source(), "drug class " + c.id());
      }
    }
    List<List<String>> rows = new ArrayList<>();
    knowledge.rules().citations().values().stream()
        .sorted(Comparator.comparing(Citation::key))
        .forEach(
            c -> {
              List<String> by = new ArrayList<>();
              Set<String> ruleIds = rules.citedBy().getOrDefault(c.key(), Set.of());
              if (!ruleIds.isEmpty()) {
                by.add(ruleLinks(ruleIds));
              }
              citedBy.getOrDefault(c.key(), Set.of()).forEach(s -> by.add(text(s)));
              rows.add(
                  List.of(
                      code(c.key()),
                      link(c.title(), c.url()),
                      by.isEmpty() ? "not cited" : String.join(", ", by)));
            });
    md.table(List.of("Key", "Source", "Cited by"), rows);
  }

  private static void cite(Map<String, Set<String>> citedBy, Limits limits, String what) {
    if (limits != null && limits.source() != null) {
      add(citedBy, limits.source(), what);
    }
  }

  private static void add(Map<String, Set<String>> citedBy, String key, String what) {
    citedBy.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(what);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private Citation citation(String key) {
    return knowledge.rules().citations().get(key);
  }

  private String ruleLinks(Collection<String> ids) {
    return String.join(", ", ids.stream().map(rules::ruleLink).toList());
  }

  private String analytes(Collection<Analyte> analytes) {
    return String.join(
        ", ", analytes.stream().sorted().map(a -> text(words.name(a))).distinct().toList());
  }

  private static String codes(Collection<String> codes) {
    return String.join(", ", codes.stream().map(Markdown::code).toList());
  }

  private static String texts(Collection<String> texts) {
    return String.join(", ", texts.stream().map(Markdown::text).toList());
  }

  private static List<String> numericOrder(Collection<String> codes) {
    return codes.stream()
        .sorted(Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder()))
        .toList();
  }
}
