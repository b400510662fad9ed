package org.mineralcds.cards;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.DataGap;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.hook.Action;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Coding;
import org.mineralcds.hook.Link;
import org.mineralcds.hook.Source;
import org.mineralcds.hook.Suggestion;
import org.mineralcds.rules.AssessedValue;
import org.mineralcds.rules.BaselineRule;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.ConflictRule;
import org.mineralcds.rules.Indicator;
import org.mineralcds.rules.OrderFinding;
import org.mineralcds.rules.OrderRule;
import org.mineralcds.rules.RangeUsed;
import org.mineralcds.rules.SuggestedTest;
import org.mineralcds.rules.Wording;

/**
 * Cards of the prescribing-time services, in the form of the patient-view cards (CardRenderer): one
 * card per draft order and topic, naming the drug being ordered and the value (with unit, date and
 * the range used); a conflict whose advice is to withdraw the draft offers a {@code delete} of it
 * beside "keep the order and recheck"; a baseline card offers each missing test as a draft
 * ServiceRequest. Ordered critical, warning, info, within the same card budget.
 */
public final class OrderCards {

  /** The card extension naming the draft order a card is about ("MedicationRequest/id"). */
  public static final String ORDER_EXTENSION = "org.mineral-cds.order";

  /** On a card about several draft orders: all of them, the lead's first. */
  public static final String ORDERS_EXTENSION = "org.mineral-cds.orders";

  private final LabCatalog labs;

  public OrderCards(LabCatalog labs) {
    this.labs = labs;
  }

  /**
   * The cards, findings in order (the evaluator sorts them by urgency), within the budget. One card
   * per topic, as for patient-view (the contract: a topic at most once per response): at
   * order-sign, several drafts with a conflict (or several starts missing baselines) share one card
   * led by the most urgent, naming every draft, with a withdrawal offered for each.
   */
  public List<Card> render(
      List<OrderFinding> findings, String patientId, String hookInstance, String baseUrl) {
    List<CardRenderer.Rendered> cards = new ArrayList<>();
    for (List<OrderFinding> group : byTopic(findings).values()) {
      OrderFinding lead = group.get(0);
      Card card =
          group.size() == 1
              ? card(lead, patientId, hookInstance, baseUrl)
              : merged(group, patientId, hookInstance, baseUrl);
      cards.add(new CardRenderer.Rendered(card, lead.indicator(), shortName(lead)));
    }
    return CardRenderer.budget(cards, hookInstance, baseUrl);
  }

  /** The findings by topic, in order: the first of each topic is its most urgent. */
  private static Map<String, List<OrderFinding>> byTopic(List<OrderFinding> findings) {
    Map<String, List<OrderFinding>> groups = new LinkedHashMap<>();
    for (OrderFinding f : findings) {
      groups.computeIfAbsent(f.topic(), k -> new ArrayList<>()).add(f);
    }
    return groups;
  }

  /**
   * The uuid of the card that carries a finding in a call: the card of its topic, named after the
   * topic's most urgent finding.
   *
   * @param findings every finding of the call, in the order they were rendered
   */
  public static String cardUuid(OrderFinding f, List<OrderFinding> findings, String hookInstance) {
    OrderFinding lead = byTopic(findings).getOrDefault(f.topic(), List.of(f)).get(0);
    return CardRenderer.uuid(hookInstance, "card", key(lead));
  }

