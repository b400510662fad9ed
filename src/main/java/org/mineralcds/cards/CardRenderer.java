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
import org.mineralcds.clinical.UnitFactor;
import org.mineralcds.hook.Action;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Coding;
import org.mineralcds.hook.Link;
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
 * summary under 140 characters; a markdown detail with values, dates, the range used (in the
 * value's unit), drug causes, what to do and the evidence; one suggestion per missing test (and one
 * ordering them all); {@code source.url} the page of this service about the rule, the evidence as
 * card links, the rule ids as an extension. At most {@link #MAX_NON_CRITICAL} cards that are not
 * critical: the least urgent beyond that are named in one {@code additional-findings} card.
 *
 * <p>Card and suggestion uuids are derived from the hookInstance and the rule id, so they are
 * unique per call and the same for the same call whichever data path supplied the data.
 */
public final class CardRenderer {

  /** The project's CodeSystem for card topics; stable across releases. */
  public static final String TOPIC_SYSTEM = "https://mineral-cds.org/fhir/CodeSystem/card-topic";

  public static final String SOURCE_LABEL = "mineral-cds";

  /** The path, under the service's base URL, of the page about each rule: this + rule id. */
  public static final String RULE_PAGES = "/knowledge/rules/";

  /** The card extension (CDS Hooks 2.0) listing the ids of the rules behind a card. */
  public static final String RULES_EXTENSION = "org.mineral-cds.rules";

  /** The base URL used when none is known (the service's default address). */
  public static final String DEFAULT_BASE_URL = "http://127.0.0.1:8080";

  /** The card budget: cards that are not critical, the additional-findings card included. */
  public static final int MAX_NON_CRITICAL = 4;

  static final String ADDITIONAL_FINDINGS = "additional-findings";

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
    return render(findings, List.of(), patientId, hookInstance, DEFAULT_BASE_URL);
  }

  public List<Card> render(
      List<Finding> findings, List<DueTestsFinding> due, String patientId, String hookInstance) {
    return render(findings, due, patientId, hookInstance, DEFAULT_BASE_URL);
  }

  /**
   * Value cards (one per topic) and due-test cards (one per monitoring family, one work-up card),
   * ordered critical, warning, info; within a level value cards first, each in rule order; then the
   * card budget applied. {@code baseUrl} is the service's public base URL: the rule pages the cards
   * point to live under it.
   */
  public List<Card> render(
      List<Finding> findings,
      List<DueTestsFinding> due,
      String patientId,
      String hookInstance,
      String baseUrl) {
    return budget(rendered(findings, due, patientId, hookInstance, baseUrl), hookInstance, baseUrl);
  }

  /** Every card, in order, before the card budget folds any: for tests of each card's content. */
  public List<Card> renderEach(
      List<Finding> findings,
      List<DueTestsFinding> due,
      String patientId,
      String hookInstance,
      String baseUrl) {
    return rendered(findings, due, patientId, hookInstance, baseUrl).stream()
        .map(Rendered::card)
        .toList();
  }

  private List<Rendered> rendered(
      List<Finding> findings,
      List<DueTestsFinding> due,
      String patientId,
      String hookInstance,
      String baseUrl) {
    List<Finding> ordered = new ArrayList<>(findings);
    ordered.sort(Comparator.comparing(Finding::indicator)); // stable: rule order within a level
    Set<String> topics = new HashSet<>();
    List<Rendered> cards = new ArrayList<>();
    for (Finding finding : ordered) {
      if (topics.add(finding.band().topic())) {
        cards.add(
            new Rendered(
                card(finding, patientId, hookInstance, baseUrl),
                finding.indicator(),
                shortName(finding)));
      }
    }
    Set<String> keys = new HashSet<>();
    for (DueTestsFinding d : due) {
      if (keys.add(d.key())) {
        Card card = dueTests.card(d, patientId, hookInstance, baseUrl);
        int at = 0;
        while (at < cards.size() && cards.get(at).level().compareTo(d.indicator()) <= 0) {
          at++;
        }
        cards.add(at, new Rendered(card, d.indicator(), DueTestCards.shortName(d)));
      }
    }
    return cards;
  }

  /** A card with what the budget needs: its urgency and a short name with its value. */
  record Rendered(Card card, Indicator level, String shortName) {}

  /**
   * At most {@link #MAX_NON_CRITICAL} cards that are not critical: when there are more, the first
   * ones (the most urgent, in card order) stay and the rest are named in one info card of topic
   * {@code additional-findings}, which counts toward the budget. Critical cards are never folded.
   */
  static List<Card> budget(List<Rendered> cards, String hookInstance, String baseUrl) {
    long nonCritical = cards.stream().filter(c -> c.level() != Indicator.CRITICAL).count();
    if (nonCritical <= MAX_NON_CRITICAL) {
      return cards.stream().map(Rendered::card).toList();
    }
    List<Card> kept = new ArrayList<>();
    List<Rendered> folded = new ArrayList<>();
    int shown = 0;
    for (Rendered c : cards) {
      if (c.level() == Indicator.CRITICAL) {
        kept.add(c.card());
      } else if (shown < MAX_NON_CRITICAL - 1) {
        kept.add(c.card());
        shown++;
      } else {
        folded.add(c);
      }
    }
    kept.add(additionalFindings(folded, hookInstance, baseUrl));
    return kept;
  }

  /** The findings beyond the budget, each named with its value, in one info card. */
  private static Card additionalFindings(
      List<Rendered> folded, String hookInstance, String baseUrl) {
    String summary = foldedSummary(folded.stream().map(Rendered::shortName).toList());
    StringBuilder md = new StringBuilder();
    md.append("Less urgent than the cards above; each links to the page about its rule:\n\n");
    List<String> ruleIds = new ArrayList<>();
    List<Suggestion> suggestions = new ArrayList<>();
    Set<String> offered = new HashSet<>();
    for (Rendered r : folded) {
      Card c = r.card();
      md.append("- **")
          .append(c.indicator())
          .append(":** ")
          .append(c.summary())
          .append(" ([about this rule](")
          .append(c.source().url())
          .append("))\n");
      ruleIds.addAll(rulesOf(c));
      if (c.suggestions() != null) {
        for (Suggestion s : c.suggestions()) {
          // One click per test, once: the folded cards' single-test orders.
          if (s.actions() != null && s.actions().size() == 1 && offered.add(s.label())) {
            suggestions.add(s);
          }
        }
      }
    }
    String key = String.join(",", ruleIds);
    return new Card(
        uuid(hookInstance, "card", ADDITIONAL_FINDINGS + ":" + key),
        summary,
        md.toString().stripTrailing(),
        Indicator.INFO.code(),
        new Source(
            SOURCE_LABEL,
            rulePage(baseUrl, ruleIds.get(0)),
            null,
            new Coding(TOPIC_SYSTEM, ADDITIONAL_FINDINGS, null)),
        suggestions,
        selectionBehavior(suggestions),
        OVERRIDE_REASONS,
        null,
        Map.of(RULES_EXTENSION, List.copyOf(ruleIds)));
  }

  /** "3 more findings: a; b; c." or, when that is too long, as many as fit and "and 2 more". */
  static String foldedSummary(List<String> names) {
    String lead = names.size() + " more findings: ";
    for (int shown = names.size(); shown > 0; shown--) {
      String text =
          lead
              + String.join("; ", names.subList(0, shown))
              + (shown == names.size() ? "." : " and " + (names.size() - shown) + " more.");
      if (text.length() < Wording.MAX_SUMMARY_LENGTH) {
        return text;
      }
    }
    return names.size() + " more findings, less urgent: see the card.";
  }

  @SuppressWarnings("unchecked")
  private static List<String> rulesOf(Card card) {
    Object ids = card.extension() == null ? null : card.extension().get(RULES_EXTENSION);
    return ids instanceof List<?> list ? (List<String>) list : List.of();
  }

  /** The absolute URL of the page about a rule. */
  public static String rulePage(String baseUrl, String ruleId) {
    String base = baseUrl == null ? DEFAULT_BASE_URL : withoutTrailingSlashes(baseUrl);
    return base + RULE_PAGES + ruleId;
  }

  private static final java.util.regex.Pattern TRAILING_SLASHES =
      java.util.regex.Pattern.compile("/+$");

  /**
   * {@code url.replaceAll("/+$", "")}, once per card: the regex only when the URL ends with a slash
   * or a line terminator (before which {@code $} also matches), which a base URL hardly does.
   */
  static String withoutTrailingSlashes(String url) {
    char last = url.isEmpty() ? 'x' : url.charAt(url.length() - 1);
    boolean maybe =
        last == '/'
            || last == '\n'
            || last == '\r'
            || last == '\u0085'
            || last == '\u2028'
            || last == '\u2029';
    return maybe ? TRAILING_SLASHES.matcher(url).replaceAll("") : url;
  }

  /** "potassium 5.1 mmol/L", "albumin-corrected calcium 7.7 mg/dL". */
  private String shortName(Finding f) {
    AssessedValue v = f.value();
    String name =
        v.measure() != null ? v.measure().label() + " calcium" : labs.spec(v.analyte()).name();
    return name + " " + v.displayValue() + " " + v.displayUnit();
  }

  private Card card(Finding f, String patientId, String hookInstance, String baseUrl) {
    String ruleId = f.band().id();
    List<Suggestion> suggestions = suggestions(f, patientId, hookInstance);
    return new Card(
        uuid(hookInstance, "card", ruleId),
        summary(f),
        detail(f),
        f.indicator().code(),
        new Source(
            SOURCE_LABEL,
            rulePage(baseUrl, ruleId),
            null,
            new Coding(TOPIC_SYSTEM, f.band().topic(), null)),
        suggestions,
        selectionBehavior(suggestions),
        OVERRIDE_REASONS,
        links(evidence(f)),
        Map.of(RULES_EXTENSION, List.of(ruleId)));
  }

  /** The evidence, as links that open each document (type absolute). */
  static List<Link> links(List<Citation> evidence) {
    return evidence.stream()
        .map(c -> new Link(linkLabel(c.title()), c.url(), "absolute", null, null))
        .toList();
  }

  /** A citation title short enough for a link: cut at a word before 100 characters. */
  static String linkLabel(String title) {
    if (title.length() <= 100) {
      return title;
    }
    int cut = title.lastIndexOf(' ', 98);
    return title.substring(0, cut > 40 ? cut : 98) + "…";
  }

  /**
   * Ordering each test, ordering them all and reviewing a drug are independent choices ("any"); a
   * single suggestion is "at-most-one".
   */
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
    md.append(
        evidence(f).stream()
            .map(c -> "[" + c.title() + "](" + c.url() + ")")
            .collect(Collectors.joining("; ")));
    md.append(".");
    return md.toString();
  }

  /** The band's sources, then those of the range and critical limits used. */
  private List<Citation> evidence(Finding f) {
    AssessedValue v = f.value();
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
    return evidence;
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
      s.append("Range used: ").append(rangeInValueUnit(used.range(), v, spec));
      s.append(
          used.origin() == RangeUsed.Origin.LAB_RANGE
              ? " (the lab's reference range)."
              : " (default adult range; the lab sent none).");
    }
    if (v.critical() != null) {
      s.append(" Critical limits: ")
          .append(rangeInValueUnit(v.critical().asRange(), v, spec))
          .append(".");
    }
    return s.toString();
  }

  /**
   * A range in the unit the value is shown in, converted with the analyte's exact factor, with the
   * canonical range after it when the units differ ("0.7–0.95 mmol/L (1.7–2.3 mg/dL)").
   */
  static String rangeInValueUnit(ReferenceRange r, AssessedValue v, AnalyteSpec spec) {
    String canonical = range(r, v.canonicalUnit());
    String shown = v.displayUnit();
    if (shown == null
        || AnalyteSpec.normaliseUnit(shown).equals(AnalyteSpec.normaliseUnit(v.canonicalUnit()))) {
      return canonical;
    }
    java.util.Optional<UnitFactor> factor = spec.factorFor(shown);
    if (factor.isEmpty()) {
      return canonical;
    }
    ReferenceRange converted =
        new ReferenceRange(
            r.low() == null ? null : toUnit(r.low(), factor.get()),
            r.high() == null ? null : toUnit(r.high(), factor.get()));
    String inUnit = range(converted, shown);
    return factor.get().multiplier().compareTo(factor.get().divisor()) == 0
        ? inUnit
        : inUnit + " (" + canonical + ")";
  }

  /** From the canonical unit back to a unit with this factor (the inverse of the factor). */
  private static BigDecimal toUnit(BigDecimal canonical, UnitFactor factor) {
    return canonical
        .multiply(factor.divisor())
        .divide(factor.multiplier(), java.math.MathContext.DECIMAL64);
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
    List<Suggestion> result =
        new ArrayList<>(orderTests(f.suggestions(), f.band().id(), patientId, hookInstance));
    reviewDrug(f.drugCauses(), f.band().id(), hookInstance).ifPresent(result::add);
    return result;
  }

  /**
   * One suggestion per test (one create action each), so a clinician orders any subset with one
   * click per test; with two tests or more, also one suggestion ordering them all. None without
   * tests.
   */
  static List<Suggestion> orderTests(
      List<SuggestedTest> tests, String ruleId, String patientId, String hookInstance) {
    List<Suggestion> result = new ArrayList<>();
    List<Action> all = new ArrayList<>();
    for (SuggestedTest test : tests) {
      Action action = orderAction(test, patientId);
      all.add(action);
      result.add(
          new Suggestion(
              "Order " + test.test().label(),
              tests.size() == 1
                  ? uuid(hookInstance, "suggestion", ruleId)
                  : uuid(hookInstance, "suggestion:" + test.test().loinc(), ruleId),
              tests.size() == 1,
              List.of(action)));
    }
    if (tests.size() > 1) {
      result.add(
          new Suggestion(
              "Order all "
                  + tests.size()
                  + ": "
                  + tests.stream().map(s -> s.test().label()).collect(Collectors.joining(", ")),
              uuid(hookInstance, "suggestion", ruleId),
              Boolean.TRUE,
              all));
    }
    return result;
  }

  private static Action orderAction(SuggestedTest test, String patientId) {
    return new Action(
        "create",
        "Order " + test.test().label() + " (draft for review)",
        serviceRequest(test, patientId),
        null);
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
