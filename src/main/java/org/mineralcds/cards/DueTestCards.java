package org.mineralcds.cards;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.mineralcds.clinical.ConditionRecord;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Coding;
import org.mineralcds.hook.Source;
import org.mineralcds.hook.Suggestion;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.DueTestsFinding;
import org.mineralcds.rules.DueTestsFinding.MissingTest;
import org.mineralcds.rules.DueTestsFinding.TriggeringMedication;
import org.mineralcds.rules.SuggestedTest;
import org.mineralcds.rules.Wording;

/**
 * Cards for tests due (drug monitoring, symptom work-ups). They have no triggering value, so the
 * card leads with what made the tests due (the drug and since when, or the coded problem) and lists
 * each missing test with its window and the last result on file.
 */
final class DueTestCards {

  private final LabCatalog labs;

  DueTestCards(LabCatalog labs) {
    this.labs = labs;
  }

  Card card(DueTestsFinding f, String patientId, String hookInstance, String baseUrl) {
    List<SuggestedTest> tests =
        f.missing().stream()
            .map(m -> new SuggestedTest(m.test(), m.reasonReference(), m.reasonDisplay()))
            .toList();
    List<Suggestion> suggestions = CardRenderer.orderTests(tests, f.key(), patientId, hookInstance);
    Set<Citation> evidence = new LinkedHashSet<>();
    f.rules().forEach(r -> evidence.addAll(r.sources()));
    return new Card(
        CardRenderer.uuid(hookInstance, "card", f.key()),
        summary(f),
        detail(f),
        f.indicator().code(),
        new Source(
            CardRenderer.SOURCE_LABEL,
            CardRenderer.rulePage(baseUrl, f.lead().id()),
            null,
            new Coding(CardRenderer.TOPIC_SYSTEM, f.topic(), null)),
        suggestions,
        CardRenderer.selectionBehavior(suggestions),
        CardRenderer.OVERRIDE_REASONS,
        CardRenderer.links(List.copyOf(evidence)),
        Map.of(CardRenderer.RULES_EXTENSION, f.rules().stream().map(DueTestRule::id).toList()));
  }

  /** For the additional-findings card: "monitoring overdue for lithium: TSH, calcium". */
  static String shortName(DueTestsFinding f) {
    String tests = Wording.list(f.missing().stream().map(m -> m.test().label()).toList());
    if (!f.medications().isEmpty()) {
      return "monitoring due for "
          + f.medications().get(0).ingredient().name()
          + " ("
          + tests
          + ")";
    }
    String problem = problemName(f);
    return "work-up due" + (problem.isEmpty() ? "" : " for " + problem) + " (" + tests + ")";
  }

  // ---- summary ------------------------------------------------------------------------------

  String summary(DueTestsFinding f) {
    List<String> labels = f.missing().stream().map(m -> m.test().label()).toList();
    MissingTest first =
        f.missing().stream()
            .filter(m -> m.ruleId().equals(f.lead().id()))
            .findFirst()
            .orElse(f.missing().get(0));
    Map<String, String> values = new HashMap<>();
    values.put("missing", Wording.list(labels));
    values.put("window", window(first.windowDays()));
    values.put("drug", f.medications().isEmpty() ? "" : f.medications().get(0).ingredient().name());
    values.put("days", f.medications().isEmpty() ? "" : daysSinceStart(f.medications().get(0)));
    values.put("problem", problemName(f));
    String summary = capitalise(Wording.fill(f.lead().summary(), values));
    if (summary.length() > Wording.MAX_SUMMARY_LENGTH) {
      values.put("missing", labels.size() + " tests");
      summary = capitalise(Wording.fill(f.lead().summary(), values));
    }
    if (summary.length() > Wording.MAX_SUMMARY_LENGTH) {
      summary = summary.substring(0, Wording.MAX_SUMMARY_LENGTH - 1) + "…";
    }
    return summary;
  }

  private static String daysSinceStart(TriggeringMedication m) {
    return m.daysTaken() == null ? "?" : String.valueOf(m.daysTaken());
  }