  /** One card for several drafts of one topic: the lead's card, the others' details added. */
  private Card merged(
      List<OrderFinding> group, String patientId, String hookInstance, String baseUrl) {
    List<Card> each = new ArrayList<>();
    for (OrderFinding f : group) {
      each.add(card(f, patientId, hookInstance, baseUrl));
    }
    Card lead = each.get(0);
    OrderFinding first = group.get(0);
    boolean conflict = first.lead() instanceof ConflictRule;
    List<String> drugs = new ArrayList<>();
    for (OrderFinding f : group.subList(1, group.size())) {
      if (!drugs.contains(f.ingredient().name())
          && !f.ingredient().name().equals(first.ingredient().name())) {
        drugs.add(f.ingredient().name());
      }
    }
    String summary = lead.summary();
    String also = " Also: " + Wording.list(drugs) + ".";
    if (!drugs.isEmpty() && summary.length() + also.length() <= Wording.MAX_SUMMARY_LENGTH) {
      summary = summary + also;
    }
    StringBuilder detail = new StringBuilder(lead.detail());
    for (Card other : each.subList(1, each.size())) {
      detail.append("\n\n---\n\n").append(other.detail());
    }
    List<Suggestion> suggestions = new ArrayList<>();
    if (conflict) {
      // Each draft's withdrawal; "keep and recheck" once per distinct wording.
      Set<String> labels = new LinkedHashSet<>();
      for (Card c : each) {
        for (Suggestion s : c.suggestions()) {
          if (labels.add(s.label())) {
            suggestions.add(s);
          }
        }
      }
    } else {
      // The missing baseline tests of every start, each once.
      Map<String, SuggestedTest> tests = new LinkedHashMap<>();
      for (OrderFinding f : group) {
        for (SuggestedTest t : f.tests()) {
          tests.putIfAbsent(t.test().loinc(), t);
        }
      }
      suggestions =
          CardRenderer.orderTests(List.copyOf(tests.values()), key(first), patientId, hookInstance);
    }
    List<String> ruleIds = new ArrayList<>();
    List<String> orders = new ArrayList<>();
    for (OrderFinding f : group) {
      f.ruleIds().stream().filter(id -> !ruleIds.contains(id)).forEach(ruleIds::add);
      if (f.draft().reference() != null && !orders.contains(f.draft().reference())) {
        orders.add(f.draft().reference());
      }
    }
    Map<String, Object> extension = new LinkedHashMap<>();
    extension.put(CardRenderer.RULES_EXTENSION, ruleIds);
    if (!orders.isEmpty()) {
      extension.put(ORDER_EXTENSION, orders.get(0));
      extension.put(ORDERS_EXTENSION, orders);
    }
    List<Link> links = new ArrayList<>();
    Set<String> urls = new HashSet<>();
    for (Card c : each) {
      for (Link l : c.links()) {
        if (urls.add(l.url())) {
          links.add(l);
        }
      }
    }
    return new Card(
        lead.uuid(),
        summary,
        detail.toString(),
        lead.indicator(),
        lead.source(),
        suggestions,
        suggestions.isEmpty() ? null : suggestions.size() == 1 ? "at-most-one" : "any",
        lead.overrideReasons(),
        links,
        extension);
  }

  /** The key that makes a card's and its suggestions' uuids: topic, draft and lead rule. */
  static String key(OrderFinding f) {
    return f.topic() + ":" + f.draft().reference() + ":" + f.lead().id();
  }

  private Card card(OrderFinding f, String patientId, String hookInstance, String baseUrl) {
    boolean conflict = f.lead() instanceof ConflictRule;
    List<Suggestion> suggestions =
        conflict
            ? conflictSuggestions(f, patientId, hookInstance)
            : CardRenderer.orderTests(f.tests(), key(f), patientId, hookInstance);
    Map<String, Object> extension = new LinkedHashMap<>();
    extension.put(CardRenderer.RULES_EXTENSION, f.ruleIds());
    if (f.draft().reference() != null) {
      extension.put(ORDER_EXTENSION, f.draft().reference());
    }
    return new Card(
        CardRenderer.uuid(hookInstance, "card", key(f)),
        conflict ? conflictSummary(f) : baselineSummary(f),
        conflict ? conflictDetail(f) : baselineDetail(f),
        f.indicator().code(),
        new Source(
            CardRenderer.SOURCE_LABEL,
            CardRenderer.rulePage(baseUrl, f.lead().id()),
            null,
            new Coding(CardRenderer.TOPIC_SYSTEM, f.topic(), null)),
        suggestions,
        conflict
            ? (suggestions.size() > 1 ? "at-most-one" : CardRenderer.selectionBehavior(suggestions))
            : CardRenderer.selectionBehavior(suggestions),
        CardRenderer.OVERRIDE_REASONS,
        CardRenderer.links(evidence(f)),
        extension);
  }

  // ---- conflicts ----------------------------------------------------------------------------

  String conflictSummary(OrderFinding f) {
    OrderFinding.Hit lead = f.hits().get(0);
    ConflictRule rule = (ConflictRule) lead.rule();
    Map<String, String> values = new HashMap<>();
    values.put("drug", f.ingredient().name());
    values.put("with", lead.coTherapy().isEmpty() ? "" : " with " + names(lead.coTherapy()));
    AssessedValue v = lead.value();
    values.put("value", v == null ? "" : v.displayValue());
    values.put("unit", v == null ? "" : v.displayUnit());
    values.put("date", v == null ? "" : date(v));
    String template =
        v == null && rule.conditionSummary() != null ? rule.conditionSummary() : rule.summary();
    String summary = Wording.fill(template, values);
    if (summary.length() > Wording.MAX_SUMMARY_LENGTH) {
      values.put("with", "");
      summary = Wording.fill(template, values);
    }
    return summary;
  }

