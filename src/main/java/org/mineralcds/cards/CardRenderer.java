package org.mineralcds.cards;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.CodeRef;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.DataGap;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.ReferenceRange;
import org.mineralcds.hook.Action;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Coding;
import org.mineralcds.hook.Source;
import org.mineralcds.hook.Suggestion;
import org.mineralcds.rules.AssessedValue;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.DrugCause;
import org.mineralcds.rules.DueTestsFinding;
import org.mineralcds.rules.Finding;
import org.mineralcds.rules.Indicator;
import org.mineralcds.rules.RangeUsed;
import org.mineralcds.rules.RuleSet;
import org.mineralcds.rules.SuggestedTest;
import org.mineralcds.rules.Wording;

/**
 * Turns findings into CDS Hooks cards: ordered critical, warning, info; one card per topic; a
 * summary under 140 characters; a markdown detail with values, dates, the range used, drug causes,
 * what to do and the evidence; and one suggestion that orders every missing test.
 *
 * <p>Card and suggestion uuids are derived from the hookInstance and the rule id, so they are
 * unique per call and the same for the same call whichever data path supplied the data.
 */
public final class CardRenderer {

  /** The project's CodeSystem for card topics; stable across releases. */
  public static final String TOPIC_SYSTEM = "https://mineral-cds.org/fhir/CodeSystem/card-topic";

  public static final String SOURCE_LABEL = "mineral-cds";

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String OVERRIDE_SYSTEM =
      "https://mineral-cds.org/fhir/CodeSystem/override-reason";
  static final List<Coding> OVERRIDE_REASONS =
      List.of(
          new Coding(OVERRIDE_SYSTEM, "already-addressed", "Already addressed"),
          new Coding(
              OVERRIDE_SYSTEM,
              "not-clinically-relevant",
              "Not clinically relevant for this patient"),
          new Coding(OVERRIDE_SYSTEM, "result-not-trusted", "Result not trusted (e.g. hemolyzed)"),
          new Coding(OVERRIDE_SYSTEM, "patient-declined", "Patient declined"));

  private final LabCatalog labs;
  private final RuleSet rules;
  private final DueTestCards dueTests;

  public CardRenderer(LabCatalog labs, RuleSet rules) {
    this.labs = labs;
    this.rules = rules;
    this.dueTests = new DueTestCards(labs);
  }

  public List<Card> render(List<Finding> findings, String patientId, String hookInstance) {
    return render(findings, List.of(), patientId, hookInstance);
  }

  /**
   * Value cards (one per topic) and due-test cards (one per monitoring family, one work-up card),
   * ordered critical, warning, info; within a level value cards first, each in rule order.
   */
  public List<Card> render(
      List<Finding> findings, List<DueTestsFinding> due, String patientId, String hookInstance) {
    List<Finding> ordered = new ArrayList<>(findings);
    ordered.sort(Comparator.comparing(Finding::indicator)); // stable: rule order within a level
    Set<String> topics = new HashSet<>();
    List<Card> cards = new ArrayList<>();
    List<Indicator> levels = new ArrayList<>();
    for (Finding finding : ordered) {
      if (topics.add(finding.band().topic())) {
        cards.add(card(finding, patientId, hookInstance));
        levels.add(finding.indicator());
      }
    }
    Set<String> keys = new HashSet<>();
    for (DueTestsFinding d : due) {
      if (keys.add(d.key())) {
        Card card = dueTests.card(d, patientId, hookInstance);
        int at = 0;
        while (at < levels.size() && levels.get(at).compareTo(d.indicator()) <= 0) {
          at++;
        }
        cards.add(at, card);
        levels.add(at, d.indicator());
      }
    }
    return cards;
  }

