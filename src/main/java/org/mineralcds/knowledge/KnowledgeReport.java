package org.mineralcds.knowledge;

import static org.mineralcds.knowledge.ConditionText.days;
import static org.mineralcds.knowledge.ConditionText.hours;
import static org.mineralcds.knowledge.ConditionText.number;
import static org.mineralcds.knowledge.ConditionText.range;
import static org.mineralcds.knowledge.Markdown.code;
import static org.mineralcds.knowledge.Markdown.link;
import static org.mineralcds.knowledge.Markdown.ref;
import static org.mineralcds.knowledge.Markdown.text;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.AnalyteSpec;
import org.mineralcds.clinical.Limits;
import org.mineralcds.clinical.LoincEntry;
import org.mineralcds.clinical.UnitFactor;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.CalciumPolicy;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.PatternRule;
import org.mineralcds.rules.RuleSet;
import org.mineralcds.rules.TrendRule;
import org.mineralcds.rules.Wording;

/**
 * The clinical knowledge as one Markdown document a clinical reviewer reads rule by rule: every
 * analyte with its codes, units, default range and critical limits; every rule in evaluation order
 * with its inputs, thresholds, indicator, wording and sources; and appendices of drug classes,
 * condition sets, tests and sources. The output depends only on the knowledge (no timestamps, no
 * paths), so it can be committed and compared.
 *
 * <p>Also the {@code knowledge-report} command, and the build's entry point that writes
 * target/knowledge-report.md.
 */
public final class KnowledgeReport {

  /** The service whose packaged knowledge is reported by default. */
  public static final String DEFAULT_SERVICE = "mineral-balance";

  public static final String COMMAND = "java -jar target/mineral-cds.jar knowledge-report";

  static final String USAGE =
      """
      Usage: java -jar mineral-cds.jar knowledge-report [--out FILE] [--knowledge DIR]

      Writes the clinical knowledge (analytes, every rule in evaluation order, drug classes,
      condition sets, tests and sources) as one Markdown document for clinical review.

      Options:
        --out FILE        write the report to FILE (default: standard output)
        --knowledge DIR   read the knowledge files from DIR (hooks/mineral-balance, or a directory
                          holding mineral-balance/) instead of the copy packaged in the jar
        --help            this text

      Exit status: 0 written, 1 the knowledge files are invalid or FILE cannot be written,
      2 wrong usage.
      """;

  private static final String TOC_MARK = "\u0000contents\u0000";

  private final Knowledge knowledge;
  private final Markdown md = new Markdown();
  private final ConditionText words;

  private KnowledgeReport(Knowledge knowledge) {
    this.knowledge = knowledge;
    this.words = new ConditionText(knowledge);
  }

  /** The report for validated knowledge. */
  public static String render(Knowledge knowledge) {
    return new KnowledgeReport(knowledge).write();
  }

  private String write() {
    title();
    howToRead();
    md.heading(2, "Contents");
    md.raw(TOC_MARK);
    analytes();
    calciumPolicy();
    RuleSections rules = new RuleSections(knowledge, md, words);
    rules.write();
    new Appendices(knowledge, md, words, rules).write();
    return md.toString().replace(TOC_MARK, contents()).stripTrailing() + "\n";
  }

  // ---- title and introduction ---------------------------------------------------------------

  private void title() {
    ServiceDefinition service = knowledge.service();
    md.heading(1, "Clinical knowledge report: " + service.title());
    md.paragraph(
        "Service "
            + code(service.id())
            + " (CDS Hooks "
            + code(service.hook())
            + "). "
            + text(service.description()));
    md.paragraph(
        "Generated from "
            + code("hooks/" + service.id() + "/*.yaml")
            + " by "
            + code(COMMAND)
            + "; every build also writes it to "
            + code("target/knowledge-report.md")
            + ". Do not edit it by hand: change the YAML files and regenerate it.");
    RuleSet r = knowledge.rules();
    long monitoring =
        r.dueTests().stream()
            .filter(d -> d.trigger() instanceof DueTestRule.Trigger.Medication)
            .count();
    List<String> reviews =
        Stream.of(
                r.bands().stream().map(Band::review),
                r.patterns().stream().map(p -> p.band().review()),
                r.trends().stream().map(t -> t.band().review()),
                r.dueTests().stream().map(DueTestRule::review))
            .flatMap(s -> s)
            .toList();
    long reviewed = reviews.stream().filter("reviewed"::equals).count();
    md.paragraph(
        r.bands().size()
            + " single-analyte bands on "
            + r.rules().size()
            + " analytes, "
            + r.patterns().size()
            + " patterns, "
            + r.trends().size()
            + " trends, "
            + monitoring
            + " monitoring rules and "
            + (r.dueTests().size() - monitoring)
            + " work-up rules: "
            + reviews.size()
            + " rules, of which "
            + reviewed
            + " reviewed by a clinician and "
            + (reviews.size() - reviewed)
            + " still draft.");
  }