  /** Up to two names: "spironolactone", "spironolactone and ibuprofen", "a, b and 1 more". */
  private static String names(List<String> names) {
    if (names.size() <= 2) {
      return Wording.list(names);
    }
    return names.get(0) + ", " + names.get(1) + " and " + (names.size() - 2) + " more";
  }

  String conflictDetail(OrderFinding f) {
    StringBuilder md = new StringBuilder();
    md.append("**Order being written:** ")
        .append(f.draft().description())
        .append(" (")
        .append(f.ingredient().drugClass().name())
        .append(").\n\n");
    for (OrderFinding.Hit hit : f.hits()) {
      ConflictRule rule = (ConflictRule) hit.rule();
      if (hit.value() != null) {
        AssessedValue v = hit.value();
        AnalyteSpec spec = labs.spec(v.analyte());
        md.append("**").append(capitalise(describe(v, spec))).append("** on ").append(date(v));
        if (v.preliminary()) {
          md.append(" (preliminary result)");
        }
        md.append(". ").append(rangeSentence(v, spec, rule)).append("\n\n");
      } else if (hit.condition() != null) {
        md.append("**On the problem list:** ")
            .append(CardRenderer.describe(hit.condition()))
            .append(".\n\n");
      }
      if (!hit.coTherapy().isEmpty()) {
        md.append("**Combined therapy:** ")
            .append(f.ingredient().name())
            .append(" with ")
            .append(Wording.list(hit.coTherapy()))
            .append(" (current medication or ordered with it).\n\n");
      }
      md.append(rule.meaning()).append("\n\n");
      md.append("**What to do:** ").append(rule.action()).append("\n\n");
    }
    appendGaps(md, f.gaps());
    appendEvidence(md, f);
    return md.toString();
  }

  private List<Suggestion> conflictSuggestions(
      OrderFinding f, String patientId, String hookInstance) {
    List<Suggestion> result = new ArrayList<>();
    String key = key(f);
    String drug = f.ingredient().name();
    boolean withdraw =
        f.draft().reference() != null
            && f.hits().stream().anyMatch(h -> ((ConflictRule) h.rule()).withdraw());
    if (withdraw) {
      result.add(
          new Suggestion(
              "Withdraw the " + drug + " order",
              CardRenderer.uuid(hookInstance, "withdraw", key),
              f.indicator() == Indicator.CRITICAL,
              List.of(
                  new Action(
                      "delete",
                      "Remove the draft order for " + f.draft().description(),
                      null,
                      f.draft().reference()))));
    }
    List<Action> creates = new ArrayList<>();
    for (SuggestedTest t : f.tests()) {
      creates.add(
          new Action(
              "create",
              "Order " + t.test().label() + " (draft for review)",
              CardRenderer.serviceRequest(t, patientId),
              null));
    }
    String tests = Wording.list(f.tests().stream().map(t -> t.test().label()).toList());
    if (!creates.isEmpty()) {
      result.add(
          new Suggestion(
              "Keep the " + drug + " order and recheck " + tests,
              CardRenderer.uuid(hookInstance, "recheck", key),
              f.indicator() != Indicator.CRITICAL,
              creates));
    } else if (withdraw) {
      // Withdrawing is never the only choice offered.
      result.add(
          new Suggestion(
              "Keep the " + drug + " order (rechecks already ordered)",
              CardRenderer.uuid(hookInstance, "keep", key),
              Boolean.FALSE,
              List.of()));
    }
    return result;
  }

  // ---- baselines ----------------------------------------------------------------------------

  String baselineSummary(OrderFinding f) {
    BaselineRule rule = (BaselineRule) f.lead();
    Map<String, String> values = new HashMap<>();
    values.put("drug", f.ingredient().name());
    values.put("tests", Wording.list(f.tests().stream().map(t -> t.test().label()).toList()));
    return Wording.fill(rule.summary(), values);
  }

