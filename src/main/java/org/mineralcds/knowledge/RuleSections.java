package org.mineralcds.knowledge;

import static org.mineralcds.knowledge.ConditionText.days;
import static org.mineralcds.knowledge.ConditionText.hours;
import static org.mineralcds.knowledge.ConditionText.number;
import static org.mineralcds.knowledge.Markdown.bold;
import static org.mineralcds.knowledge.Markdown.code;
import static org.mineralcds.knowledge.Markdown.link;
import static org.mineralcds.knowledge.Markdown.ref;
import static org.mineralcds.knowledge.Markdown.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.DrugClass;
import org.mineralcds.rules.AnalyteRule;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.BaselineRule;
import org.mineralcds.rules.Circumstances;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.ConflictRule;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.LabCondition;
import org.mineralcds.rules.LinkRule;
import org.mineralcds.rules.PatternRule;
import org.mineralcds.rules.Position;
import org.mineralcds.rules.RuleAnalyte;
import org.mineralcds.rules.Suggest;
import org.mineralcds.rules.TestSpec;
import org.mineralcds.rules.Threshold;
import org.mineralcds.rules.TrendRule;
import org.mineralcds.rules.When;

/**
 * The rule sections of the knowledge report, in evaluation order: single-analyte bands per analyte,
 * patterns, trends, monitoring rules per family and work-ups. Records which rules cite each source
 * and name each drug class and condition set, for the appendices.
 */
final class RuleSections {

  private static final String BR = "<br>";

  private final Knowledge knowledge;
  private final Markdown md;
  private final ConditionText words;
  private final Map<String, String> anchors = new LinkedHashMap<>();
  private final Map<String, Set<String>> citedBy = new LinkedHashMap<>();
  private final Map<String, Set<String>> drugClassUsers = new LinkedHashMap<>();
  private final Map<String, Set<String>> conditionSetUsers = new LinkedHashMap<>();

  RuleSections(Knowledge knowledge, Markdown md, ConditionText words) {
    this.knowledge = knowledge;
    this.md = md;
    this.words = words;
  }

  /** Rule id to heading anchor, in document order. */
  Map<String, String> anchors() {
    return anchors;
  }

  /** Citation key to the rules (as Markdown links) that cite it. */
  Map<String, Set<String>> citedBy() {
    return citedBy;
  }

  Map<String, Set<String>> drugClassUsers() {
    return drugClassUsers;
  }

  Map<String, Set<String>> conditionSetUsers() {
    return conditionSetUsers;
  }

  void write() {
    singleAnalyteRules();
    patterns();
    trends();
    links();
    monitoring();
    workups();
    prescribing();
  }

  // ---- prescribing-time rules (hooks/prescribing/order-rules.yaml) --------------------------

