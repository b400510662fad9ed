package org.mineralcds.knowledge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.ConditionSet;
import org.mineralcds.clinical.Direction;
import org.mineralcds.clinical.DrugClass;
import org.mineralcds.clinical.Limits;
import org.mineralcds.rules.AnalyteRule;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.Circumstances;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.PatternRule;
import org.mineralcds.rules.RuleAnalyte;
import org.mineralcds.rules.Suggest;
import org.mineralcds.rules.TestSpec;
import org.mineralcds.rules.Threshold;
import org.mineralcds.rules.TrendRule;
import org.mineralcds.rules.When;

/**
 * The knowledge report: the committed copy in docs/ is current, every rule, source and threshold is
 * in it, its Markdown is well formed, and the knowledge-report command works.
 */
class KnowledgeReportTest {

  private static final Path PACKAGED = Path.of("hooks/mineral-balance");
  private static final Path COMMITTED = Path.of("docs/knowledge-report.md");
  static final String UPDATE_COMMAND =
      "mvn -B test -Dtest=KnowledgeReportTest -Dreport.update=true";

  private static Knowledge knowledge;
  private static String report;

  @TempDir Path dir;

  @BeforeAll
  static void render() {
    knowledge = KnowledgeLoader.fromDirectory(PACKAGED);
    report = KnowledgeReport.render(knowledge);
  }

  // ---- the committed copy -------------------------------------------------------------------

  @Test
  void theCommittedReportIsCurrent() throws IOException {
    if (Boolean.getBoolean("report.update")) {
      Files.createDirectories(COMMITTED.getParent());
      Files.writeString(COMMITTED, report, StandardCharsets.UTF_8);
      return;
    }
    String committed =
        Files.exists(COMMITTED)
            ? Files.readString(COMMITTED, StandardCharsets.UTF_8).replace("\r\n", "\n")
            : "";
    if (!committed.equals(report)) {
      fail(
          "docs/knowledge-report.md is out of date: run "
              + UPDATE_COMMAND
              + "\n"
              + firstDifference(committed, report));
    }
  }

  @Test
  void theReportIsTheSameForTheSameKnowledge() {
    assertThat(KnowledgeReport.render(KnowledgeLoader.fromClasspath("mineral-balance")))
        .isEqualTo(report);
    assertThat(report).doesNotContain("\u0000").doesNotContain("\r").endsWith("|\n");
  }

  // ---- completeness -------------------------------------------------------------------------

  @Test
  void everyRuleOfEveryKindHasAHeading() {
    List<String> ids = KnowledgeReport.ruleIds(knowledge.rules());
    assertThat(ids)
        .hasSize(
            knowledge.rules().bands().size()
                + knowledge.rules().patterns().size()
                + knowledge.rules().trends().size()
                + knowledge.rules().dueTests().size());
    Set<String> headings = new HashSet<>();
    for (String line : report.lines().toList()) {
      Matcher m = Pattern.compile("^#{3,4} (\\S+)$").matcher(line);
      if (m.matches()) {
        headings.add(m.group(1));
      }
    }
    assertThat(headings).containsAll(ids);
  }

  @Test
  void everySourceARuleCitesAppearsWithItsUrlInTheRulesSection() {
    for (Band band : allBands()) {
      assertSources(band.id(), band.sources());
    }
    for (DueTestRule rule : knowledge.rules().dueTests()) {
      assertSources(rule.id(), rule.sources());
    }
    for (Citation c : knowledge.rules().citations().values()) {
      assertThat(report).contains(Markdown.link(c.title(), c.url()));
    }
  }

  private void assertSources(String id, List<Citation> sources) {
    String section = section(id);
    for (Citation c : sources) {
      assertThat(section).as(id + " cites " + c.key()).contains("(" + c.url() + ")");
      assertThat(section).as(id + " cites " + c.key()).contains(Markdown.text(c.title()));
    }
  }

  @Test
  void everyNumberOfEveryRuleAppearsInItsSection() {
    for (AnalyteRule rule : knowledge.rules().rules()) {
      for (Band band : rule.bands()) {
        List<BigDecimal> numbers = bandNumbers(band);
        numbers.addAll(conditionNumbers(rule.analyte(), band.when()));
        assertNumbers(band.id(), numbers);
      }
    }
    for (PatternRule p : knowledge.rules().patterns()) {
      List<BigDecimal> numbers = bandNumbers(p.band());
      numbers.addAll(conditionNumbers(p.primary(), p.band().when()));
      p.others().forEach((analyte, when) -> numbers.addAll(conditionNumbers(analyte, when)));
      if (!p.others().isEmpty()) {
        numbers.add(BigDecimal.valueOf(p.withinDays()));
      }
      if (p.minDrugClasses() > 1) {
        numbers.add(BigDecimal.valueOf(p.minDrugClasses()));
      }
      assertNumbers(p.band().id(), numbers);
    }
    for (TrendRule t : knowledge.rules().trends()) {
      List<BigDecimal> numbers = bandNumbers(t.band());
      numbers.add(t.minChange());
      numbers.add(BigDecimal.valueOf(t.withinHours()));
      assertNumbers(t.band().id(), numbers);
    }
    for (DueTestRule r : knowledge.rules().dueTests()) {
      assertNumbers(r.id(), dueTestNumbers(r));
    }
  }

