package org.mineralcds.knowledge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.clinical.LoincEntry;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.DueTestRule;
import org.mineralcds.rules.PatternRule;
import org.mineralcds.rules.TestSpec;
import org.mineralcds.rules.TrendRule;

/** The packaged knowledge loads; broken knowledge is rejected naming the rule and the field. */
class KnowledgeLoaderTest {

  private static final Path PACKAGED = Path.of("hooks/mineral-balance");

  @TempDir Path dir;

  @BeforeEach
  void copyPackagedKnowledge() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(PACKAGED, "*.yaml")) {
      for (Path file : files) {
        Files.copy(file, dir.resolve(file.getFileName().toString()));
      }
    }
  }

  // ---- the packaged data -------------------------------------------------------------------

  @Test
  void packagedKnowledgeLoadsFromTheDirectoryAndTheClasspath() throws IOException {
    Knowledge fromDirectory = KnowledgeLoader.fromDirectory(PACKAGED);
    Knowledge fromClasspath = KnowledgeLoader.fromClasspath("mineral-balance");

    assertThat(fromDirectory.service().id()).isEqualTo("mineral-balance");
    assertThat(fromDirectory.service().hook()).isEqualTo("patient-view");
    List<String> ids =
        Stream.of(
                fromDirectory.rules().bands().stream(),
                fromDirectory.rules().patterns().stream().map(PatternRule::band),
                fromDirectory.rules().trends().stream().map(TrendRule::band))
            .flatMap(b -> b)
            .map(Band::id)
            .toList();
    long bandsInFile =
        Files.readString(PACKAGED.resolve("rules.yaml"))
            .lines()
            .filter(l -> l.trim().startsWith("- id: "))
            .count();
    assertThat(ids.size() + fromDirectory.rules().links().size()).isEqualTo((int) bandsInFile);
    assertThat(ids).doesNotHaveDuplicates();
    assertThat(ids)
        .contains(
            "potassium-critical-low",
            "magnesium-low",
            "calcium-high-marked",
            "pth-high",
            "vitamin-d-deficient",
            "hypothyroidism-pattern");
    assertThat(
            Stream.of(
                    fromClasspath.rules().bands().stream(),
                    fromClasspath.rules().patterns().stream().map(PatternRule::band),
                    fromClasspath.rules().trends().stream().map(TrendRule::band))
                .flatMap(b -> b)
                .map(Band::id)
                .toList())
        .isEqualTo(ids);
    assertThat(fromDirectory.rules().rules())
        .allSatisfy(rule -> assertThat(rule.bands()).isNotEmpty());
  }

  @Test
  void copiedKnowledgeLoadsUnchanged() {
    // Guards the corruption tests below: the copy itself must be valid.
    assertThat(KnowledgeLoader.fromDirectory(dir).rules().bands())
        .extracting(Band::id)
        .isEqualTo(
            KnowledgeLoader.fromDirectory(PACKAGED).rules().bands().stream()
                .map(Band::id)
                .toList());
  }

  @Test
  void everyBandIsComplete() {
    Knowledge k = KnowledgeLoader.fromDirectory(PACKAGED);
    assertThat(k.rules().bands())
        .allSatisfy(
            b -> {
              assertThat(b.lookbackDays()).as(b.id()).isPositive();
              assertThat(b.sources()).as(b.id()).isNotEmpty();
              assertThat(b.meaning()).as(b.id()).isNotBlank();
              assertThat(b.action()).as(b.id()).isNotBlank();
              assertThat(b.sources())
                  .as(b.id())
                  .allSatisfy(s -> assertThat(s.url()).startsWith("http"));
            });
  }

  static Stream<String> packagedLoincCodes() {
    Knowledge k = KnowledgeLoader.fromDirectory(PACKAGED);
    return Stream.concat(
            k.labs().entries().stream().map(LoincEntry::code),
            k.rules().tests().values().stream().map(TestSpec::loinc))
        .distinct();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("packagedLoincCodes")
  void everyPackagedLoincCodePassesTheCheckDigit(String code) {
    assertThat(KnowledgeLoader.isValidLoinc(code)).isTrue();
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(strings = {"2823-4", "19123-8", "1994-2", "2823", "2823-33", "x2823-3", "", "-3"})
  void invalidLoincCodesAreRejected(String code) {
    assertThat(KnowledgeLoader.isValidLoinc(code)).isFalse();
  }

  // ---- start-up validation -----------------------------------------------------------------

  @Test
  void unknownTopic() throws IOException {
    editBand("potassium-low-mild", "topic: potassium-low", "topic: potassium-lowish");

    assertSingleProblem("rule potassium-low-mild", "'topic'", "potassium-lowish");
  }

  @Test
  void summaryPlaceholderTypo() throws IOException {
    editBand("tsh-high", "{value}", "{valu}");

    assertSingleProblem("rule tsh-high", "'summary'", "valu");
  }

  @Test
  void summaryTooLong() throws IOException {
    editBand(
        "pth-low",
        "summary: \"Low PTH",
        "summary: \"Low parathyroid hormone, which is the hormone that regulates calcium: PTH");

    assertSingleProblem("rule pth-low", "'summary'", "limit 139");
  }

  @Test
  void upperLimitMultipleMustBePositive() throws IOException {
    editBand("ck-high", "{timesUpperLimit: 5}", "{timesUpperLimit: -5}");

    assertSingleProblem("rule ck-high", "atLeast", "timesUpperLimit");
  }

  @Test
  void upperLimitMultipleOnlyWithAtLeastAboveOrBelow() throws IOException {
    editBand(
        "ck-high", "when: {atLeast: {timesUpperLimit: 5}}", "when: {atMost: {timesUpperLimit: 5}}");

    assertSingleProblem("rule ck-high", "atMost", "only allowed with atLeast, above and below");
  }

  @Test
  void unknownSourceKey() throws IOException {
    editBand(
        "magnesium-high",
        "sources: [default-ri-magnesium]",
        "sources: [default-ri-magnesium, no-such-source]");

    assertSingleProblem("rule magnesium-high", "'sources'", "no-such-source");
  }

  @Test
  void negativeLookbackDays() throws IOException {
    editBand("vitamin-d-high", "lookbackDays: 365", "lookbackDays: -365");

    assertSingleProblem(
        "rules.yaml line ", "rule vitamin-d-high", "'lookbackDays'", "minimum value of 1");
  }

  @Test
  void atLeastRange() throws IOException {
    editBand("potassium-low-mild", "atLeast: 3.3", "atLeast: range");

    assertSingleProblem("rule potassium-low-mild", "atLeast", "'range'");
  }

  @Test
  void unknownTestInSuggest() throws IOException {
    editBand(
        "calcium-high",
        "{test: ionized-calcium, notWithinDays: 30}",
        "{test: ionised-calcium, notWithinDays: 30}");

    assertSingleProblem("rule calcium-high", "suggest", "ionised-calcium");
  }

  @Test
  void loincCodeWithABadCheckDigit() throws IOException {
    replaceOnce("analytes.yaml", "code: 2823-3,", "code: 2823-4,");

    KnowledgeException e = loadFails();
    assertThat(e.problems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("analytes.yaml")
                    .contains("analyte potassium")
                    .contains("2823-4")
                    .contains("check digit"));
  }

  @Test
  void prefetchTemplatesUseOnlyTheQueryFeaturesCdsHooksAllows() throws IOException {
    replaceOnce(
        "service.yaml",
        "conditions: \"Condition?patient={{context.patientId}}&_count=1000\"",
        "conditions: \"Condition?patient={{context.patientId}}&_count=1000&_include=Condition:patient\"");

    assertSingleProblem("prefetch 'conditions'", "_include", "fetchParameters");
  }

  @Test
  void fetchParametersNameADeclaredKey() throws IOException {
    replaceOnce("service.yaml", "  labs: \"_include", "  lab: \"_include");

    assertSingleProblem("fetchParameters names 'lab'", "not a prefetch key");
  }

  @Test
  void theOrderHistoryMustReachBackAsFarAsTheRulesCompareStarts() throws IOException {
    // The long-term PPI rule compares a start with 365 days, plus the 400-day renewal gap: 765.
    replaceOnce(
        "service.yaml",
        "authoredon=ge{{today() - 1095 days}}",
        "authoredon=ge{{today() - 764 days}}");

    assertSingleProblem(
        "medication order history reaches back 764 days",
        "the rules need 765",
        "ppi-long-term-magnesium-monitoring");
  }

  @Test
  void anOrderHistoryJustLongEnoughLoads() throws IOException {
    replaceOnce(
        "service.yaml",
        "authoredon=ge{{today() - 1095 days}}",
        "authoredon=ge{{today() - 765 days}}");

    assertThat(KnowledgeLoader.fromDirectory(dir).service().orderHistoryDays()).isEqualTo(765);
  }

  @Test
  void prefetchTemplateMissingOneCodeOfAFamily() throws IOException {
    replaceOnce("service.yaml", ",http://loinc.org|6298-4", "");

    assertSingleProblem("prefetch 'labs'", "6298-4", "potassium");
  }

  @Test
  void duplicateBandId() throws IOException {
    replaceOnce("rules.yaml", "- id: potassium-low\n", "- id: potassium-low-mild\n");

    assertSingleProblem("potassium-low-mild", "used twice");
  }

  @Test
  void everyProblemIsReportedInOneException() throws IOException {
    editBand("potassium-low-mild", "topic: potassium-low", "topic: potassium-lowish");
    editBand("tsh-high", "{value}", "{valu}");
    editBand("vitamin-d-high", "lookbackDays: 365", "lookbackDays: -365");
    editBand("magnesium-high", "sources: [default-ri-magnesium]", "sources: [no-such-source]");
    replaceOnce("service.yaml", ",http://loinc.org|6298-4", "");

    KnowledgeException e = loadFails();

    assertThat(e.problems()).hasSize(5);
    assertThat(e.problems())
        .anySatisfy(p -> assertThat(p).contains("rule potassium-low-mild").contains("'topic'"))
        .anySatisfy(p -> assertThat(p).contains("rule tsh-high").contains("'summary'"))
        .anySatisfy(p -> assertThat(p).contains("rule vitamin-d-high").contains("'lookbackDays'"))
        .anySatisfy(p -> assertThat(p).contains("rule magnesium-high").contains("'sources'"))
        .anySatisfy(p -> assertThat(p).contains("prefetch 'labs'").contains("6298-4"));
    assertThat(e.getMessage())
        .contains("potassium-low-mild", "tsh-high", "vitamin-d-high", "magnesium-high", "6298-4");
  }

  // ---- due-tests.yaml ----------------------------------------------------------------------

  @Test
  void packagedDueTestRulesLoad() throws IOException {
    Knowledge k = KnowledgeLoader.fromDirectory(PACKAGED);
    long rulesInFile =
        Files.readString(PACKAGED.resolve("due-tests.yaml"))
            .lines()
            .filter(l -> l.startsWith("  - id: "))
            .count();
    assertThat(k.rules().dueTests())
        .hasSize((int) rulesInFile)
        .extracting(DueTestRule::id)
        .doesNotHaveDuplicates()
        .contains("diuretic-potassium-monitoring", "muscle-cramp-workup");
    assertThat(k.rules().dueTests())
        .allSatisfy(
            r -> {
              assertThat(r.topic()).as(r.id()).isIn("monitoring-overdue", "symptom-workup");
              assertThat(r.trigger() instanceof DueTestRule.Trigger.Problem)
                  .as("%s: work-ups and only work-ups have a problem trigger", r.id())
                  .isEqualTo(r.topic().equals("symptom-workup"));
              assertThat(r.tests()).as(r.id()).isNotEmpty();
              assertThat(r.sources()).as(r.id()).isNotEmpty();
              assertThat(r.meaning()).as(r.id()).isNotBlank();
              assertThat(r.action()).as(r.id()).isNotBlank();
            });
    assertThat(
            KnowledgeLoader.fromDirectory(dir).rules().dueTests().stream()
                .map(DueTestRule::id)
                .toList())
        .as("the copy the corruption tests edit loads unchanged")
        .isEqualTo(k.rules().dueTests().stream().map(DueTestRule::id).toList());
  }

  @Test
  void dueTestUnknownDrugClassInTrigger() throws IOException {
    editDueRule(
        "diuretic-potassium-monitoring",
        "trigger: {drugClasses: [loop-diuretic, thiazide-diuretic]",
        "trigger: {drugClasses: [loop-diuretic, thiazide-diuretics]");

    assertSingleProblem(
        "due-tests.yaml", "rule diuretic-potassium-monitoring", "trigger", "thiazide-diuretics");
  }

  @Test
  void dueTestUnknownConditionSetInTrigger() throws IOException {
    editDueRule(
        "statin-muscle-symptoms-workup",
        "conditions: [myalgia, muscle-cramp, muscle-weakness]",
        "conditions: [myalgia, muscle-cramps, muscle-weakness]");

    assertSingleProblem(
        "due-tests.yaml",
        "rule statin-muscle-symptoms-workup",
        "trigger",
        "unknown condition set 'muscle-cramps'");
  }

  @Test
  void dueTestUnknownConditionSetInShorterWhen() throws IOException {
    editDueRule(
        "diuretic-potassium-monitoring",
        "shorterWhen: {conditions: [heart-failure, arrhythmia]",
        "shorterWhen: {conditions: [heart-failure, arrythmia]");

    assertSingleProblem(
        "due-tests.yaml",
        "rule diuretic-potassium-monitoring",
        "test potassium: shorterWhen",
        "unknown condition set 'arrythmia'");
  }

  @Test
  void dueTestUnknownTest() throws IOException {
    editDueRule(
        "tetany-workup", "{test: potassium, withinDays: 30}", "{test: potasium, withinDays: 30}");

    assertSingleProblem("due-tests.yaml", "rule tetany-workup", "test potasium", "unknown test");
  }

  @Test
  void dueTestUnknownFieldOfARule() throws IOException {
    editDueRule(
        "amiodarone-thyroid-monitoring",
        "    indicator: info\n",
        "    indicator: info\n    severity: high\n");

    assertSingleProblem(
        "due-tests.yaml line ", "rule amiodarone-thyroid-monitoring", "unknown key 'severity'");
  }

  @Test
  void dueTestUnknownFieldOfATest() throws IOException {
    editDueRule(
        "amiodarone-thyroid-monitoring",
        "{test: tsh, withinDays: 180}",
        "{test: tsh, withinDays: 180, withinMonths: 6}");

    assertSingleProblem(
        "due-tests.yaml",
        "rule amiodarone-thyroid-monitoring",
        "test tsh",
        "unknown key 'withinMonths'");
  }

  @Test
  void workUpsHaveNoFamily() throws IOException {
    editDueRule("bone-pain-workup", "    review: draft\n", "    review: draft\n    family: bone\n");

    assertSingleProblem("due-tests.yaml line ", "rule bone-pain-workup", "unknown key 'family'");
  }

  @Test
  void dueTestWindowLongerThanThePrefetchHorizon() throws IOException {
    // PTH is fetched for 730 days: the packaged 730-day window loads, one day more does not.
    editDueRule(
        "hypercalcemia-coded-workup",
        "{test: pth, withinDays: 730}",
        "{test: pth, withinDays: 731}");

    assertSingleProblem(
        "due-tests.yaml",
        "rule hypercalcemia-coded-workup",
        "test pth",
        "withinDays 731",
        "730 days its prefetch template fetches");
  }

  @Test
  void dueTestShorterWindowWithoutItsCondition() throws IOException {
    editDueRule(
        "mra-chronic-monitoring",
        "{test: potassium, withinDays: 180, shorterWithinDays: 90, shorterWhen: {egfrBelow: 45}}",
        "{test: potassium, withinDays: 180, shorterWithinDays: 90}");

    assertSingleProblem(
        "due-tests.yaml",
        "rule mra-chronic-monitoring",
        "test potassium",
        "shorterWithinDays and shorterWhen go together");
  }

  @Test
  void dueTestEscalationMustBeMoreUrgent() throws IOException {
    editDueRule(
        "diuretic-potassium-monitoring",
        "escalate: {indicator: warning,",
        "escalate: {indicator: info,");

    assertSingleProblem(
        "due-tests.yaml",
        "rule diuretic-potassium-monitoring",
        "escalate.indicator must be more urgent than indicator");
  }

  @Test
  void dueTestSummaryTooLongWithEveryTestMissing() throws IOException {
    // 129 characters with "muscle cramps" and all seven test labels; 145 with the addition.
    editDueRule(
        "muscle-cramp-workup",
        "not checked recently.\"",
        "not checked recently. See the detail.\"");

    assertSingleProblem(
        "due-tests.yaml", "rule muscle-cramp-workup", "'summary'", "145 characters", "limit 139");
  }

  @Test
  void dueTestUnknownSummaryPlaceholder() throws IOException {
    editDueRule(
        "amiodarone-thyroid-monitoring",
        "with no {missing} in {window}",
        "with no {tests} in {window}");

    assertSingleProblem(
        "due-tests.yaml", "rule amiodarone-thyroid-monitoring", "'summary'", "[tests]");
  }

  @Test
  void workUpSummaryCannotNameADrug() throws IOException {
    editDueRule("malabsorption-workup", "summary: \"{problem}:", "summary: \"{drug}:");

    assertSingleProblem("due-tests.yaml", "rule malabsorption-workup", "'summary'", "[drug]");
  }

  @Test
  void dueTestIngredientOutsideTheTriggerClasses() throws IOException {
    editDueRule(
        "denosumab-advanced-ckd-monitoring",
        "ingredients: [denosumab]",
        "ingredients: [denosumab, furosemide]");

    assertSingleProblem(
        "due-tests.yaml",
        "rule denosumab-advanced-ckd-monitoring",
        "trigger.ingredients",
        "'furosemide'",
        "not in those classes");
  }

  @Test
  void sinceStartOnAWorkUp() throws IOException {
    editDueRule(
        "tetany-workup",
        "{test: calcium, withinDays: 30}",
        "{test: calcium, withinDays: 30, sinceStart: true}");

    assertSingleProblem(
        "due-tests.yaml",
        "rule tetany-workup",
        "test calcium",
        "sinceStart needs a medication trigger");
  }

  @Test
  void testActiveAtLeastDaysOnAWorkUp() throws IOException {
    editDueRule(
        "paresthesia-workup",
        "{test: magnesium, withinDays: 30}",
        "{test: magnesium, withinDays: 30, activeAtLeastDays: 10}");

    assertSingleProblem(
        "due-tests.yaml",
        "rule paresthesia-workup",
        "test magnesium",
        "activeAtLeastDays needs a medication trigger");
  }

  // ---- the JSON Schemas --------------------------------------------------------------------

  @Test
  void aMisspelledKeyIsReportedAsUnknownWithItsFileAndLine() throws IOException {
    editBand("vitamin-d-high", "lookbackDays: 365", "lookbackDay: 365");
    List<String> lines = Files.readAllLines(dir.resolve("rules.yaml"));
    int line =
        1
            + lines.indexOf(
                lines.stream()
                    .filter(l -> l.contains("lookbackDay: 365"))
                    .findFirst()
                    .orElseThrow());

    // One problem, naming the misspelled key where it is, not a different (missing) field.
    assertSingleProblem(
        "rules.yaml line " + line + ":", "rule vitamin-d-high", "unknown key 'lookbackDay'");
  }

  @Test
  void aWrongTypeIsReportedWithItsFileAndLine() throws IOException {
    replaceOnce("tests.yaml", "label: magnesium", "label: [magnesium]");

    assertSingleProblem("tests.yaml line ", "test magnesium", "'label'", "array");
  }

  @Test
  void theSchemasAllowARationalePerRule() throws IOException {
    editBand(
        "potassium-low",
        "        review: draft\n",
        "        review: draft\n"
            + "        rationale: Low potassium with a drug cause needs action soon.\n");

    assertThat(KnowledgeLoader.fromDirectory(dir).rules().bands()).isNotEmpty();
  }

  @Test
  void invalidYamlIsReportedWithItsFileAndLine() throws IOException {
    replaceOnce("tests.yaml", "label: magnesium,", "label: magnesium: x,");

    assertSingleProblem("tests.yaml line 8: not valid YAML", "expected ',' or '}'");
  }

  @Test
  void everyKnowledgeFileNamesItsSchemaForEditors() throws IOException {
    for (String file : KnowledgeLoader.FILES) {
      String first = Files.readAllLines(PACKAGED.resolve(file)).get(0);
      String schema = KnowledgeSchemas.schemaName(file);
      assertThat(first).isEqualTo("# yaml-language-server: $schema=../schema/" + schema);
      assertThat(PACKAGED.resolveSibling("schema").resolve(schema)).isRegularFile();
      assertThat(KnowledgeSchemas.schemaText(schema)).isPresent();
    }
  }

  // ---- sources ------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://pubmed.ncbi.nlm.nih.gov/?term=Kost+critical+limits",
        "https://www.ncbi.nlm.nih.gov/books/?term=statpearls+hypomagnesemia",
        "https://www.fda.gov/search?s=biotin",
        "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=digoxin",
        "https://www.google.com/search?q=hypokalemia",
        "https://example.org/find?query=x&page=2"
      })
  void aSearchPageIsRefusedAsACitation(String url) throws IOException {
    replaceOnce(
        "sources.yaml", "url: https://doi.org/10.1681/ASN.2007070792", "url: \"" + url + "\"");

    assertSingleProblem("source huang-kuo-2007", "search page");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://doi.org/10.1681/ASN.2007070792",
        "https://pubmed.ncbi.nlm.nih.gov/2296126/",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC5892769/",
        "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=49e5afe9-a0c7-40c4-af9f-f287a80c5c88",
        "https://www.ncbi.nlm.nih.gov/books/NBK500003/",
        "https://kdigo.org/guidelines/ckd-mbd/"
      })
  void aDocumentUrlIsNotASearchPage(String url) {
    assertThat(KnowledgeLoader.isSearchPage(url)).isFalse();
  }

  @Test
  void noPackagedSourceIsASearchPage() {
    assertThat(KnowledgeLoader.fromDirectory(PACKAGED).rules().citations().values())
        .allSatisfy(c -> assertThat(KnowledgeLoader.isSearchPage(c.url())).as(c.key()).isFalse());
  }

  // ---- helpers -----------------------------------------------------------------------------

  private KnowledgeException loadFails() {
    KnowledgeException e =
        catchThrowableOfType(KnowledgeException.class, () -> KnowledgeLoader.fromDirectory(dir));
    assertThat(e).as("loading the corrupted knowledge must fail").isNotNull();
    return e;
  }

  /** Exactly one problem is reported, and it names all the given parts. */
  private void assertSingleProblem(String... parts) {
    KnowledgeException e = loadFails();
    assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p).contains(parts));
    assertThat(e.getMessage()).contains(parts);
  }

  private void replaceOnce(String file, String from, String to) throws IOException {
    Path path = dir.resolve(file);
    String text = Files.readString(path);
    int at = text.indexOf(from);
    assertThat(at).as("'%s' in %s", from, file).isNotNegative();
    assertThat(text.indexOf(from, at + 1)).as("'%s' occurs once in %s", from, file).isNegative();
    Files.writeString(path, text.substring(0, at) + to + text.substring(at + from.length()));
  }

  /** Replaces the single occurrence of {@code from} within the band {@code id} of rules.yaml. */
  private void editBand(String id, String from, String to) throws IOException {
    Path path = dir.resolve("rules.yaml");
    String text = Files.readString(path);
    String header = "- id: " + id + "\n";
    int start = text.indexOf(header);
    assertThat(start).as("band %s", id).isNotNegative();
    int end = text.indexOf("- id: ", start + header.length());
    int nextRule = text.indexOf("- analyte: ", start);
    if (end < 0 || (nextRule >= 0 && nextRule < end)) {
      end = nextRule < 0 ? text.length() : nextRule;
    }
    String band = text.substring(start, end);
    int at = band.indexOf(from);
    assertThat(at).as("'%s' in band %s", from, id).isNotNegative();
    assertThat(band.indexOf(from, at + 1)).as("'%s' once in band %s", from, id).isNegative();
    String edited = band.substring(0, at) + to + band.substring(at + from.length());
    Files.writeString(path, text.substring(0, start) + edited + text.substring(end));
  }

  /**
   * Replaces the single occurrence of {@code from} within the rule {@code id} of due-tests.yaml.
   */
  private void editDueRule(String id, String from, String to) throws IOException {
    Path path = dir.resolve("due-tests.yaml");
    String text = Files.readString(path);
    String header = "  - id: " + id + "\n";
    int start = text.indexOf(header);
    assertThat(start).as("due-test rule %s", id).isNotNegative();
    int end = text.length();
    for (String next : List.of("  - id: ", "\nworkups:")) {
      int at = text.indexOf(next, start + header.length());
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    String rule = text.substring(start, end);
    int at = rule.indexOf(from);
    assertThat(at).as("'%s' in due-test rule %s", from, id).isNotNegative();
    assertThat(rule.indexOf(from, at + 1)).as("'%s' once in rule %s", from, id).isNegative();
    String edited = rule.substring(0, at) + to + rule.substring(at + from.length());
    Files.writeString(path, text.substring(0, start) + edited + text.substring(end));
  }
}