  private void prescribing() {
    Prescribing p = knowledge.prescribing();
    if (p == null) {
      return;
    }
    md.heading(2, "Prescribing-time rules");
    md.paragraph(
        "Rules of "
            + String.join(
                " and ",
                p.services().stream().map(s -> code(s.id()) + " (" + code(s.hook()) + ")").toList())
            + " ("
            + code("hooks/prescribing/order-rules.yaml")
            + "): a drug being ordered (a MedicationRequest of "
            + code("draftOrders")
            + ") against the latest labs, the current medications and the other orders being"
            + " written. One card per draft order and topic; a rule whose inputs are missing stays"
            + " quiet. A draft is a renewal, not a start, when it names the order it renews or the"
            + " patient has the drug on a current order or on one ended within "
            + ConditionText.days(p.rules().renewalGapDays())
            + ". What order-select showed for a draft (same id and content) is not shown again"
            + " at order-sign unless the finding, indicator or value changed.");
    md.heading(3, "Conflicts with current values");
    for (ConflictRule r : p.rules().conflicts()) {
      List<String[]> rows = new ArrayList<>();
      rows.add(row("Kind", "prescribing conflict"));
      rows.add(row("Topic", code(r.topic())));
      StringBuilder indicator = new StringBuilder(code(r.indicator().code()));
      indicator
          .append("; ")
          .append(code("critical"))
          .append(" when the value is past its critical limits");
      for (ConflictRule.CriticalWhen w : r.criticalWhen()) {
        indicator.append("; ").append(code("critical")).append(" when ").append(criticalWhen(w));
      }
      rows.add(row("Indicator", indicator.toString()));
      rows.add(row("Drug ordered", drugs(r.drugClasses(), r.ingredients(), r.id())));
      rows.add(row("Condition", labCondition(r.lab())));
      if (!r.combinedClasses().isEmpty()) {
        rows.add(
            row(
                "Combined therapy",
                "two or more of "
                    + drugs(r.combinedClasses(), java.util.Set.of(), r.id())
                    + ", counting the drug ordered, the current medications and the other"
                    + " orders being written"));
      }
      rows.add(
          row(
              "Suggestions",
              (r.withdraw() ? "withdraw the draft (delete action); " : "")
                  + "keep the order and recheck "
                  + text(String.join(", ", r.recheck().stream().map(t -> t.label()).toList()))));
      rows.add(row("Summary", text(r.summary())));
      if (r.conditionSummary() != null) {
        rows.add(row("Summary without a value", text(r.conditionSummary())));
      }
      rows.add(row("Meaning", text(r.meaning())));
      rows.add(row("Action", text(r.action())));
      rows.add(row("Rationale", text(r.rationale())));
      rows.add(row("Sources", sources(r.sources(), r.id())));
      rows.add(row("Review", review(r.reviewStatus())));
      write(r.id(), 4, rows);
    }
    md.heading(3, "Baseline tests of a drug being started");
    for (BaselineRule r : p.rules().baselines()) {
      List<String[]> rows = new ArrayList<>();
      rows.add(row("Kind", "prescribing baseline"));
      rows.add(row("Topic", code(r.topic())));
      rows.add(row("Indicator", code(r.indicator().code())));
      rows.add(
          row(
              "Drug started",
              drugs(r.drugClasses(), r.ingredients(), r.id())
                  + (r.longTermDays() == null
                      ? ""
                      : ", on an order covering at least "
                          + ConditionText.days(r.longTermDays()))));
      rows.add(
          row(
              "Tests",
              String.join(
                  BR,
                  r.tests().stream()
                      .map(
                          t ->
                              testName(t.test())
                                  + ": missing when there is no result within "
                                  + ConditionText.days(t.withinDays())
                                  + (t.alsoSatisfiedBy().isEmpty()
                                      ? ""
                                      : " (an "
                                          + text(
                                              String.join(
                                                  ", ",
                                                  t.alsoSatisfiedBy().stream()
                                                      .map(a -> words.name(a))
                                                      .toList()))
                                          + " result also counts)")
                                  + " and none is ordered (pending, or in the same draftOrders)")
                      .toList())));
      rows.add(row("Summary", text(r.summary())));
      rows.add(row("Meaning", text(r.meaning())));
      rows.add(row("Action", text(r.action())));
      rows.add(row("Rationale", text(r.rationale())));
      rows.add(row("Sources", sources(r.sources(), r.id())));
      rows.add(row("Review", review(r.reviewStatus())));
      write(r.id(), 4, rows);
    }
  }

  private String drugs(
      java.util.Set<String> classes, java.util.Set<String> ingredients, String id) {
    List<String> parts = new ArrayList<>();
    for (String c : classes) {
      use(drugClassUsers, c, id);
      parts.add(
          text(
              knowledge.drugs().classes().stream()
                  .filter(d -> d.id().equals(c))
                  .map(d -> d.name())
                  .findFirst()
                  .orElse(c)));
    }
    ingredients.forEach(i -> parts.add(text(i)));
    return String.join(", ", parts);
  }

  private String labCondition(LabCondition lab) {
    String name =
        lab.calcium() ? "calcium (ionized, else albumin-corrected, else total)" : lab.analyte();
    StringBuilder s = new StringBuilder("latest ").append(text(name));
    if (lab.position() != null) {
      s.append(lab.position() == Position.ABOVE ? " above" : " below").append(" its range");
    } else if (lab.below() != null) {
      s.append(" below ").append(lab.below().toPlainString());
    } else {
      s.append(" at least ").append(lab.atLeast().toPlainString());
    }
    s.append(", collected within ").append(ConditionText.days(lab.withinDays()));
    if (!lab.orConditions().isEmpty()) {
      s.append("; or coded ").append(text(String.join(", ", lab.orConditions())));
    }
    return s.toString();
  }