  private Card card(Finding f, String patientId, String hookInstance) {
    String ruleId = f.band().id();
    List<Suggestion> suggestions = suggestions(f, patientId, hookInstance);
    Citation primary = f.band().sources().get(0);
    return new Card(
        uuid(hookInstance, "card", ruleId),
        summary(f),
        detail(f),
        f.indicator().code(),
        new Source(
            SOURCE_LABEL, primary.url(), null, new Coding(TOPIC_SYSTEM, f.band().topic(), null)),
        suggestions,
        selectionBehavior(suggestions),
        OVERRIDE_REASONS,
        null);
  }

  /** Ordering tests and reviewing a drug are independent choices; one suggestion is just one. */
  static String selectionBehavior(List<Suggestion> suggestions) {
    return suggestions.isEmpty() ? null : suggestions.size() == 1 ? "at-most-one" : "any";
  }

  static String uuid(String hookInstance, String kind, String ruleId) {
    return UUID.nameUUIDFromBytes(
            (hookInstance + "|" + kind + "|" + ruleId).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  // ---- summary ------------------------------------------------------------------------------

  String summary(Finding f) {
    AssessedValue v = f.value();
    String whileOn = "";
    if (!f.drugCauses().isEmpty()) {
      whileOn =
          " while on "
              + f.drugCauses().stream()
                  .map(c -> c.ingredient().name())
                  .distinct()
                  .limit(2)
                  .collect(Collectors.joining(" and "));
    }
    Map<String, String> values =
        new HashMap<>(
            Map.of(
                "value", v.displayValue(),
                "unit", v.displayUnit(),
                "date", date(v),
                "measure", v.measure() == null ? "" : v.measure().label(),
                "whileOn", whileOn));
    f.inputs()
        .forEach(
            (name, input) -> values.put(name, input.displayValue() + " " + input.displayUnit()));
    String summary = Wording.fill(f.band().summary(), values);
    if (summary.length() > Wording.MAX_SUMMARY_LENGTH && !whileOn.isEmpty()) {
      values.put("whileOn", "");
      summary = Wording.fill(f.band().summary(), values);
    }
    return summary;
  }

  private static String date(AssessedValue v) {
    return LocalDate.ofInstant(v.effective(), ZoneOffset.UTC).toString();
  }

  // ---- detail -------------------------------------------------------------------------------

  String detail(Finding f) {
    AssessedValue v = f.value();
    AnalyteSpec spec = labs.spec(v.analyte());
    StringBuilder md = new StringBuilder();
    md.append("**").append(capitalise(describe(v, spec))).append("** on ").append(date(v));
    if (v.preliminary()) {
      md.append(" (preliminary result)");
    }
    md.append(".");
    md.append(" ").append(rangeSentence(v, spec)).append("\n\n");
    md.append(f.band().meaning()).append("\n\n");
    f.notes().forEach(note -> md.append(note).append("\n\n"));
    if (v.measure() != null && v.basis().size() > 1) {
      md.append("Corrected with albumin ")
          .append(v.basis().get(1).reportedValue())
          .append(" ")
          .append(unitOf(v.basis().get(1).reportedUnit(), labs.spec(v.basis().get(1).analyte())))
          .append(" from the same draw (total calcium ")
          .append(v.basis().get(0).reportedValue())
          .append(" ")
          .append(unitOf(v.basis().get(0).reportedUnit(), spec))
          .append(
              "; Payne: Ca + 0.8 × (4.0 − albumin)). Correction agrees poorly with ionized"
                  + " calcium, especially when eGFR is below 60: measure ionized calcium to confirm.\n\n");
    }
    if (!f.drugCauses().isEmpty()) {
      md.append("**Possible drug contribution:** ");
      List<String> parts = new ArrayList<>();
      for (DrugCause cause : f.drugCauses()) {
        parts.add(
            cause.medication().description() + " (" + cause.ingredient().drugClass().name() + ")");
      }
      Set<String> distinct = new LinkedHashSet<>(parts);
      md.append(String.join("; ", distinct))
          .append(
              distinct.size() == 1
                  ? ". Review whether it should continue at this dose.\n\n"
                  : ". Review whether they should continue at these doses.\n\n");
    }
    if (!f.related().isEmpty()) {
      md.append("**Related results:** ");
      md.append(
          f.related().stream()
              .map(r -> describe(r, labs.spec(r.analyte())) + " (" + date(r) + ")")
              .collect(Collectors.joining("; ")));
      md.append(".\n\n");
    }
    if (!f.conditions().isEmpty()) {
      md.append("**On the problem list:** ");
      md.append(
          f.conditions().stream()
              .map(CardRenderer::describe)
              .distinct()
              .collect(Collectors.joining("; ")));
      md.append(".\n\n");
    }
    md.append("**What to do:** ").append(f.band().action());
    if (!f.suggestions().isEmpty()) {
      md.append(" Suggested: ")
          .append(
              f.suggestions().stream().map(s -> s.test().label()).collect(Collectors.joining(", ")))
          .append(" (not resulted recently and not already ordered).");
    }
    md.append("\n\n");
    Set<DataGap> gaps = f.gaps();
    if (!gaps.isEmpty()) {
      md.append("**Not available for this evaluation:** ")
          .append(
              gaps.stream().sorted().map(DataGap::description).collect(Collectors.joining("; ")))
          .append(".\n\n");
    }
    md.append("**Evidence:** ");
    List<Citation> evidence = new ArrayList<>(f.band().sources());
    if (v.range() != null && v.range().sourceKey() != null) {
      Citation c = rules.citations().get(v.range().sourceKey());
      if (c != null && !evidence.contains(c)) {
        evidence.add(c);
      }
    }
    if (v.critical() != null && v.critical().source() != null) {
      Citation c = rules.citations().get(v.critical().source());
      if (c != null && !evidence.contains(c)) {
        evidence.add(c);
      }
    }
    md.append(
        evidence.stream()
            .map(c -> "[" + c.title() + "](" + c.url() + ")")
            .collect(Collectors.joining("; ")));
    md.append(". Rule `").append(f.band().id()).append("`.");
    return md.toString();
  }

  static String describe(ConditionRecord c) {
    String code =
        c.codes().stream().map(CodeRef::code).filter(Objects::nonNull).findFirst().orElse(null);
    String name = c.description() != null ? c.description() : c.sets().iterator().next().name();
    return code == null ? name : name + " (" + code + ")";
  }

  private static String describe(AssessedValue v, AnalyteSpec spec) {
    String name = spec.name();
    if (v.measure() != null) {
      name = v.measure().label() + " calcium";
    }
    String text = name + " " + v.displayValue() + " " + v.displayUnit();
    if (!v.value().isCensored()
        && !AnalyteSpec.normaliseUnit(v.displayUnit())
            .equals(AnalyteSpec.normaliseUnit(v.canonicalUnit()))
        && !sameNumber(v.displayValue(), v.value().value())) {
      text += " (" + plain(v.value().value()) + " " + v.canonicalUnit() + ")";
    }
    return text;
  }

  /** The unit only differs in spelling ("mL/min/1.73m2"): no need to repeat the value. */
  private static boolean sameNumber(String displayed, BigDecimal canonical) {
    try {
      return new BigDecimal(displayed).compareTo(canonical) == 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String unitOf(String reported, AnalyteSpec spec) {
    return reported == null ? spec.canonicalUnit() : reported;
  }

  private String rangeSentence(AssessedValue v, AnalyteSpec spec) {
    StringBuilder s = new StringBuilder();
    RangeUsed used = v.range();
    if (used == null && spec.defaultRange() == null) {
      s.append("Judged against guideline decision limits, not a reference range.");
    } else if (used == null) {
      s.append(
          "No reference range applies: the lab sent none, and adult defaults are not used for"
              + " children.");
    } else if (used.origin() == RangeUsed.Origin.LAB_FLAG) {
      s.append("Judged by the lab's own flag (no numeric range sent).");
    } else {
      s.append("Range used: ").append(range(used.range(), v.canonicalUnit()));
      s.append(
          used.origin() == RangeUsed.Origin.LAB_RANGE
              ? " (the lab's reference range)."
              : " (default adult range; the lab sent none).");
    }
    if (v.critical() != null) {
      s.append(" Critical limits: ")
          .append(range(v.critical().asRange(), v.canonicalUnit()))
          .append(".");
    }
    return s.toString();
  }

  private static String range(ReferenceRange r, String unit) {
    if (r.low() != null && r.high() != null) {
      return plain(r.low()) + "–" + plain(r.high()) + " " + unit;
    }
    return r.low() != null
        ? "≥ " + plain(r.low()) + " " + unit
        : "≤ " + plain(r.high()) + " " + unit;
  }

  private static String plain(BigDecimal value) {
    // Converted values carry many digits; reported and configured ones keep their own precision.
    return value.scale() > 2
        ? value.setScale(2, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString()
        : value.toPlainString();
  }

  private static String capitalise(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  // ---- suggestions --------------------------------------------------------------------------

  private List<Suggestion> suggestions(Finding f, String patientId, String hookInstance) {
    List<Suggestion> result = new ArrayList<>();
    if (!f.suggestions().isEmpty()) {
      result.add(orderTests(f.suggestions(), f.band().id(), patientId, hookInstance));
    }
    reviewDrug(f.drugCauses(), f.band().id(), hookInstance).ifPresent(result::add);
    return result;
  }

  /** One suggestion creating a draft order per test. */
  static Suggestion orderTests(
      List<SuggestedTest> tests, String ruleId, String patientId, String hookInstance) {
    List<Action> actions = new ArrayList<>();
    for (SuggestedTest test : tests) {
      actions.add(
          new Action(
              "create",
              "Order " + test.test().label() + " (draft for review)",
              serviceRequest(test, patientId),
              null));
    }
    String label =
        "Order " + tests.stream().map(s -> s.test().label()).collect(Collectors.joining(", "));
    return new Suggestion(label, uuid(hookInstance, "suggestion", ruleId), Boolean.TRUE, actions);
  }

  /**
   * "Review {drug}": a decision only the clinician can make, so it carries no action (nothing is
   * changed or stopped automatically); accepting it is recorded through feedback.
   */
  static java.util.Optional<Suggestion> reviewDrug(
      List<DrugCause> causes, String ruleId, String hookInstance) {
    List<String> names =
        causes.stream().map(c -> c.ingredient().name()).distinct().limit(2).toList();
    if (names.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        new Suggestion(
            "Review " + String.join(" and ", names) + " (no automatic change)",
            uuid(hookInstance, "review", ruleId),
            Boolean.FALSE,
            List.of()));
  }

  static ObjectNode serviceRequest(SuggestedTest test, String patientId) {
    ObjectNode sr = JSON.objectNode();
    sr.put("resourceType", "ServiceRequest");
    sr.put("status", "draft");
    sr.put("intent", "proposal");
    ArrayNode category = sr.putArray("category");
    category
        .addObject()
        .putArray("coding")
        .addObject()
        .put("system", "http://snomed.info/sct")
        .put("code", "108252007")
        .put("display", "Laboratory procedure");
    ObjectNode code = sr.putObject("code");
    code.putArray("coding")
        .addObject()
        .put("system", LabCatalog.LOINC_SYSTEM)
        .put("code", test.test().loinc())
        .put("display", test.test().display());
    code.put("text", test.test().label());
    sr.putObject("subject").put("reference", "Patient/" + patientId);
    if (test.reasonReference() != null) {
      sr.putArray("reasonReference")
          .addObject()
          .put("reference", test.reasonReference())
          .put("display", test.reasonDisplay());
    }
    return sr;
  }
}
