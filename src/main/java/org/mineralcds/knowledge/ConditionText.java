package org.mineralcds.knowledge;

import static org.mineralcds.knowledge.Markdown.code;
import static org.mineralcds.knowledge.Markdown.text;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.DrugClass;
import org.mineralcds.clinical.Limits;
import org.mineralcds.rules.CalciumMeasure;
import org.mineralcds.rules.Circumstances;
import org.mineralcds.rules.Companion;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.RuleAnalyte;
import org.mineralcds.rules.Threshold;
import org.mineralcds.rules.When;

/**
 * Writes rule conditions in plain words, with their numbers and units: "below the range (the lab's
 * referenceRange, else the lab's L flag, else the adult default 3.5–5.0 mmol/L) and at least 3.3
 * mmol/L". Output is Markdown-escaped; sets are listed in declaration (or alphabetical) order so
 * the text is the same on every run.
 */
final class ConditionText {

  static final String CALCIUM_ANCHOR = "how-calcium-is-judged";

  private final Knowledge knowledge;
  private final Map<String, DrugClass> drugClasses;
  private final Map<String, ConditionSet> conditionSets;

  ConditionText(Knowledge knowledge) {
    this.knowledge = knowledge;
    this.drugClasses =
        knowledge.drugs().classes().stream()
            .collect(Collectors.toMap(DrugClass::id, Function.identity()));
    this.conditionSets =
        knowledge.conditions().sets().stream()
            .collect(Collectors.toMap(ConditionSet::id, Function.identity()));
  }

  // ---- names --------------------------------------------------------------------------------

  AnalyteSpec spec(Analyte analyte) {
    return knowledge.labs().spec(analyte);
  }

  String name(Analyte analyte) {
    return spec(analyte).name();
  }

  String name(RuleAnalyte analyte) {
    return analyte instanceof RuleAnalyte.Single s ? name(s.analyte()) : "calcium";
  }

  /** "heart failure (`heart-failure`)", for each id, in declaration order. */
  String conditionSets(Collection<String> ids, String joiner) {
    return join(
        declarationOrder(ids, knowledge.conditions().sets().stream().map(ConditionSet::id)),
        id -> named(conditionSets.containsKey(id) ? conditionSets.get(id).name() : null, id),
        joiner);
  }

  /** "loop diuretic (`loop-diuretic`)", for each id, in declaration order. */
  String drugClasses(Collection<String> ids, String joiner) {
    return join(
        declarationOrder(ids, knowledge.drugs().classes().stream().map(DrugClass::id)),
        id -> named(drugClasses.containsKey(id) ? drugClasses.get(id).name() : null, id),
        joiner);
  }

  private static String named(String name, String id) {
    return name == null || name.equals(id) ? code(id) : text(name) + " (" + code(id) + ")";
  }

  static List<String> declarationOrder(Collection<String> ids, Stream<String> declared) {
    List<String> order = declared.toList();
    return ids.stream()
        .sorted(
            Comparator.comparingInt(
                    (String id) -> order.indexOf(id) < 0 ? Integer.MAX_VALUE : order.indexOf(id))
                .thenComparing(Comparator.naturalOrder()))
        .toList();
  }

  private static String join(List<String> items, Function<String, String> f, String joiner) {
    List<String> parts = items.stream().map(f).toList();
    if (parts.size() <= 1) {
      return parts.isEmpty() ? "" : parts.get(0);
    }
    return String.join(", ", parts.subList(0, parts.size() - 1))
        + " "
        + joiner
        + " "
        + parts.get(parts.size() - 1);
  }

  // ---- numbers ------------------------------------------------------------------------------

  static String number(BigDecimal n) {
    return n.toPlainString();
  }

  static String range(Limits limits, String unit) {
    if (limits.low() != null && limits.high() != null) {
      return number(limits.low()) + "–" + number(limits.high()) + " " + unit;
    }
    return limits.low() != null
        ? "from " + number(limits.low()) + " " + unit
        : "up to " + number(limits.high()) + " " + unit;
  }

  /** "30 days", "1 day". */
  static String days(int n) {
    return n + (n == 1 ? " day" : " days");
  }

  static String hours(int n) {
    return n + (n == 1 ? " hour" : " hours");
  }

  // ---- band conditions ----------------------------------------------------------------------

  /** "the latest potassium, collected within the last 30 days, is below the range (...)". */
  String latest(RuleAnalyte analyte, int lookbackDays, When when) {
    return "the latest "
        + subject(analyte)
        + ", collected within the last "
        + days(lookbackDays)
        + ", is "
        + when(when, analyte);
  }

  /** The analyte as named in a condition; calcium links to how its value is chosen. */
  String subject(RuleAnalyte analyte) {
    return analyte instanceof RuleAnalyte.Calcium
        ? "calcium (ionized, albumin-corrected or total: see "
            + Markdown.ref("how calcium is judged", CALCIUM_ANCHOR)
            + ")"
        : text(name(analyte));
  }