  private String criticalWhen(ConflictRule.CriticalWhen w) {
    List<String> parts = new ArrayList<>();
    if (w.combined()) {
      parts.add("combined therapy");
    }
    if (w.atLeast() != null) {
      parts.add("the value is at least " + w.atLeast().toPlainString());
    }
    if (w.below() != null) {
      parts.add("the value is below " + w.below().toPlainString());
    }
    if (!w.ingredients().isEmpty()) {
      parts.add("the drug is " + text(String.join(" or ", w.ingredients())));
    }
    if (w.lab() != null) {
      parts.add(labCondition(w.lab()));
    }
    return String.join(" and ", parts);
  }

  private void links() {
    List<LinkRule> links = knowledge.rules().links();
    if (links.isEmpty()) {
      return;
    }
    md.heading(2, "Linked cards");
    md.paragraph(
        "Low values with one mechanism: when each analyte listed has its own card (of a rule whose"
            + " drug effect is low) in one response, every one of those cards carries the note,"
            + " followed by the drug class their drug causes share, if any.");
    for (LinkRule l : links) {
      List<String[]> rows = new ArrayList<>();
      rows.add(
          row(
              "Low together",
              String.join(", ", l.low().stream().map(a -> text(words.name(a))).sorted().toList())));
      rows.add(row("Note", text(l.note())));
      rows.add(row("Sources", sources(l.sources(), l.id())));
      write(l.id(), 3, rows);
    }
  }

  // ---- single-analyte bands -----------------------------------------------------------------

  private void singleAnalyteRules() {
    md.heading(2, "Single-analyte rules");
    md.paragraph(
        "One group per analyte, evaluated in this order. Within a group the bands are tried top to"
            + " bottom on the analyte's latest result and the first whose condition holds gives"
            + " the card, so an analyte gives at most one card; a later band is reached only when"
            + " every earlier one does not hold.");
    for (AnalyteRule rule : knowledge.rules().rules()) {
      String name = words.name(rule.analyte());
      md.heading(3, KnowledgeReport.capitalised(name) + " rules");
      List<String> about = new ArrayList<>();
      about.add(
          rule.bands().size()
              + " bands on the latest "
              + words.subject(rule.analyte())
              + ", first match wins.");
      if (rule.effectKey() != null) {
        about.add(
            "A drug explains a band when its class moves "
                + code(rule.effectKey())
                + " in the band's direction (drugs.yaml effects).");
      }
      if (!rule.context().isEmpty()) {
        about.add("Results shown on the card: " + analyteNames(rule.context()) + ".");
      }
      md.paragraph(String.join(" ", about));
      int n = 0;
      for (Band band : rule.bands()) {
        n++;
        String kind =
            "single-analyte band "
                + n
                + " of "
                + rule.bands().size()
                + " for "
                + text(name)
                + (n == 1
                    ? ""
                    : n == 2
                        ? " (reached when band 1 does not hold)"
                        : " (reached when bands 1–" + (n - 1) + " do not hold)");
        List<String[]> rows = new ArrayList<>();
        rows.add(row("Kind", kind));
        rows.addAll(cardHead(band, true));
        rows.add(row("Condition", words.latest(rule.analyte(), band.lookbackDays(), band.when())));
        rows.addAll(applicability(band, hasNumericLimit(band.when())));
        rows.add(row("Drug effect", drugEffect(rule.effectKey(), band)));
        rows.add(row("Not repeated when managed", managed(band)));
        rows.addAll(wording(band));
        write(band.id(), 4, rows);
      }
    }
  }

  // ---- patterns -----------------------------------------------------------------------------