  private static String problemName(DueTestsFinding f) {
    if (!(f.lead().trigger() instanceof DueTestRule.Trigger.Problem trigger)) {
      return "";
    }
    return f.problems().stream()
        .flatMap(c -> c.sets().stream())
        .filter(s -> trigger.conditionSets().contains(s.id()))
        .map(ConditionSet::name)
        .findFirst()
        .orElse("");
  }

  static String window(int days) {
    return Wording.period(days);
  }

  private static String capitalise(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  // ---- detail -------------------------------------------------------------------------------

  String detail(DueTestsFinding f) {
    StringBuilder md = new StringBuilder();
    if (!f.medications().isEmpty()) {
      md.append("**Taking:** ")
          .append(
              f.medications().stream()
                  .map(DueTestCards::describe)
                  .collect(Collectors.joining("; ")))
          .append(".\n\n");
    }
    if (!f.problems().isEmpty()) {
      md.append("**Recorded:** ")
          .append(
              f.problems().stream()
                  .map(DueTestCards::describe)
                  .distinct()
                  .collect(Collectors.joining("; ")))
          .append(".\n\n");
    }
    if (!f.reasons().isEmpty()) {
      md.append("**Applies because:** ").append(String.join("; ", f.reasons())).append(".\n\n");
    }
    md.append("**Due:**\n");
    for (MissingTest m : f.missing()) {
      md.append("- ").append(capitalise(m.test().label())).append(": ");
      // Say what was looked at: older results may exist beyond the period fetched.
      md.append(
          m.sinceStart()
              ? "none since the drug was started"
              : "none in the last " + window(m.windowDays()));
      if (m.shortened()) {
        md.append(" (the shorter interval for this patient's risk factors)");
      }
      if (m.lastResult() != null) {
        md.append("; last ").append(last(m.lastResult()));
      }
      md.append(".\n");
    }
    md.append("\n");
    Set<String> meanings = new LinkedHashSet<>();
    f.rules().forEach(r -> meanings.add(r.meaning()));
    meanings.forEach(m -> md.append(m).append("\n\n"));
    md.append("**What to do:** ").append(f.lead().action());
    md.append(" Suggested: ")
        .append(f.missing().stream().map(m -> m.test().label()).collect(Collectors.joining(", ")))
        .append(" (not resulted in their windows and not already ordered).\n\n");
    Set<Citation> evidence = new LinkedHashSet<>();
    f.rules().forEach(r -> evidence.addAll(r.sources()));
    md.append("**Evidence:** ")
        .append(
            evidence.stream()
                .map(c -> "[" + c.title() + "](" + c.url() + ")")
                .collect(Collectors.joining("; ")))
        .append(".");
    return md.toString();
  }

  private static String describe(TriggeringMedication m) {
    String name = m.medication().description();
    String text =
        (name == null ? m.ingredient().name() : name)
            + " ("
            + m.ingredient().drugClass().name()
            + ")";
    if (m.start() == null) {
      return text + ", start date not recorded";
    }
    String taken = m.daysTaken() < 1 ? "today" : window(m.daysTaken().intValue());
    if (m.medication().startAtLeast()) {
      // The first order on file of a course the order history read may not reach the start of.
      return text
          + ", since at least "
          + LocalDate.ofInstant(m.start(), ZoneOffset.UTC)
          + " ("
          + taken
          + " or more)";
    }
    return text + ", since " + LocalDate.ofInstant(m.start(), ZoneOffset.UTC) + " (" + taken + ")";
  }

  private static String describe(ConditionRecord c) {
    String text = CardRenderer.describe(c);
    return c.recorded() == null
        ? text
        : text + " on " + LocalDate.ofInstant(c.recorded(), ZoneOffset.UTC);
  }

  private String last(LabResult r) {
    List<String> parts = new ArrayList<>();
    parts.add(labs.spec(r.analyte()).name());
    parts.add(r.reportedValue() == null ? r.value().value().toPlainString() : r.reportedValue());
    if (r.reportedUnit() != null) {
      parts.add(r.reportedUnit());
    }
    return String.join(" ", parts) + " on " + LocalDate.ofInstant(r.effective(), ZoneOffset.UTC);
  }
}