  /** Every part of a condition, joined with "and". */
  String when(When w, RuleAnalyte analyte) {
    List<String> parts = new ArrayList<>();
    if (w.critical() != null) {
      parts.add(critical(w.critical(), analyte));
    }
    addThreshold(parts, w.below(), "below", Direction.LOW, analyte, w);
    addThreshold(parts, w.above(), "above", Direction.HIGH, analyte, w);
    addThreshold(parts, w.atLeast(), "at least", null, analyte, w);
    addThreshold(parts, w.atMost(), "at most", null, analyte, w);
    addNot(parts, w.notAbove(), "not above", Direction.HIGH, analyte, w);
    addNot(parts, w.notBelow(), "not below", Direction.LOW, analyte, w);
    if (!w.measures().isEmpty()) {
      parts.add(
          "measured as "
              + join(
                  w.measures().stream().sorted().map(CalciumMeasure::label).toList(),
                  Function.identity(),
                  "or")
              + " calcium");
    }
    if (w.companion() != null) {
      parts.add(companion(w.companion()));
    }
    if (Boolean.TRUE.equals(w.hemolyzed())) {
      parts.add(
          "from a specimen the lab marked hemolyzed (Specimen.condition HEM, or a note saying so)");
    }
    if (w.withoutSameDraw() != null) {
      parts.add(
          "no " + text(spec(w.withoutSameDraw()).name()) + " result comes from the same draw");
    }
    return String.join(" and ", parts);
  }

  private void addThreshold(
      List<String> parts,
      Threshold t,
      String words,
      Direction rangeSide,
      RuleAnalyte analyte,
      When w) {
    if (t instanceof Threshold.Range) {
      parts.add(words + " the range (" + rangeSource(analyte, flag(rangeSide)) + ")");
    } else if (t instanceof Threshold.Value v) {
      parts.add(words + " " + number(v.limit()) + " " + text(unit(analyte, w)));
    } else if (t instanceof Threshold.UpperLimitMultiple m) {
      parts.add(words + " " + upperLimitMultiple(m, analyte));
    }
  }

  private void addNot(
      List<String> parts,
      Threshold t,
      String words,
      Direction excluded,
      RuleAnalyte analyte,
      When w) {
    if (t instanceof Threshold.Range) {
      String side = excluded == Direction.HIGH ? "within or below" : "within or above";
      parts.add(
          words
              + " the range ("
              + side
              + " it, known from "
              + rangeSource(analyte, "L/H/N")
              + "; unknown does not count)");
    } else if (t instanceof Threshold.Value v) {
      parts.add(words + " " + number(v.limit()) + " " + text(unit(analyte, w)));
    }
  }

  private static String flag(Direction side) {
    return side == Direction.LOW ? "L" : "H";
  }

  /** "the lab's referenceRange, else the lab's L flag, else the adult default 3.5–5.0 mmol/L". */
  String rangeSource(RuleAnalyte analyte, String flag) {
    return "the lab's referenceRange, else the lab's "
        + flag
        + " flag, else "
        + defaultRange(analyte);
  }

  private String defaultRange(RuleAnalyte analyte) {
    if (analyte instanceof RuleAnalyte.Single s) {
      Limits d = spec(s.analyte()).defaultRange();
      return d == null
          ? "no default range (the condition cannot hold without a lab range or flag)"
          : "the adult default " + text(range(d, spec(s.analyte()).canonicalUnit()));
    }
    List<String> ranges = new ArrayList<>();
    Limits total = spec(Analyte.CALCIUM_TOTAL).defaultRange();
    Limits ionized = spec(Analyte.CALCIUM_IONIZED).defaultRange();
    if (total != null) {
      ranges.add(
          text(range(total, spec(Analyte.CALCIUM_TOTAL).canonicalUnit()))
              + " for total or corrected calcium");
    }
    if (ionized != null) {
      ranges.add(
          text(range(ionized, spec(Analyte.CALCIUM_IONIZED).canonicalUnit()))
              + " for ionized calcium");
    }
    return ranges.isEmpty() ? "no default range" : "the adult default " + String.join(", ", ranges);
  }

  private String critical(Direction d, RuleAnalyte analyte) {
    String low = d == Direction.LOW ? "low" : "high";
    String side = d == Direction.LOW ? "below" : "above";
    List<String> limits = new ArrayList<>();
    if (analyte instanceof RuleAnalyte.Single s) {
      criticalLimit(s.analyte(), d).ifPresent(l -> limits.add(side + " " + l));
    } else {
      criticalLimit(Analyte.CALCIUM_TOTAL, d)
          .ifPresent(l -> limits.add(side + " " + l + " (total or corrected)"));
      criticalLimit(Analyte.CALCIUM_IONIZED, d)
          .ifPresent(l -> limits.add(side + " " + l + " (ionized)"));
    }
    String configured =
        limits.isEmpty()
            ? "no configured critical " + low + " limit, so only the lab's flag"
            : String.join(" or ", limits) + " (the configured critical limit, adults only)";
    return "critically "
        + low
        + ": "
        + configured
        + ", or flagged "
        + (d == Direction.LOW ? "LL" : "HH")
        + " by the lab, or flagged AA and "
        + side
        + " the range";
  }

