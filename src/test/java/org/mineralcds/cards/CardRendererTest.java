package org.mineralcds.cards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.hook.Action;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Suggestion;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.Evaluator;
import org.mineralcds.rules.Finding;
import org.mineralcds.rules.Labs;
import org.mineralcds.rules.RangeUsed;
import org.mineralcds.rules.RuleCases;
import org.mineralcds.rules.RuleCases.RuleCase;

/** Cards rendered from real findings of the Evaluator. */
class CardRendererTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final Evaluator EVALUATOR = new Evaluator(K.rules(), K.labs());
  private static final CardRenderer RENDERER = new CardRenderer(K.labs(), K.rules());
  private static final List<RuleCase> CASES = RuleCases.load();
  private static final String HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea";

  /** A band, the finding of its first firing case, and the card rendered for it. */
  private record Rendered(Band band, Finding finding, Card card) {
    @Override
    public String toString() {
      return band.id();
    }
  }

  static Stream<String> bandIds() {
    return K.rules().bands().stream().map(Band::id);
  }

  private static List<Finding> evaluate(PatientRecord patient) {
    return EVALUATOR.evaluate(patient, Labs.NOW);
  }

  private static Rendered renderFiringCase(String bandId) {
    RuleCase c = RuleCases.firstFiring(CASES, bandId);
    List<Finding> findings = evaluate(RuleCases.patient(c, K.drugs()));
    Finding finding =
        findings.stream()
            .filter(f -> f.band().id().equals(bandId))
            .findFirst()
            .orElseThrow(() -> new AssertionError(bandId + " did not fire for " + c));
    List<Card> cards = RENDERER.render(findings, "patient-1", HOOK_INSTANCE);
    Card card =
        cards.stream()
            .filter(k -> k.source().topic().code().equals(finding.band().topic()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no card with topic of " + bandId));
    return new Rendered(finding.band(), finding, card);
  }

  private static List<Rendered> allRendered() {
    return bandIds().map(CardRendererTest::renderFiringCase).toList();
  }

  // ---- summary -------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("bandIds")
  void summaryIsShortAndNamesTheValueAndUnit(String bandId) {
    Rendered r = renderFiringCase(bandId);

    assertThat(r.card().summary()).hasSizeLessThan(140);
    assertThat(r.card().summary())
        .contains(r.finding().value().displayValue() + " " + r.finding().value().displayUnit());
    assertThat(r.card().summary()).doesNotContain("{").doesNotContain("}");
    assertThat(r.card().indicator()).isEqualTo(r.finding().indicator().code());
    assertThat(r.card().source().topic().system()).isEqualTo(CardRenderer.TOPIC_SYSTEM);
    assertThat(r.card().source().label()).isEqualTo(CardRenderer.SOURCE_LABEL);
  }

  @Test
  void summaryWordsTheValueDateAndDrug() {
    PatientRecord patient =
        Labs.patient()
            .lab(Labs.result(Analyte.POTASSIUM, "3.4", 1))
            .medication(K.drugs(), "furosemide")
            .build();

    Card card = RENDERER.render(evaluate(patient), "patient-1", HOOK_INSTANCE).get(0);

    assertThat(card.summary())
        .isEqualTo(
            "Low potassium 3.4 mmol/L (2026-11-19) while on furosemide."
                + " Review causes; replace if persistent.");
    assertThat(card.indicator()).isEqualTo("warning");
  }

  @Test
  void correctedCalciumSummaryNamesTheMeasure() {
    PatientRecord patient =
        Labs.patient()
            .lab(
                Labs.result(Analyte.CALCIUM_TOTAL, "7.4", 1),
                Labs.result(Analyte.ALBUMIN, "3.6", 1))
            .build();

    Card card = RENDERER.render(evaluate(patient), "patient-1", HOOK_INSTANCE).get(0);

    assertThat(card.summary()).contains("7.7 mg/dL (albumin-corrected, 2026-11-19)");
    assertThat(card.detail()).contains("Corrected with albumin 3.6 g/dL").contains("7.4 mg/dL");
  }

  // ---- ordering and topics -------------------------------------------------------------------

  @Test
  void cardsAreOrderedCriticalWarningInfo() {
    PatientRecord patient =
        Labs.patient()
            .lab(
                Labs.result(Analyte.POTASSIUM, "5.2", 1), // potassium-high-mild: info
                Labs.result(Analyte.MAGNESIUM, "0.9", 1), // magnesium-critical-low: critical
                Labs.result(Analyte.CALCIUM_TOTAL, "10.5", 1), // calcium-high: info
                // Drawn 40 days before the calcium: outside the 30-day pairing window, so no
                // primary-hyperparathyroidism pattern replaces the two single cards.
                Labs.result(Analyte.PTH, "80", 40), // pth-high: info
                Labs.result(Analyte.TSH, "10.5", 1), // tsh-high-marked: warning
                Labs.result(Analyte.VITAMIN_D, "151", 1)) // vitamin-d-toxic: warning
            .build();
    List<Finding> findings = evaluate(patient);
    assertThat(findings).hasSize(6);

    List<Card> cards = renderEach(findings);

    assertThat(cards)
        .extracting(Card::indicator)
        .containsExactly("critical", "warning", "warning", "info", "info", "info");
    assertThat(cards)
        .extracting(c -> c.source().topic().code())
        .containsExactly(
            "magnesium-critical",
            "vitamin-d-high",
            "tsh-high",
            "potassium-high",
            "calcium-high",
            "pth-high");
    List<Finding> reversed = new ArrayList<>(findings);
    java.util.Collections.reverse(reversed);
    assertThat(renderEach(reversed))
        .extracting(Card::indicator)
        .containsExactly("critical", "warning", "warning", "info", "info", "info");

    // Five non-critical cards: over the budget of four, the two least urgent are folded.
    assertThat(RENDERER.render(findings, "patient-1", HOOK_INSTANCE))
        .extracting(c -> c.indicator() + " " + c.source().topic().code())
        .containsExactly(
            "critical magnesium-critical",
            "warning vitamin-d-high",
            "warning tsh-high",
            "info potassium-high",
            "info additional-findings");
  }

  private static List<Card> renderEach(List<Finding> findings) {
    return RENDERER.renderEach(
        findings, List.of(), "patient-1", HOOK_INSTANCE, CardRenderer.DEFAULT_BASE_URL);
  }

  // ---- the card budget -----------------------------------------------------------------------

  /** Five mild abnormalities, each an info card of its own topic. */
  private static List<Finding> fiveMildAbnormalities() {
    return evaluate(
        Labs.patient()
            .lab(
                // 5.3: past the borderline margin of the default range (5.1), so still abnormal
                Labs.result(Analyte.POTASSIUM, "5.3", 1), // potassium-high-mild
                Labs.result(Analyte.CALCIUM_TOTAL, "10.5", 1), // calcium-high
                Labs.result(Analyte.PTH, "80", 40), // pth-high (no pattern: 40 days apart)
                Labs.result(Analyte.TSH, "4.8", 1), // tsh-high
                Labs.result(Analyte.VITAMIN_D, "15", 1)) // vitamin-d-inadequate
            .build());
  }

  @Test
  void fiveMildAbnormalitiesGiveFourCardsTheLastNamingTheRestWithTheirValues() {
    List<Finding> findings = fiveMildAbnormalities();
    List<Card> each = renderEach(findings);
    assertThat(each).hasSize(5).allMatch(c -> c.indicator().equals("info"));

    List<Card> cards = RENDERER.render(findings, "patient-1", HOOK_INSTANCE);

    assertThat(cards).hasSize(CardRenderer.MAX_NON_CRITICAL);
    assertThat(cards.subList(0, 3)).containsExactlyElementsOf(each.subList(0, 3));
    Card more = cards.get(3);
    assertThat(more.source().topic().code()).isEqualTo("additional-findings");
    assertThat(more.indicator()).isEqualTo("info");
    assertThat(more.summary()).hasSizeLessThan(140).startsWith("2 more findings: ");
    List<Card> folded = each.subList(3, 5);
    for (Card f : folded) {
      String rule = ((List<?>) f.extension().get(CardRenderer.RULES_EXTENSION)).get(0).toString();
      assertThat(more.detail()).contains(f.summary()).contains(f.source().url());
      assertThat(more.extension().get(CardRenderer.RULES_EXTENSION).toString()).contains(rule);
    }
    // Each folded finding is named with its value and unit in the summary.
    assertThat(more.summary()).contains("TSH 4.8 mIU/L").contains("25-hydroxyvitamin D 15 ng/mL");
    // The folded cards' tests stay one click each.
    List<String> foldedTests =
        folded.stream()
            .flatMap(c -> c.suggestions().stream())
            .filter(s -> s.actions() != null && s.actions().size() == 1)
            .map(Suggestion::label)
            .distinct()
            .toList();
    assertThat(more.suggestions())
        .extracting(Suggestion::label)
        .containsExactlyElementsOf(foldedTests);
    assertThat(cards.stream().map(Card::uuid).distinct()).hasSize(cards.size());
    assertThat(cards.stream().map(c -> c.source().topic().code()).distinct()).hasSize(cards.size());
  }

  @Test
  void fourNonCriticalCardsAreNotFolded() {
    List<Finding> four = fiveMildAbnormalities().subList(0, 4);

    assertThat(RENDERER.render(four, "patient-1", HOOK_INSTANCE))
        .hasSize(4)
        .noneMatch(c -> c.source().topic().code().equals("additional-findings"));
  }

  @Test
  void criticalCardsAreNeverFoldedNorCounted() {
    List<Finding> findings = new ArrayList<>(fiveMildAbnormalities());
    findings.addAll(
        evaluate(
            Labs.patient()
                .lab(
                    Labs.result(Analyte.MAGNESIUM, "0.9", 1), // magnesium-critical-low
                    Labs.result(Analyte.POTASSIUM, "2.5", 1)) // potassium-critical-low
                .build()));

    List<Card> cards = RENDERER.render(findings, "patient-1", HOOK_INSTANCE);

    assertThat(cards)
        .extracting(c -> c.indicator() + " " + c.source().topic().code())
        .startsWith("critical potassium-critical", "critical magnesium-critical")
        .endsWith("info additional-findings")
        .hasSize(2 + CardRenderer.MAX_NON_CRITICAL);
  }

  @Test
  void aLongListOfFoldedFindingsIsCountedInTheSummary() {
    List<String> names =
        java.util.stream.IntStream.rangeClosed(1, 9)
            .mapToObj(i -> "finding number " + i + " 12.3 mg/dL")
            .toList();

    String summary = CardRenderer.foldedSummary(names);

    assertThat(summary).hasSizeLessThan(140).startsWith("9 more findings: finding number 1");
    assertThat(summary).containsPattern("and \\d more\\.$");
    assertThat(CardRenderer.foldedSummary(names.subList(0, 2)))
        .isEqualTo("2 more findings: finding number 1 12.3 mg/dL; finding number 2 12.3 mg/dL.");
  }

  // ---- US English ----------------------------------------------------------------------------

  @Test
  void theWordingTheServiceAddsIsUsEnglish() {
    // What the Java code writes around the knowledge's own text (override reasons, range and
    // evidence sentences, suggestion labels) uses US spelling.
    List<String> british = List.of("haem", "aemia", "recognis", "colour", "behaviour", "labelled");
    for (Rendered r : allRendered()) {
      String text =
          String.join(
              " ",
              r.card().overrideReasons().stream().map(c -> c.display()).toList().toString(),
              r.card().suggestions().stream().map(Suggestion::label).toList().toString(),
              r.card()
                  .detail()
                  .replace(r.band().meaning(), "")
                  .replace(r.band().action(), "")
                  // Cited titles are the documents' own (Lippi 2008: "Haemolysis: ..."), not ours.
                  .replaceAll("\\[[^\\]]*\\]\\(http[^)]*\\)", ""));
      for (String word : british) {
        assertThat(text.toLowerCase(java.util.Locale.ROOT)).as(r.band().id()).doesNotContain(word);
      }
    }
    assertThat(CardRenderer.OVERRIDE_REASONS)
        .extracting(c -> c.display())
        .contains("Result not trusted (e.g. hemolyzed)");
  }

  // ---- units ---------------------------------------------------------------------------------

  @Test
  void theRangeIsShownInTheUnitOfTheValue() {
    Card mmol =
        RENDERER
            .render(
                evaluate(
                    Labs.patient()
                        .lab(Labs.result(Analyte.MAGNESIUM, "1.51", 1).reported("0.62", "mmol/L"))
                        .build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);
    assertThat(mmol.detail())
        .contains("**Magnesium 0.62 mmol/L (1.51 mg/dL)**")
        .contains("Range used: 0.7–0.95 mmol/L (1.7–2.3 mg/dL)")
        .contains("Critical limits: 0.41–1.93 mmol/L (1.0–4.7 mg/dL)");

    Card meq =
        RENDERER
            .render(
                evaluate(
                    Labs.patient()
                        .lab(Labs.result(Analyte.POTASSIUM, "3.1", 1).reported("3.1", "mEq/L"))
                        .build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);
    assertThat(meq.detail())
        .containsPattern("Range used: 3\\.5–5(\\.0)? mEq/L \\(default")
        .contains("Critical limits: 2.8–6.2 mEq/L.")
        .doesNotContain("mmol/L");
  }

  @Test
  void atMostOneCardPerTopicAndTheMostUrgentWins() {
    List<Finding> findings = new ArrayList<>();
    // potassium-low-mild (info) and potassium-low (warning) share the topic potassium-low.
    findings.addAll(evaluate(Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.4", 1)).build()));
    findings.addAll(evaluate(Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.1", 1)).build()));
    findings.addAll(evaluate(Labs.patient().lab(Labs.result(Analyte.TSH, "4.8", 1)).build()));
    findings.addAll(evaluate(Labs.patient().lab(Labs.result(Analyte.TSH, "4.8", 1)).build()));
    assertThat(findings)
        .extracting(f -> f.band().id())
        .containsExactly("potassium-low-mild", "potassium-low", "tsh-high", "tsh-high");

    List<Card> cards = RENDERER.render(findings, "patient-1", HOOK_INSTANCE);

    assertThat(cards)
        .extracting(c -> c.source().topic().code())
        .containsExactly("potassium-low", "tsh-high");
    assertThat(cards.get(0).indicator()).isEqualTo("warning");
    assertThat(cards.get(0).summary()).contains("3.1 mmol/L");
  }

  @Test
  void everyCardOfEveryRuleHasItsOwnTopic() {
    for (Rendered r : allRendered()) {
      List<Finding> findings =
          evaluate(RuleCases.patient(RuleCases.firstFiring(CASES, r.band().id()), K.drugs()));
      List<Card> cards = RENDERER.render(findings, "patient-1", HOOK_INSTANCE);
      Map<String, Long> perTopic =
          cards.stream()
              .collect(
                  Collectors.groupingBy(c -> c.source().topic().code(), Collectors.counting()));
      assertThat(perTopic).as(r.band().id()).allSatisfy((topic, n) -> assertThat(n).isOne());
    }
  }

  // ---- detail --------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("bandIds")
  void detailHasDateRangeAndEverySource(String bandId) {
    Rendered r = renderFiringCase(bandId);
    String detail = r.card().detail();
    String date = LocalDate.ofInstant(r.finding().value().effective(), ZoneOffset.UTC).toString();

    assertThat(detail).contains(date);
    RangeUsed range = r.finding().value().range();
    if (range != null && range.origin() != RangeUsed.Origin.LAB_FLAG) {
      assertThat(detail).contains("Range used: ");
    } else if (range != null) {
      assertThat(detail).contains("Judged by the lab's own flag");
    } else if (K.labs().spec(r.finding().value().analyte()).defaultRange() == null) {
      assertThat(detail).contains("Judged against guideline decision limits");
    } else {
      assertThat(detail).contains("No reference range applies");
    }
    for (Citation source : r.band().sources()) {
      assertThat(detail).as("source %s", source.key()).contains(source.url());
      // Each source is also a card link that opens the document itself.
      assertThat(r.card().links())
          .as("link to %s", source.key())
          .anySatisfy(
              l -> {
                assertThat(l.url()).isEqualTo(source.url());
                assertThat(l.type()).isEqualTo("absolute");
                assertThat(l.label()).isNotBlank().hasSizeLessThanOrEqualTo(100);
              });
    }
    // The rule id is machine-readable (an extension), never in the clinician's text.
    assertThat(detail).doesNotContain("`" + bandId + "`").doesNotContain("Rule ");
    assertThat(r.card().summary()).doesNotContain(bandId);
    assertThat(r.card().extension()).containsEntry(CardRenderer.RULES_EXTENSION, List.of(bandId));
    // source.url: the page of this service about the rule.
    assertThat(r.card().source().url())
        .isEqualTo(CardRenderer.DEFAULT_BASE_URL + "/knowledge/rules/" + bandId);
  }

  @Test
  void detailStatesTheDefaultRangeUsed() {
    Card card =
        RENDERER
            .render(
                evaluate(Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.4", 1)).build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);

    assertThat(card.detail())
        .contains("2026-11-19")
        // "5.0" in analytes.yaml is currently shown as "5" (the loader drops trailing zeros).
        .containsPattern(
            "Range used: 3\\.5–5(\\.0)? mmol/L \\(default adult range; the lab sent none\\)\\.")
        .contains("Critical limits: 2.8–6.2 mmol/L.");
  }

  @Test
  void detailStatesTheLabsOwnRange() {
    Card card =
        RENDERER
            .render(
                evaluate(
                    Labs.patient()
                        .lab(Labs.result(Analyte.POTASSIUM, "3.2", 1).range("3.6", "5.2"))
                        .build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);

    assertThat(card.detail()).contains("Range used: 3.6–5.2 mmol/L (the lab's reference range).");
  }

  @Test
  void detailNamesTheDrugCause() {
    Card card =
        RENDERER
            .render(
                evaluate(
                    Labs.patient()
                        .lab(Labs.result(Analyte.MAGNESIUM, "1.5", 1))
                        .medication(K.drugs(), "omeprazole")
                        .build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);

    assertThat(card.detail())
        .contains("**Possible drug contribution:** omeprazole tablet (proton pump inhibitor)");
  }

  @Test
  void aDrugCauseIsOfferedForReviewWithoutAnyAutomaticChange() {
    Card withDrug =
        RENDERER
            .render(
                evaluate(
                    Labs.patient()
                        .lab(Labs.result(Analyte.POTASSIUM, "3.1", 1))
                        .medication(K.drugs(), "furosemide")
                        .build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);
    Card withoutDrug =
        RENDERER
            .render(
                evaluate(Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.1", 1)).build()),
                "patient-1",
                HOOK_INSTANCE)
            .get(0);

    assertThat(withDrug.suggestions()).hasSize(2);
    Suggestion review = withDrug.suggestions().get(1);
    assertThat(review.label()).startsWith("Review furosemide");
    assertThat(review.actions()).isEmpty();
    assertThat(review.isRecommended()).isFalse();
    assertThat(withDrug.selectionBehavior()).isEqualTo("any");
    assertThat(withoutDrug.suggestions())
        .extracting(Suggestion::label)
        .noneMatch(l -> l.startsWith("Review"));
  }

  // ---- suggestions ---------------------------------------------------------------------------

  @Test
  void suggestionsAreDraftServiceRequestProposals() {
    PatientRecord patient =
        Labs.patient()
            .id("pat-42")
            .lab(Labs.result(Analyte.POTASSIUM, "3.4", 1).reference("Observation/k-7"))
            .build();

    Card card = RENDERER.render(evaluate(patient), "pat-42", HOOK_INSTANCE).get(0);

    assertThat(card.suggestions())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.isRecommended()).isTrue();
              assertThat(s.label()).contains("magnesium");
              assertThat(s.actions())
                  .singleElement()
                  .satisfies(
                      a -> {
                        assertThat(a.type()).isEqualTo("create");
                        JsonNode sr = a.resource();
                        assertThat(sr.path("resourceType").asText()).isEqualTo("ServiceRequest");
                        assertThat(sr.path("status").asText()).isEqualTo("draft");
                        assertThat(sr.path("intent").asText()).isEqualTo("proposal");
                        assertThat(sr.path("subject").path("reference").asText())
                            .isEqualTo("Patient/pat-42");
                        assertThat(sr.path("code").path("coding"))
                            .anySatisfy(
                                coding -> {
                                  assertThat(coding.path("system").asText())
                                      .isEqualTo("http://loinc.org");
                                  assertThat(coding.path("code").asText()).isEqualTo("19123-9");
                                });
                        assertThat(sr.path("reasonReference").get(0).path("reference").asText())
                            .isEqualTo("Observation/k-7");
                      });
            });
    assertThat(card.selectionBehavior()).isEqualTo("at-most-one");
  }

  @Test
  void everySuggestedTestBecomesOneActionWithItsLoincCode() {
    Rendered r = renderFiringCase("calcium-low"); // suggests five tests
    List<String> expected = r.finding().suggestions().stream().map(s -> s.test().loinc()).toList();
    assertThat(expected).hasSize(5);

    // One click per test: a suggestion per test with its one action, then one ordering all five.
    List<Suggestion> suggestions = r.card().suggestions();
    assertThat(suggestions.subList(0, 5))
        .extracting(s -> s.actions().get(0).resource().path("code").path("coding").get(0))
        .extracting(c -> c.path("code").asText())
        .containsExactlyElementsOf(expected);
    assertThat(suggestions.subList(0, 5)).allSatisfy(s -> assertThat(s.actions()).hasSize(1));
    assertThat(suggestions.subList(0, 5))
        .extracting(Suggestion::label)
        .allMatch(l -> l.startsWith("Order ") && !l.contains(","));
    Suggestion orderAll = suggestions.get(5);
    assertThat(orderAll.label()).startsWith("Order all 5: ");
    assertThat(orderAll.isRecommended()).isTrue();
    assertThat(suggestions.subList(0, 5)).noneMatch(s -> Boolean.TRUE.equals(s.isRecommended()));
    assertThat(r.card().selectionBehavior()).isEqualTo("any");
    assertThat(suggestions.stream().map(Suggestion::uuid).distinct()).hasSize(suggestions.size());
    List<Action> actions = orderAll.actions();

    assertThat(actions)
        .extracting(a -> a.resource().path("code").path("coding").get(0).path("code").asText())
        .containsExactlyElementsOf(expected);
    assertThat(actions)
        .allSatisfy(
            a -> {
              assertThat(a.resource().path("code").path("coding").get(0).path("system").asText())
                  .isEqualTo("http://loinc.org");
              assertThat(a.resource().path("reasonReference").get(0).path("reference").asText())
                  .isEqualTo(r.finding().value().primary().reference());
            });
  }

  @Test
  void noReasonReferenceWhenTheResultHadNoId() {
    PatientRecord patient =
        Labs.patient().lab(Labs.result(Analyte.POTASSIUM, "3.4", 1).withoutReference()).build();

    Card card = RENDERER.render(evaluate(patient), "patient-1", HOOK_INSTANCE).get(0);

    JsonNode sr = card.suggestions().get(0).actions().get(0).resource();
    assertThat(sr.has("reasonReference")).isFalse();
    assertThat(sr.path("status").asText()).isEqualTo("draft");
  }

  @Test
  void selectionBehaviorIsPresentExactlyWhenThereAreSuggestions() {
    List<Card> cards = new ArrayList<>();
    for (RuleCase c : CASES) {
      if (c.fires()) {
        cards.addAll(
            RENDERER.render(evaluate(RuleCases.patient(c, K.drugs())), "patient-1", HOOK_INSTANCE));
      }
    }
    assertThat(cards).anyMatch(CardRendererTest::hasSuggestions);
    assertThat(cards).anyMatch(c -> !hasSuggestions(c));
    assertThat(cards)
        .allSatisfy(
            c -> {
              if (hasSuggestions(c)) {
                // One suggestion is one choice; ordering tests and reviewing a drug are two.
                assertThat(c.selectionBehavior())
                    .as(c.summary())
                    .isEqualTo(c.suggestions().size() == 1 ? "at-most-one" : "any");
              } else {
                assertThat(c.selectionBehavior()).as(c.summary()).isNull();
              }
            });
  }

  private static boolean hasSuggestions(Card card) {
    return card.suggestions() != null && !card.suggestions().isEmpty();
  }

  // ---- uuids ---------------------------------------------------------------------------------

  private static PatientRecord severalCards() {
    return Labs.patient()
        .lab(
            Labs.result(Analyte.POTASSIUM, "2.7", 1),
            Labs.result(Analyte.MAGNESIUM, "1.5", 1),
            Labs.result(Analyte.CALCIUM_TOTAL, "8.2", 1),
            Labs.result(Analyte.TSH, "0.3", 1))
        .build();
  }

  private static List<String> uuids(List<Card> cards) {
    List<String> ids = new ArrayList<>();
    for (Card card : cards) {
      ids.add(card.uuid());
      card.suggestions().stream().map(Suggestion::uuid).forEach(ids::add);
    }
    return ids;
  }

  @Test
  void uuidsAreValidAndDistinct() {
    List<Card> cards = RENDERER.render(evaluate(severalCards()), "patient-1", HOOK_INSTANCE);
    assertThat(cards).hasSize(4);
    List<String> ids = uuids(cards);
    assertThat(ids).hasSizeGreaterThan(cards.size()); // suggestions have uuids too

    assertThat(ids).doesNotHaveDuplicates();
    assertThat(ids).allSatisfy(id -> assertThat(UUID.fromString(id).toString()).isEqualTo(id));
  }

  @Test
  void uuidsAreDeterministicPerHookInstance() {
    List<Finding> findings = evaluate(severalCards());

    List<String> first = uuids(RENDERER.render(findings, "patient-1", HOOK_INSTANCE));
    List<String> again =
        uuids(RENDERER.render(evaluate(severalCards()), "patient-1", HOOK_INSTANCE));
    List<String> otherCall =
        uuids(RENDERER.render(findings, "patient-1", "0f4e1a2b-9b1c-4f2e-8d7a-123456789abc"));

    assertThat(again).isEqualTo(first);
    assertThat(otherCall).hasSameSizeAs(first).doesNotContainAnyElementsOf(first);
  }

  @Test
  void baseUrlsLoseTheirTrailingSlashesAsTheRegexRemovesThem() {
    for (String url :
        java.util.List.of(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "https://cds.example.org/base///",
            "",
            "/",
            "https://x/\n",
            "https://x//\r\n",
            "https://x/\u2028",
            "https://x/a\n",
            "https://x/\u0085")) {
      assertThat(CardRenderer.withoutTrailingSlashes(url)).isEqualTo(url.replaceAll("/+$", ""));
    }
  }
}