  private void patterns() {
    List<PatternRule> patterns = knowledge.rules().patterns();
    if (patterns.isEmpty()) {
      return;
    }
    md.heading(2, "Patterns");
    md.paragraph(
        "Rules over several analytes (or a lab and a drug) that explain one clinical problem in one"
            + " card. Patterns are evaluated in this order, after the single-analyte bands: a"
            + " pattern that fires drops the single-analyte cards of the topics it replaces and"
            + " offers their suggested tests itself. At most one pattern card per topic: a pattern"
            + " stays silent when an earlier pattern of its topic fired, or when a single-analyte"
            + " card of a topic it yields to fired.");
    Map<String, List<String>> earlierOfTopic = new LinkedHashMap<>();
    for (PatternRule p : patterns) {
      Band band = p.band();
      List<String[]> rows = new ArrayList<>();
      rows.add(row("Kind", "pattern, primary input " + text(words.name(p.primary()))));
      rows.addAll(cardHead(band, true));
      rows.add(row("Condition", words.latest(p.primary(), band.lookbackDays(), band.when())));
      rows.add(row("Other inputs", otherInputs(p)));
      rows.add(row("Needs drugs", requiredDrugs(p)));
      boolean numeric =
          hasNumericLimit(band.when()) || p.others().values().stream().anyMatch(this::hasNumeric);
      rows.addAll(applicability(band, numeric));
      rows.add(row("Drug effect", drugEffect(p.effectKey(), band)));
      rows.add(row("Not repeated when managed", managed(band)));
      rows.add(row("Replaces", replaces(p)));
      rows.add(row("Yields to", yieldsTo(p)));
      List<String> earlier = earlierOfTopic.computeIfAbsent(band.topic(), t -> new ArrayList<>());
      if (!earlier.isEmpty()) {
        rows.add(
            row(
                "Silent when",
                "an earlier pattern of topic "
                    + code(band.topic())
                    + " fired: "
                    + String.join(", ", earlier)));
      }
      if (!p.context().isEmpty()) {
        rows.add(row("Results shown", analyteNames(p.context())));
      }
      rows.addAll(wording(band));
      write(band.id(), 3, rows);
      earlier.add(ruleLink(band.id()));
    }
  }

  private String otherInputs(PatternRule p) {
    if (p.others().isEmpty()) {
      return "";
    }
    List<String> inputs = new ArrayList<>();
    for (Map.Entry<RuleAnalyte, When> input : p.others().entrySet()) {
      String what =
          input.getKey() instanceof RuleAnalyte.Calcium
              ? "the current " + words.subject(input.getKey())
              : "the " + text(words.name(input.getKey())) + " result nearest the primary result";
      inputs.add(
          what
              + ", drawn within "
              + days(p.withinDays())
              + " of it, is "
              + words.when(input.getValue(), input.getKey())
              + (p.missingAllowed().contains(input.getKey())
                  ? " (may be missing: the pattern then skips this input)"
                  : " (required)"));
    }
    return String.join(BR, inputs);
  }

  private String requiredDrugs(PatternRule p) {
    if (p.requiresDrugClasses().isEmpty()) {
      return "";
    }
    p.requiresDrugClasses().forEach(c -> use(drugClassUsers, c, p.band().id()));
    if (p.minDrugClasses() <= 1) {
      return "an active drug of class " + words.drugClasses(p.requiresDrugClasses(), "or");
    }
    return "active drugs of at least "
        + p.minDrugClasses()
        + " different classes among: "
        + words.drugClasses(p.requiresDrugClasses(), "and");
  }

  private static String replaces(PatternRule p) {
    if (p.replaces().isEmpty()) {
      return "";
    }
    return "single-analyte cards of topic "
        + topics(p.replaces())
        + (p.takesSuggestions()
            ? " (dropped when this fires; their suggested tests move to this card)"
            : " (dropped when this fires; their suggested tests are not offered)");
  }

  private static String yieldsTo(PatternRule p) {
    if (p.yieldsTo().isEmpty()) {
      return "";
    }
    return "silent when a single-analyte card of topic " + topics(p.yieldsTo()) + " fired";
  }

  private static String topics(Collection<String> topics) {
    return String.join(" or ", new TreeSet<>(topics).stream().map(Markdown::code).toList());
  }