  String baselineDetail(OrderFinding f) {
    StringBuilder md = new StringBuilder();
    md.append("**Order being written:** ")
        .append(f.draft().description())
        .append(" (")
        .append(f.ingredient().drugClass().name())
        .append(
            "), a new start: not on the current medication list or renewed from a recent"
                + " order.\n\n");
    md.append("**Not on file:** ");
    List<String> missing = new ArrayList<>();
    for (SuggestedTest t : f.tests()) {
      missing.add(t.test().label() + " (no result in the last " + window(f, t) + ", none ordered)");
    }
    md.append(String.join("; ", missing)).append(".\n\n");
    for (OrderFinding.Hit hit : f.hits()) {
      md.append(hit.rule().meaning()).append("\n\n");
      md.append("**What to do:** ").append(hit.rule().action()).append("\n\n");
    }
    appendGaps(md, f.gaps());
    appendEvidence(md, f);
    return md.toString();
  }

  private static String window(OrderFinding f, SuggestedTest t) {
    for (OrderFinding.Hit hit : f.hits()) {
      for (BaselineRule.BaselineTest b : ((BaselineRule) hit.rule()).tests()) {
        if (b.test().id().equals(t.test().id())) {
          return Wording.period(b.withinDays());
        }
      }
    }
    return "window";
  }

  // ---- shared -------------------------------------------------------------------------------

  private static void appendGaps(StringBuilder md, Set<DataGap> gaps) {
    if (!gaps.isEmpty()) {
      md.append("**Not available for this evaluation:** ")
          .append(
              gaps.stream().sorted().map(DataGap::description).collect(Collectors.joining("; ")))
          .append(".\n\n");
    }
  }

  private void appendEvidence(StringBuilder md, OrderFinding f) {
    md.append("**Evidence:** ")
        .append(
            evidence(f).stream()
                .map(c -> "[" + c.title() + "](" + c.url() + ")")
                .collect(Collectors.joining("; ")))
        .append(".");
  }

  private static List<Citation> evidence(OrderFinding f) {
    Set<Citation> all = new LinkedHashSet<>();
    for (OrderFinding.Hit hit : f.hits()) {
      all.addAll(hit.rule().sources());
    }
    return List.copyOf(all);
  }

  private String shortName(OrderFinding f) {
    OrderFinding.Hit lead = f.hits().get(0);
    if (f.topic().equals(OrderRule.TOPIC_BASELINE)) {
      return "baseline tests for " + f.ingredient().name();
    }
    if (lead.value() == null) {
      return f.ingredient().name() + " with advanced CKD";
    }
    return f.ingredient().name()
        + " with "
        + describe(lead.value(), labs.spec(lead.value().analyte()));
  }

  private static String describe(AssessedValue v, AnalyteSpec spec) {
    String name = v.measure() != null ? v.measure().label() + " calcium" : spec.name();
    return name + " " + v.displayValue() + " " + v.displayUnit();
  }

  private static String rangeSentence(AssessedValue v, AnalyteSpec spec, ConflictRule rule) {
    StringBuilder s = new StringBuilder();
    RangeUsed used = v.range();
    if (rule.lab().position() == null) {
      BigDecimal limit = rule.lab().below() != null ? rule.lab().below() : rule.lab().atLeast();
      s.append("Limit used: ")
          .append(rule.lab().below() != null ? "below " : "at least ")
          .append(limit.setScale(Math.max(0, limit.scale()), RoundingMode.HALF_UP).toPlainString())
          .append(" ")
          .append(
              v.displayUnit() != null
                      && spec.factorFor(v.displayUnit())
                          .filter(f -> f.multiplier().compareTo(f.divisor()) == 0)
                          .isPresent()
                  ? v.displayUnit()
                  : v.canonicalUnit())
          .append(".");
    } else if (used == null) {
      s.append("No reference range applies (the lab sent none).");
    } else if (used.origin() == RangeUsed.Origin.LAB_FLAG) {
      s.append("Judged by the lab's own flag (no numeric range sent).");
    } else {
      s.append("Range used: ").append(CardRenderer.rangeInValueUnit(used.range(), v, spec));
      s.append(
          used.origin() == RangeUsed.Origin.LAB_RANGE
              ? " (the lab's reference range)."
              : " (default adult range; the lab sent none).");
    }
    if (v.critical() != null && rule.lab().position() != null) {
      s.append(" Critical limits: ")
          .append(CardRenderer.rangeInValueUnit(v.critical().asRange(), v, spec))
          .append(".");
    }
    return s.toString();
  }

  private static String date(AssessedValue v) {
    return LocalDate.ofInstant(v.effective(), ZoneOffset.UTC).toString();
  }

  /** "Potassium 5.4 mmol/L"; a name written with capitals inside ("eGFR") is left as it is. */
  private static String capitalise(String s) {
    if (s.length() > 1 && Character.isUpperCase(s.charAt(1))) {
      return s;
    }
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