  private void howToRead() {
    md.heading(2, "How to read this report");
    String percent =
        Band.MANAGED_WORSENING.movePointRight(2).stripTrailingZeros().toPlainString() + "%";
    List<String> points =
        List.of(
            "Each rule has a heading with its id (the id cards and tests use) and a table: its"
                + " kind, card topic and indicator, its condition in words with every number and"
                + " unit, who it applies to, which drugs it names as causes, when it stays silent,"
                + " the card wording, the tests it suggests, its sources and its review status.",
            "Rules appear in evaluation order: single-analyte bands per analyte (the first band"
                + " that holds gives the analyte's card), then patterns over several analytes"
                + " (which replace the single-analyte cards they explain), then trends, then drug"
                + " monitoring (one card per family) and symptom work-ups (one shared card).",
            "Numbers are in the analyte's canonical unit (see Analytes); results reported in"
                + " another accepted unit are converted first, and results in an unknown unit are"
                + " ignored, never guessed.",
            "\"The range\" is the lab's referenceRange on the result, else the lab's L/H/N flag,"
                + " else the default adult range listed for the analyte. Critical means past the"
                + " configured critical limit, or flagged LL/HH (or AA, with the direction taken"
                + " from the range) by the lab.",
            "A censored value (\"<5\") satisfies a limit only when the whole censored interval"
                + " does.",
            "Children (under 18): default ranges and configured critical limits are never"
                + " applied, and numeric limits only in rules marked as applying at any age; a"
                + " lab's own range and flags always apply.",
            "Indicators: critical, warning, info. A second indicator \"when an active drug"
                + " ...\" applies when a current medication of a class listed under Drug effect"
                + " could explain the abnormality.",
            "Not repeated when managed: with the named problem coded, a card is not repeated"
                + " while the value stays in a band of the same topic at least as urgent and has"
                + " not moved more than "
                + percent
                + " further from normal. Never on critical rules.",
            "Summary placeholders: "
                + code("{value}")
                + " "
                + code("{unit}")
                + " "
                + code("{date}")
                + " "
                + code("{measure}")
                + " (which calcium) and "
                + code("{whileOn}")
                + " (the drugs that may explain it) are filled from the result; patterns also"
                + " name their other inputs (e.g. "
                + code("{pth}")
                + "), trends the earlier result ("
                + code("{" + Wording.PREVIOUS + "}")
                + "); monitoring and work-up summaries use "
                + String.join(
                    " ",
                    KnowledgeLoader.MONITORING_PLACEHOLDERS.stream()
                        .sorted()
                        .map(p -> code("{" + p + "}"))
                        .toList())
                + " and "
                + code("{problem}")
                + ".",
            "Review: " + code("draft") + " until a clinician signs the rule off.");
    md.paragraph(String.join("\n", points.stream().map(p -> "- " + p).toList()));
  }

  private String contents() {
    StringBuilder toc = new StringBuilder();
    List<String> inline = new ArrayList<>();
    for (Markdown.Heading h : md.headings()) {
      if (h.level() < 2 || h.text().equals("Contents")) {
        continue;
      }
      if (h.rule()) {
        inline.add(ref(h.text(), h.anchor()));
        continue;
      }
      flushInline(toc, inline);
      toc.append("  ".repeat(h.level() - 2)).append("- ").append(ref(h.text(), h.anchor()));
    }
    flushInline(toc, inline);
    return toc.append('\n').toString();
  }

  private static void flushInline(StringBuilder toc, List<String> inline) {
    if (!inline.isEmpty()) {
      toc.append(": ").append(String.join(", ", inline));
      inline.clear();
    }
    if (!toc.isEmpty()) {
      toc.append('\n');
    }
  }

  // ---- analytes -----------------------------------------------------------------------------