  @Test
  void sampleRulesReadInPlainWordsWithTheirNumbersAndUnits() {
    Band withRangeAndLimit =
        knowledge.rules().rules().stream()
            .filter(r -> r.analyte() instanceof RuleAnalyte.Single)
            .flatMap(r -> r.bands().stream())
            .filter(b -> b.when().below() instanceof Threshold.Range)
            .filter(b -> b.when().atLeast() instanceof Threshold.Value)
            .findFirst()
            .orElseThrow();
    AnalyteRule rule =
        knowledge.rules().rules().stream()
            .filter(r -> r.bands().contains(withRangeAndLimit))
            .findFirst()
            .orElseThrow();
    var spec = knowledge.labs().spec(((RuleAnalyte.Single) rule.analyte()).analyte());
    Limits d = spec.defaultRange();
    assertThat(section(withRangeAndLimit.id()))
        .contains(
            "the latest "
                + spec.name()
                + ", collected within the last "
                + withRangeAndLimit.lookbackDays()
                + " days, is below the range (the lab's referenceRange, else the lab's L flag,"
                + " else the adult default "
                + d.low().toPlainString()
                + "–"
                + d.high().toPlainString()
                + " "
                + spec.canonicalUnit()
                + ") and at least "
                + ((Threshold.Value) withRangeAndLimit.when().atLeast()).limit().toPlainString()
                + " "
                + spec.canonicalUnit());

    List<Band> trends = knowledge.rules().trends().stream().map(TrendRule::band).toList();
    for (Band band : allBands()) {
      String section = section(band.id());
      assertThat(section).contains("| Topic | `" + band.topic() + "` |");
      assertThat(section).contains("| Indicator | `" + band.indicator().code() + "`");
      if (band.indicatorWithDrug() != null && !trends.contains(band)) {
        assertThat(section).contains("`" + band.indicatorWithDrug().code() + "` when");
      }
      assertThat(section).contains(Markdown.text(band.summary()));
      band.managedWhenCoded().forEach(c -> assertThat(section).contains("`" + c + "`"));
      band.requiresConditions().forEach(c -> assertThat(section).contains("`" + c + "`"));
      if (band.rationale() != null) {
        assertThat(section).contains("| Rationale |").contains(Markdown.text(band.rationale()));
      }
      for (Suggest s : band.suggest()) {
        assertThat(section).contains("`" + s.test().loinc() + "`");
      }
    }
    for (PatternRule p : knowledge.rules().patterns()) {
      String section = section(p.band().id());
      p.replaces().forEach(t -> assertThat(section).contains("Replaces").contains("`" + t + "`"));
      p.yieldsTo().forEach(t -> assertThat(section).contains("Yields to").contains("`" + t + "`"));
      p.requiresDrugClasses().forEach(c -> assertThat(section).contains("`" + c + "`"));
    }
    for (DueTestRule r : knowledge.rules().dueTests()) {
      String section = section(r.id());
      assertThat(section).contains("| Rationale |").contains(Markdown.text(r.rationale()));
      r.tests().forEach(t -> assertThat(section).contains("`" + t.test().loinc() + "`"));
      if (r.escalatedIndicator() != null) {
        assertThat(section).contains("`" + r.escalatedIndicator().code() + "` when");
      }
    }
  }

  @Test
  void theAppendicesListEveryDrugClassConditionSetTestAndAnalyteCode() {
    for (DrugClass c : knowledge.drugs().classes()) {
      assertThat(report).contains("`" + c.id() + "`");
    }
    knowledge
        .drugs()
        .ingredients()
        .forEach(
            i -> {
              if (i.rxnorm() != null) {
                assertThat(report).contains("`" + i.rxnorm() + "`");
              }
            });
    for (ConditionSet s : knowledge.conditions().sets()) {
      assertThat(report).contains("| `" + s.id() + "` |");
      s.icd10cmPrefixes().forEach(p -> assertThat(report).contains("`" + p + "`"));
      s.snomedCodes().forEach(p -> assertThat(report).contains("`" + p + "`"));
    }
    for (TestSpec t : knowledge.rules().tests().values()) {
      assertThat(report).contains("| `" + t.id() + "` |");
    }
    knowledge.labs().entries().forEach(e -> assertThat(report).contains("| `" + e.code() + "` |"));
  }