  // ---- trends -------------------------------------------------------------------------------

  private void trends() {
    List<TrendRule> trends = knowledge.rules().trends();
    if (trends.isEmpty()) {
      return;
    }
    md.heading(2, "Trends");
    md.paragraph(
        "A clinically meaningful change between an analyte's last two usable results, evaluated"
            + " after the patterns. Each trend gives its own card, whatever the value cards say.");
    for (TrendRule t : trends) {
      Band band = t.band();
      String unit = words.spec(t.analyte()).canonicalUnit();
      List<String[]> rows = new ArrayList<>();
      rows.add(row("Kind", "trend of " + text(words.name(t.analyte()))));
      rows.addAll(cardHead(band, false));
      rows.add(
          row(
              "Condition",
              "the last two exact, final "
                  + text(words.name(t.analyte()))
                  + " results (censored and preliminary results are skipped): the later collected"
                  + " within the last "
                  + days(band.lookbackDays())
                  + ", the earlier at most "
                  + hours(t.withinHours())
                  + " before it, and they differ by at least "
                  + number(t.minChange())
                  + " "
                  + text(unit)
                  + ", up or down"));
      rows.add(row("Children (under 18)", "applies at any age: a change needs no range"));
      if (!t.context().isEmpty()) {
        rows.add(row("Results shown", analyteNames(t.context())));
      }
      rows.addAll(wording(band));
      write(band.id(), 3, rows);
    }
  }

  // ---- due tests ----------------------------------------------------------------------------

  private void monitoring() {
    Map<String, List<DueTestRule>> families = new LinkedHashMap<>();
    for (DueTestRule r : knowledge.rules().dueTests()) {
      if (r.trigger() instanceof DueTestRule.Trigger.Medication) {
        families.computeIfAbsent(r.family(), f -> new ArrayList<>()).add(r);
      }
    }
    if (families.isEmpty()) {
      return;
    }
    md.heading(2, "Monitoring rules");
    md.paragraph(
        "Lab monitoring that a drug needs. A rule fires when at least one of its tests has no"
            + " result of the test's family within its window and is not already ordered. Rules of"
            + " one family share one card (the most urgent rule's wording leads); a test due for"
            + " two families is offered once, on the more urgent card; tests a value card of the"
            + " same response already suggests are left to that card.");
    for (Map.Entry<String, List<DueTestRule>> family : families.entrySet()) {
      md.heading(3, "Family: " + family.getKey());
      for (DueTestRule r : family.getValue()) {
        List<String> others =
            family.getValue().stream()
                .filter(o -> o != r)
                .map(o -> ref(o.id(), Markdown.slug(o.id())))
                .toList();
        dueTest(r, 4, "drug monitoring, card family " + code(r.family()), others);
      }
    }
  }

  private void workups() {
    List<DueTestRule> workups =
        knowledge.rules().dueTests().stream()
            .filter(r -> r.trigger() instanceof DueTestRule.Trigger.Problem)
            .toList();
    if (workups.isEmpty()) {
      return;
    }
    md.heading(2, "Work-up rules");
    md.paragraph(
        "The tests a coded symptom or problem calls for. A rule fires when at least one of its"
            + " tests has no result within its window and is not already ordered; all work-up rules"
            + " share one card.");
    for (DueTestRule r : workups) {
      dueTest(r, 3, "symptom or problem work-up, card family " + code(r.family()), List.of());
    }
  }

  private void dueTest(DueTestRule r, int level, String kind, List<String> sharedWith) {
    List<String[]> rows = new ArrayList<>();
    rows.add(row("Kind", kind));

    rows.add(row("Topic", code(r.topic())));
    String indicator = code(r.indicator().code());
    if (r.escalatedIndicator() != null && r.escalateWhen() != null) {
      indicator +=
          "; "
              + code(r.escalatedIndicator().code())
              + " when "
              + circumstances(r.escalateWhen(), r.id());
    }
    rows.add(row("Indicator", indicator));
    rows.add(row("Trigger", trigger(r)));
    if (r.requires() != null) {
      rows.add(row("Applies only when", circumstances(r.requires(), r.id())));
    }
    rows.add(row("Tests due", dueTests(r)));
    if (!sharedWith.isEmpty()) {
      rows.add(row("Card shared with", String.join(", ", sharedWith)));
    }
    rows.add(row("Summary", text(r.summary())));
    rows.add(row("Meaning", text(r.meaning())));
    rows.add(row("Action", text(r.action())));
    rows.add(row("Rationale", text(r.rationale())));
    rows.add(row("Sources", sources(r.sources(), r.id())));
    rows.add(row("Review", review(r.review())));
    write(r.id(), level, rows);
  }