  private void analytes() {
    md.heading(2, "Analytes");
    md.paragraph(
        "The lab analytes the rules read, with the LOINC codes of each family (in priority order),"
            + " the canonical unit every number in the rules is written in, the accepted unit"
            + " spellings (matched ignoring case and spaces, µ read as u) with their factor to"
            + " the canonical unit, and the adult defaults used when the lab sends no range.");
    for (Analyte analyte : Analyte.values()) {
      AnalyteSpec spec = words.spec(analyte);
      md.heading(3, capitalised(spec.name()));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"Key", code(analyte.key())});
      rows.add(new String[] {"Canonical unit", text(spec.canonicalUnit())});
      rows.add(new String[] {"Accepted units", units(spec)});
      rows.add(new String[] {"Default adult range", defaultRange(spec)});
      rows.add(new String[] {"Critical limits", criticalLimits(spec)});
      rows.add(new String[] {"Borderline margins", borderline(spec)});
      rows.add(
          new String[] {
            "Hemolysis",
            spec.hemolysisRaises()
                ? "falsely raises it: a high value from a specimen marked hemolyzed is not trusted"
                    + " (only low-side conditions hold; kept out of trends)"
                : "not considered"
          });
      md.table("Field", "Value", rows);
      List<List<String>> codes = new ArrayList<>();
      for (LoincEntry e : knowledge.labs().entries()) {
        if (e.analyte() == analyte) {
          codes.add(
              List.of(
                  code(e.code()),
                  text(e.display()),
                  e.unitWhenMissing() == null ? "—" : text(e.unitWhenMissing())));
        }
      }
      md.table(List.of("LOINC", "Display", "Unit assumed when a result has none"), codes);
    }
  }

  private static String units(AnalyteSpec spec) {
    return String.join(
        ", ",
        spec.units().entrySet().stream()
            .sorted(Map.Entry.comparingByKey())
            .map(e -> code(e.getKey()) + " " + factor(e.getValue()))
            .toList());
  }

  static String factor(UnitFactor f) {
    boolean multiplies = f.multiplier().compareTo(BigDecimal.ONE) != 0;
    boolean divides = f.divisor().compareTo(BigDecimal.ONE) != 0;
    if (divides && !multiplies) {
      return "÷ " + number(f.divisor());
    }
    return "× " + number(f.multiplier()) + (divides ? " ÷ " + number(f.divisor()) : "");
  }

  private String defaultRange(AnalyteSpec spec) {
    Limits d = spec.defaultRange();
    if (d == null) {
      return "none: only the lab's own range or flag is used";
    }
    return text(range(d, spec.canonicalUnit())) + sourceOf(d.source());
  }

  private String borderline(AnalyteSpec spec) {
    Limits b = spec.borderline();
    if (b == null) {
      return "none: a value outside the default range is outside it";
    }
    String unit = spec.canonicalUnit();
    List<String> sides = new ArrayList<>();
    if (b.low() != null) {
      sides.add("up to " + number(b.low()) + " " + unit + " below its low limit");
    }
    if (b.high() != null) {
      sides.add("up to " + number(b.high()) + " " + unit + " above its high limit");
    }
    return text(
            "a value judged against the default range (the lab sent no range or flag) "
                + String.join(" or ", sides)
                + " is read as within range: laboratories' own limits differ by that much")
        + sourceOf(b.source());
  }

  private String criticalLimits(AnalyteSpec spec) {
    Limits c = spec.criticalLimits();
    if (c == null) {
      return "none configured: only the lab's LL/HH/AA flags";
    }
    List<String> sides = new ArrayList<>();
    if (c.low() != null) {
      sides.add("below " + number(c.low()));
    }
    if (c.high() != null) {
      sides.add("above " + number(c.high()));
    }
    return String.join(" or ", sides)
        + " "
        + text(spec.canonicalUnit())
        + " (adults; the lab's LL/HH/AA flags count too)"
        + sourceOf(c.source());
  }

  private String sourceOf(String key) {
    Citation c = key == null ? null : knowledge.rules().citations().get(key);
    return c == null ? "" : "; source: " + link(c.title(), c.url());
  }

  private void calciumPolicy() {
    String anchor = md.heading(3, "How calcium is judged");
    if (!anchor.equals(ConditionText.CALCIUM_ANCHOR)) {
      throw new IllegalStateException("calcium heading anchor is " + anchor);
    }
    CalciumPolicy p = knowledge.rules().calcium();
    String mgdl = text(words.spec(Analyte.CALCIUM_TOTAL).canonicalUnit());
    String albumin = text(words.spec(Analyte.ALBUMIN).canonicalUnit());
    List<String> steps =
        List.of(
            "1. Ionized calcium, when its latest result was collected within the last "
                + days(p.preferIonizedWithinDays())
                + " and at the same draw as, or after, the latest total calcium; or whenever there"
                + " is no total calcium.",
            "2. Else total calcium corrected for albumin (Payne), when an albumin collected within "
                + hours(p.albuminWithinHours())
                + " of the total calcium is below "
                + number(p.correctWhenAlbuminBelow())
                + " "
                + albumin
                + ": corrected calcium = total calcium + "
                + number(p.factorPerGramPerDeciliter())
                + " × ("
                + number(p.referenceAlbumin())
                + " − albumin in "
                + albumin
                + "), in "
                + mgdl
                + ".",
            "3. Else total calcium as measured.");
    md.paragraph(
        "Rules on "
            + code("calcium")
            + " (and pattern inputs named "
            + code("calcium")
            + ") read one calcium value:");
    md.paragraph(String.join("\n", steps));
    List<String> sources = new ArrayList<>();
    if (p.source() != null) {
      sources.add("Source: " + link(p.source().title(), p.source().url()) + ".");
    }
    if (p.caveatSource() != null) {
      sources.add("Caveat: " + link(p.caveatSource().title(), p.caveatSource().url()) + ".");
    }
    if (!sources.isEmpty()) {
      md.paragraph(String.join(" ", sources));
    }
  }

  /** "Potassium"; names that start "eGFR" or "25-..." are left as they are. */
  static String capitalised(String name) {
    if (name.isEmpty()
        || !Character.isLowerCase(name.charAt(0))
        || (name.length() > 1 && Character.isUpperCase(name.charAt(1)))) {
      return name;
    }
    return name.substring(0, 1).toUpperCase(Locale.ROOT) + name.substring(1);
  }

  // ---- the command --------------------------------------------------------------------------

  /** The build's entry point (exec:java): never calls System.exit, which would stop Maven. */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      throw new IllegalStateException("knowledge-report failed with exit status " + status);
    }
  }

  /** Runs {@code knowledge-report}; returns the process exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path outFile = null;
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h" -> {
          out.print(USAGE);
          return 0;
        }
        case "--out", "--knowledge" -> {
          if (i + 1 >= args.length || args[i + 1].isBlank()) {
            err.println(args[i] + " needs a value.\n\n" + USAGE);
            return 2;
          }
          Path value = Path.of(args[++i]);
          if (args[i - 1].equals("--out")) {
            outFile = value;
          } else {
            dir = value;
          }
        }
        default -> {
          err.println("Unknown option " + args[i] + ".\n\n" + USAGE);
          return 2;
        }
      }
    }
    if (dir != null && !Files.isDirectory(dir)) {
      err.println("--knowledge: " + dir + " is not a directory.");
      return 2;
    }
    String report;
    try {
      report = render(load(dir));
    } catch (KnowledgeException e) {
      err.println(e.getMessage());
      return 1;
    }
    return output(report, outFile, out, err);
  }

  private static Knowledge load(Path dir) {
    if (dir == null) {
      return KnowledgeLoader.fromClasspath(DEFAULT_SERVICE);
    }
    Path nested = dir.resolve(DEFAULT_SERVICE);
    return KnowledgeLoader.fromDirectory(
        !Files.exists(dir.resolve("rules.yaml")) && Files.isDirectory(nested) ? nested : dir);
  }

  private static int output(String report, Path outFile, PrintStream out, PrintStream err) {
    byte[] bytes = report.getBytes(StandardCharsets.UTF_8);
    if (outFile == null) {
      out.write(bytes, 0, bytes.length);
      out.flush();
      return 0;
    }
    try {
      Path parent = outFile.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.write(outFile, bytes);
    } catch (IOException e) {
      err.println("cannot write " + outFile + ": " + e.getMessage());
      return 1;
    }
    out.println("knowledge report written to " + outFile);
    return 0;
  }

  /** Every rule id of every kind: bands, patterns, trends, monitoring and work-up rules. */
  static List<String> ruleIds(RuleSet rules) {
    return Stream.of(
            rules.bands().stream().map(Band::id),
            rules.patterns().stream().map(PatternRule::band).map(Band::id),
            rules.trends().stream().map(TrendRule::band).map(Band::id),
            rules.dueTests().stream().map(DueTestRule::id))
        .flatMap(s -> s)
        .toList();
  }

  /** Every rule id with a page: the patient-view rules, then the prescribing-time rules. */
  static List<String> ruleIds(Knowledge knowledge) {
    List<String> ids = new ArrayList<>(ruleIds(knowledge.rules()));
    if (knowledge.prescribing() != null) {
      knowledge.prescribing().rules().all().forEach(r -> ids.add(r.id()));
    }
    return ids;
  }
}