  // ---- well-formed Markdown -----------------------------------------------------------------

  @Test
  void everyInternalLinkLeadsToAHeading() {
    Set<String> anchors = new HashSet<>();
    Markdown slugs = new Markdown();
    for (String line : report.lines().toList()) {
      Matcher m = Pattern.compile("^#{1,6} (.+)$").matcher(line);
      if (m.matches()) {
        anchors.add(slugs.anchor(m.group(1).replace("\\", "")));
      }
    }
    Matcher link = Pattern.compile("\\]\\(#([^)]+)\\)").matcher(report);
    int links = 0;
    while (link.find()) {
      links++;
      assertThat(anchors).as("link target #" + link.group(1)).contains(link.group(1));
    }
    assertThat(links).isGreaterThan(KnowledgeReport.ruleIds(knowledge.rules()).size());
  }

  @Test
  void everyTableRowHasAsManyCellsAsItsHeader() {
    int columns = -1;
    for (String line : report.lines().toList()) {
      if (!line.startsWith("|")) {
        columns = -1;
        continue;
      }
      int cells = line.replace("\\|", "").split("\\|", -1).length - 2;
      if (columns < 0) {
        columns = cells;
      }
      assertThat(cells).as(line).isEqualTo(columns);
    }
  }

  @Test
  void dataTextIsEscapedForMarkdownAndTables() {
    assertThat(Markdown.text("a|b <i>x</i> *y* _z_ snake_case [l](u) `c` 5 & 6\nnext"))
        .isEqualTo(
            "a\\|b &lt;i&gt;x&lt;/i&gt; \\*y\\* \\_z\\_ snake_case \\[l\\](u) \\`c\\` 5 &amp; 6"
                + " next");
    assertThat(Markdown.code("a|b")).isEqualTo("`a\\|b`");
    assertThat(Markdown.link("T (x)", "https://e.org/a b(c)"))
        .isEqualTo("[T (x)](https://e.org/a%20b%28c%29)");
    assertThat(Markdown.slug("Appendix A: Drug classes")).isEqualTo("appendix-a-drug-classes");
  }

  // ---- the command --------------------------------------------------------------------------

  @Test
  void usageErrorsExitWithTwo() {
    Run unknown = run("--bogus");
    assertThat(unknown.status).isEqualTo(2);
    assertThat(unknown.err).contains("Unknown option --bogus").contains("Usage:");
    assertThat(unknown.out).isEmpty();

    Run missingValue = run("--out");
    assertThat(missingValue.status).isEqualTo(2);
    assertThat(missingValue.err).contains("--out needs a value");

    Run notADirectory = run("--knowledge", dir.resolve("missing").toString());
    assertThat(notADirectory.status).isEqualTo(2);
    assertThat(notADirectory.err).contains("is not a directory");

    Run help = run("--help");
    assertThat(help.status).isZero();
    assertThat(help.out).contains("knowledge-report [--out FILE] [--knowledge DIR]");
  }

  @Test
  void outWritesTheReportToTheFile() throws IOException {
    Path out = dir.resolve("nested/report.md");
    Run written = run("--out", out.toString(), "--knowledge", PACKAGED.toString());
    assertThat(written.status).as(written.err).isZero();
    assertThat(Files.readString(out, StandardCharsets.UTF_8)).isEqualTo(report);
    assertThat(written.out).contains(out.toString());
  }

  @Test
  void withoutOutTheReportGoesToStandardOutput() {
    // The packaged copy by default, and a directory holding mineral-balance/ as for the server.
    assertThat(run().out).isEqualTo(report);
    assertThat(run("--knowledge", PACKAGED.getParent().toString()).out).isEqualTo(report);
  }