  private Optional<String> criticalLimit(Analyte analyte, Direction d) {
    Limits c = spec(analyte).criticalLimits();
    BigDecimal limit = c == null ? null : d == Direction.LOW ? c.low() : c.high();
    return Optional.ofNullable(limit)
        .map(l -> number(l) + " " + text(spec(analyte).canonicalUnit()));
  }

  private String upperLimitMultiple(Threshold.UpperLimitMultiple m, RuleAnalyte analyte) {
    String s =
        number(m.factor())
            + " times the upper limit of the range used (the lab's referenceRange, else the adult"
            + " default; a flag alone gives no upper limit)";
    if (analyte instanceof RuleAnalyte.Single single) {
      Limits d = spec(single.analyte()).defaultRange();
      if (d != null && d.high() != null) {
        String unit = text(spec(single.analyte()).canonicalUnit());
        s +=
            ", i.e. "
                + number(m.factor().multiply(d.high()).stripTrailingZeros())
                + " "
                + unit
                + " with the default upper limit of "
                + number(d.high())
                + " "
                + unit;
      }
    }
    return s;
  }

  /** The unit of a numeric limit: the analyte's canonical unit (calcium: of its measure). */
  String unit(RuleAnalyte analyte, When w) {
    if (analyte instanceof RuleAnalyte.Single s) {
      return spec(s.analyte()).canonicalUnit();
    }
    String total = spec(Analyte.CALCIUM_TOTAL).canonicalUnit();
    String ionized = spec(Analyte.CALCIUM_IONIZED).canonicalUnit();
    boolean withIonized = w.measures().isEmpty() || w.measures().contains(CalciumMeasure.IONIZED);
    boolean onlyIonized = w.measures().equals(Set.of(CalciumMeasure.IONIZED));
    if (onlyIonized) {
      return ionized;
    }
    return withIonized ? total + " (total or corrected; " + ionized + " for ionized)" : total;
  }

  private String companion(Companion c) {
    String side = c.is() == Direction.LOW ? "below" : "above";
    return "the most recent "
        + text(name(c.analyte()))
        + " result drawn within "
        + days(c.withinDays())
        + " of it is "
        + side
        + " its range ("
        + rangeSource(new RuleAnalyte.Single(c.analyte()), flag(c.is()))
        + ")";
  }

  // ---- due-test circumstances ---------------------------------------------------------------

  /** Any one of the parts: "any of: a problem coded as heart failure (`heart-failure`); or ...". */
  String circumstances(Circumstances c) {
    List<String> parts = new ArrayList<>();
    if (!c.conditions().isEmpty()) {
      parts.add("a problem coded as " + conditionSets(c.conditions(), "or"));
    }
    if (!c.drugClasses().isEmpty()) {
      parts.add("an active drug of class " + drugClasses(c.drugClasses(), "or"));
    }
    if (c.egfrBelow() != null) {
      parts.add(
          "the latest eGFR within a year is below "
              + number(c.egfrBelow())
              + " "
              + text(spec(Analyte.EGFR).canonicalUnit()));
    }
    if (c.ageAtLeast() != null) {
      parts.add("age " + c.ageAtLeast() + " years or over");
    }
    if (!c.lowResults().isEmpty()) {
      List<String> names =
          c.lowResults().stream().map(this::lowResultName).sorted().map(Markdown::text).toList();
      parts.add(
          "the latest "
              + join(names, Function.identity(), "or")
              + " within a year is below its range");
    }
    return parts.size() == 1 ? parts.get(0) : "any of: " + String.join("; or ", parts);
  }

  private String lowResultName(RuleAnalyte analyte) {
    return analyte instanceof RuleAnalyte.Calcium
        ? "calcium (ionized, else corrected, else total)"
        : name(analyte);
  }

  /** What starts a due-test rule. */
  String trigger(DueTestRule.Trigger trigger) {
    if (trigger instanceof DueTestRule.Trigger.Medication m) {
      StringBuilder s =
          new StringBuilder("an active drug of class ").append(drugClasses(m.drugClasses(), "or"));
      if (!m.ingredients().isEmpty()) {
        s.append(", only ")
            .append(join(m.ingredients().stream().sorted().toList(), Markdown::text, "or"));
      }
      if (m.activeAtLeastDays() > 0) {
        s.append(", started at least ")
            .append(days(m.activeAtLeastDays()))
            .append(" ago (an unknown start counts as long established)");
      }
      if (m.startedWithinDays() != null) {
        s.append(m.activeAtLeastDays() > 0 ? " and" : ",")
            .append(" started at most ")
            .append(days(m.startedWithinDays()))
            .append(" ago (a new start; an unknown start never counts as new)");
      }
      return s.toString();
    }
    DueTestRule.Trigger.Problem p = (DueTestRule.Trigger.Problem) trigger;
    return "a problem coded as "
        + conditionSets(p.conditionSets(), "or")
        + (p.recordedWithinDays() == null
            ? ", whenever recorded (a lasting condition)"
            : ", recorded within the last "
                + days(p.recordedWithinDays())
                + " (an active problem without a date counts as current)");
  }
}