  private String trigger(DueTestRule r) {
    if (r.trigger() instanceof DueTestRule.Trigger.Medication m) {
      m.drugClasses().forEach(c -> use(drugClassUsers, c, r.id()));
    } else if (r.trigger() instanceof DueTestRule.Trigger.Problem p) {
      p.conditionSets().forEach(c -> use(conditionSetUsers, c, r.id()));
    }
    return words.trigger(r.trigger());
  }

  private String circumstances(Circumstances c, String ruleId) {
    c.drugClasses().forEach(d -> use(drugClassUsers, d, ruleId));
    c.conditions().forEach(s -> use(conditionSetUsers, s, ruleId));
    return words.circumstances(c);
  }

  private String dueTests(DueTestRule r) {
    List<String> tests = new ArrayList<>();
    for (DueTestRule.DueTest t : r.tests()) {
      StringBuilder s = new StringBuilder(testName(t.test()));
      s.append(": due when there is no result within ").append(days(t.withinDays()));
      if (t.shorterWithinDays() != null && t.shorterWhen() != null) {
        s.append(" (")
            .append(days(t.shorterWithinDays()))
            .append(" when ")
            .append(circumstances(t.shorterWhen(), r.id()))
            .append(")");
      }
      if (t.sinceStart()) {
        s.append("; only results since the drug was started count");
      }
      if (t.onlyWhen() != null) {
        s.append("; wanted only when ").append(circumstances(t.onlyWhen(), r.id()));
      }
      if (t.activeAtLeastDays() != null) {
        s.append("; wanted only once the drug has been taken ").append(days(t.activeAtLeastDays()));
      }
      tests.add(s.toString());
    }
    return String.join(BR, tests);
  }

  // ---- rows shared by bands, patterns and trends --------------------------------------------

  /**
   * Topic and indicator; {@code drugsNamed} is false for trends, whose cards name no drug cause (so
   * a with-drug indicator never applies).
   */
  private List<String[]> cardHead(Band band, boolean drugsNamed) {
    String indicator = code(band.indicator().code());
    if (drugsNamed && band.indicatorWithDrug() != null) {
      indicator +=
          "; "
              + code(band.indicatorWithDrug().code())
              + " when an active drug of a class under Drug effect is on the medication list";
    }
    return List.of(row("Topic", code(band.topic())), row("Indicator", indicator));
  }

  private List<String[]> applicability(Band band, boolean numeric) {
    String children;
    if (band.appliesToChildren()) {
      children =
          "applies at any age: its numeric limits are used for children too (ranges for children"
              + " come only from the lab: no default range, no configured critical limits)";
    } else if (numeric) {
      children =
          "adults only for its numeric limits, which are not applied under 18 (the condition"
              + " then does not hold); a lab's own range and flags always apply";
    } else {
      children =
          "under 18 only the lab's own range and flags count (no default range, no configured"
              + " critical limits)";
    }
    return List.of(
        row("Requires a coded condition", requiredConditions(band)),
        row("Silent when coded", unlessConditions(band)),
        row("Children (under 18)", children));
  }

  private String unlessConditions(Band band) {
    if (band.unlessConditions().isEmpty()) {
      return "";
    }
    band.unlessConditions().forEach(c -> use(conditionSetUsers, c, band.id()));
    return "this rule is skipped while one of these is coded: "
        + words.conditionSets(band.unlessConditions(), "or");
  }