  @Test
  void invalidKnowledgeExitsWithOneNamingTheProblem() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(PACKAGED, "*.yaml")) {
      for (Path file : files) {
        Files.copy(file, dir.resolve(file.getFileName().toString()));
      }
    }
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(
        rules, Files.readString(rules).replaceFirst("indicator: critical", "indicator: urgent"));

    Run invalid = run("--knowledge", dir.toString(), "--out", dir.resolve("r.md").toString());

    assertThat(invalid.status).isEqualTo(1);
    assertThat(invalid.err).contains("invalid knowledge files").contains("urgent");
    assertThat(dir.resolve("r.md")).doesNotExist();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        KnowledgeReport.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static List<Band> allBands() {
    return Stream.of(
            knowledge.rules().bands().stream(),
            knowledge.rules().patterns().stream().map(PatternRule::band),
            knowledge.rules().trends().stream().map(TrendRule::band))
        .flatMap(s -> s)
        .toList();
  }

  /** The text under a rule's heading, up to the next heading. */
  private static String section(String id) {
    Matcher m = Pattern.compile("(?m)^#{3,4} " + Pattern.quote(id) + "$").matcher(report);
    assertThat(m.find()).as("heading of " + id).isTrue();
    int next = report.indexOf("\n#", m.end());
    return report.substring(m.end(), next < 0 ? report.length() : next);
  }

  private static void assertNumbers(String id, List<BigDecimal> numbers) {
    String section = section(id);
    for (BigDecimal n : numbers) {
      Pattern number =
          Pattern.compile("(?<![\\d.])" + Pattern.quote(n.toPlainString()) + "(?![\\d])");
      assertThat(number.matcher(section).find())
          .as(id + " shows " + n.toPlainString() + " in:\n" + section)
          .isTrue();
    }
  }

  private static List<BigDecimal> bandNumbers(Band band) {
    List<BigDecimal> numbers = new ArrayList<>();
    numbers.add(BigDecimal.valueOf(band.lookbackDays()));
    band.suggest().forEach(s -> numbers.add(BigDecimal.valueOf(s.notWithinDays())));
    return numbers;
  }

  /** Every number a condition depends on: limits, and the default range or critical limits. */
  private static List<BigDecimal> conditionNumbers(RuleAnalyte analyte, When w) {
    List<BigDecimal> numbers = new ArrayList<>();
    if (w == null) {
      return numbers;
    }
    List<Analyte> analytes =
        analyte instanceof RuleAnalyte.Single s
            ? List.of(s.analyte())
            : List.of(Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_IONIZED);
    for (Threshold t :
        Stream.of(w.below(), w.above(), w.atLeast(), w.atMost(), w.notAbove(), w.notBelow())
            .filter(t -> t != null)
            .toList()) {
      if (t instanceof Threshold.Value v) {
        numbers.add(v.limit());
      } else if (t instanceof Threshold.UpperLimitMultiple m) {
        numbers.add(m.factor());
      } else {
        analytes.forEach(a -> addLimits(numbers, knowledge.labs().spec(a).defaultRange()));
      }
    }
    if (w.critical() != null) {
      for (Analyte a : analytes) {
        Limits critical = knowledge.labs().spec(a).criticalLimits();
        BigDecimal limit =
            critical == null
                ? null
                : w.critical() == Direction.LOW ? critical.low() : critical.high();
        if (limit != null) {
          numbers.add(limit);
        }
      }
    }
    if (w.companion() != null) {
      numbers.add(BigDecimal.valueOf(w.companion().withinDays()));
      addLimits(numbers, knowledge.labs().spec(w.companion().analyte()).defaultRange());
    }
    return numbers;
  }

  private static void addLimits(List<BigDecimal> numbers, Limits limits) {
    if (limits != null) {
      Stream.of(limits.low(), limits.high()).filter(n -> n != null).forEach(numbers::add);
    }
  }

  private static List<BigDecimal> dueTestNumbers(DueTestRule r) {
    List<BigDecimal> numbers = new ArrayList<>();
    if (r.trigger() instanceof DueTestRule.Trigger.Medication m) {
      if (m.activeAtLeastDays() > 0) {
        numbers.add(BigDecimal.valueOf(m.activeAtLeastDays()));
      }
      addIfPresent(numbers, m.startedWithinDays());
    } else if (r.trigger() instanceof DueTestRule.Trigger.Problem p) {
      addIfPresent(numbers, p.recordedWithinDays());
    }
    circumstanceNumbers(numbers, r.requires());
    circumstanceNumbers(numbers, r.escalateWhen());
    for (DueTestRule.DueTest t : r.tests()) {
      numbers.add(BigDecimal.valueOf(t.withinDays()));
      addIfPresent(numbers, t.shorterWithinDays());
      addIfPresent(numbers, t.activeAtLeastDays());
      circumstanceNumbers(numbers, t.shorterWhen());
      circumstanceNumbers(numbers, t.onlyWhen());
    }
    return numbers;
  }

  private static void circumstanceNumbers(List<BigDecimal> numbers, Circumstances c) {
    if (c != null) {
      if (c.egfrBelow() != null) {
        numbers.add(c.egfrBelow());
      }
      addIfPresent(numbers, c.ageAtLeast());
    }
  }

  private static void addIfPresent(List<BigDecimal> numbers, Integer n) {
    if (n != null) {
      numbers.add(BigDecimal.valueOf(n));
    }
  }

  private static String firstDifference(String committed, String current) {
    List<String> a = committed.lines().toList();
    List<String> b = current.lines().toList();
    for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
      String was = i < a.size() ? a.get(i) : "<end of file>";
      String now = i < b.size() ? b.get(i) : "<end of file>";
      if (!was.equals(now)) {
        return "first difference at line "
            + (i + 1)
            + ":\n  committed: "
            + was
            + "\n  generated: "
            + now;
      }
    }
    return "the files differ in line endings or the final newline";
  }
}