  private String requiredConditions(Band band) {
    if (band.requiresConditions().isEmpty()) {
      return "";
    }
    band.requiresConditions().forEach(c -> use(conditionSetUsers, c, band.id()));
    return "coded on the problem list: "
        + words.conditionSets(band.requiresConditions(), "or")
        + "; without it this rule is skipped";
  }

  private String drugEffect(String effectKey, Band band) {
    if (band.drugEffect() == null || effectKey == null) {
      return "none: no drug is named as a cause";
    }
    String verb = band.drugEffect() == Direction.LOW ? "lower" : "raise";
    List<String> classes =
        knowledge.drugs().classes().stream()
            .filter(c -> band.drugEffect() == c.effects().get(effectKey))
            .map(DrugClass::id)
            .toList();
    String which =
        classes.isEmpty()
            ? "no drug class in drugs.yaml has this effect"
            : "active drugs of these classes are named as possible causes: "
                + words.drugClasses(classes, "and");
    return code(band.drugEffect().name().toLowerCase(Locale.ROOT))
        + " (drugs that "
        + verb
        + " "
        + code(effectKey)
        + "); "
        + which;
  }

  private String managed(Band band) {
    if (band.managedWhenCoded().isEmpty()) {
      return "";
    }
    band.managedWhenCoded().forEach(c -> use(conditionSetUsers, c, band.id()));
    String percent =
        Band.MANAGED_WORSENING.movePointRight(2).stripTrailingZeros().toPlainString() + "%";
    return "while "
        + words.conditionSets(band.managedWhenCoded(), "or")
        + " is coded, the card is not repeated if the previous result (within a year) was already"
        + " in a band of the same topic at least as urgent and the value has not moved more than "
        + percent
        + " further from normal";
  }

  private List<String[]> wording(Band band) {
    return List.of(
        row("Summary", text(band.summary())),
        row("Meaning", text(band.meaning())),
        row("Action", text(band.action())),
        row("Rationale", band.rationale() == null ? "" : text(band.rationale())),
        row("Suggested tests", suggestions(band.suggest())),
        row("Sources", sources(band.sources(), band.id())),
        row("Review", review(band.review())));
  }

  private String suggestions(List<Suggest> suggest) {
    if (suggest.isEmpty()) {
      return "none";
    }
    return String.join(
        BR,
        suggest.stream()
            .map(
                s ->
                    testName(s.test())
                        + ", unless resulted within "
                        + days(s.notWithinDays())
                        + " or already ordered")
            .toList());
  }

  private static String testName(TestSpec test) {
    return bold(text(test.label())) + " (LOINC " + code(test.loinc()) + ")";
  }

  private String sources(List<Citation> sources, String ruleId) {
    sources.forEach(c -> use(citedBy, c.key(), ruleId));
    return String.join(
        BR, sources.stream().map(c -> link(c.title(), c.url()) + " " + code(c.key())).toList());
  }

  private static String review(String review) {
    if (review == null) {
      return "not stated";
    }
    return "reviewed".equals(review)
        ? "reviewed"
        : code(review) + " (not yet signed off by a clinician)";
  }

  // ---- helpers ------------------------------------------------------------------------------

  private void write(String id, int level, List<String[]> rows) {
    anchors.put(id, md.ruleHeading(level, id));
    md.table("Field", "Value", rows);
  }

  /** A link to a rule already written (or a plain code span for one not yet written). */
  String ruleLink(String id) {
    String anchor = anchors.get(id);
    return anchor == null ? code(id) : ref(id, anchor);
  }

  private void use(Map<String, Set<String>> users, String key, String ruleId) {
    users.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(ruleId);
  }

  private String analyteNames(List<Analyte> analytes) {
    return String.join(", ", analytes.stream().map(a -> text(words.name(a))).toList());
  }

  private boolean hasNumericLimit(When w) {
    return w != null && hasNumeric(w);
  }

  private boolean hasNumeric(When w) {
    return Stream.of(w.below(), w.above(), w.atLeast(), w.atMost(), w.notAbove(), w.notBelow())
        .anyMatch(t -> t instanceof Threshold.Value);
  }

  private static String[] row(String key, String value) {
    return new String[] {key, value};
  }
}
