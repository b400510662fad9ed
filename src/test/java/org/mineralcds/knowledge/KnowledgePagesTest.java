package org.mineralcds.knowledge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.rules.Band;
import org.mineralcds.rules.Citation;
import org.mineralcds.rules.DueTestRule;

/** The page of each rule, generated from the knowledge: what a card's source.url opens. */
class KnowledgePagesTest {

  private static final Knowledge K =
      KnowledgeLoader.fromDirectory(Path.of("hooks/mineral-balance"));
  private static final KnowledgePages PAGES = new KnowledgePages(K);

  static Stream<String> ruleIds() {
    return KnowledgeReport.ruleIds(K).stream();
  }

  @Test
  void everyRuleHasAPage() {
    assertThat(PAGES.ruleIds())
        .containsExactlyElementsOf(KnowledgeReport.ruleIds(K))
        .hasSizeGreaterThan(70);
    assertThat(PAGES.rulePage("no-such-rule")).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ruleIds")
  void aRulePageShowsItsConditionIndicatorSourcesAndReviewStatus(String id) {
    String html = PAGES.rulePage(id).orElseThrow();

    assertThat(html).startsWith("<!DOCTYPE html>").contains("<title>Rule " + id);
    assertThat(html).contains("<h1>Rule <code>" + id + "</code></h1>");
    assertThat(html).contains("<table>").contains("<td>Indicator</td>").contains("<td>Review</td>");
    assertThat(html).contains("<td>Sources</td>");
    for (Citation c : sources(id)) {
      assertThat(html).as("source %s", c.key()).contains("href=\"" + c.url() + "\"");
    }
    // A link to the whole report, at this rule's section.
    assertThat(html).contains("href=\"../report#" + Markdown.slug(id) + "\"");
    // No link of the page points into itself as if it were the report.
    assertThat(html).doesNotContain("href=\"#");
  }

  @Test
  void aBandPageStatesItsThresholdInWordsWithItsUnit() {
    String html = PAGES.rulePage("potassium-low").orElseThrow();

    assertThat(html).contains("<td>Condition</td>").contains("mmol/L");
    assertThat(html).contains("<td>Topic</td>").contains("<code>potassium-low</code>");
    assertThat(html).contains("<td>Suggested tests</td>").contains("magnesium");
    assertThat(html).contains("not yet signed off by a clinician");
  }

  @Test
  void linksToOtherRulesOpenTheirPagesAndOtherSectionsTheReport() {
    Set<String> ids = Set.copyOf(KnowledgeReport.ruleIds(K));

    String md = "see [tsh-high](#tsh-high) and [Analytes](#analytes) and [x](https://e.org/#a)";

    assertThat(KnowledgePages.relink(md, ids))
        .isEqualTo(
            "see [tsh-high](tsh-high) and [Analytes](../report#analytes) and"
                + " [x](https://e.org/#a)");
  }

  @Test
  void theReportPageIsTheWholeReportWithWorkingAnchors() {
    String html = PAGES.reportHtml();

    assertThat(PAGES.reportMarkdown()).isEqualTo(KnowledgeReport.render(K));
    assertThat(html).contains("<a id=\"potassium-low\"></a>").contains("href=\"#potassium-low\"");
    assertThat(html).contains("<h2>Appendix D: Sources</h2>");
  }

  private static List<Citation> sources(String id) {
    return Stream.of(
            K.rules().bands().stream().filter(b -> b.id().equals(id)).map(Band::sources),
            K.rules().patterns().stream()
                .filter(p -> p.band().id().equals(id))
                .map(p -> p.band().sources()),
            K.rules().trends().stream()
                .filter(t -> t.band().id().equals(id))
                .map(t -> t.band().sources()),
            K.rules().dueTests().stream().filter(d -> d.id().equals(id)).map(DueTestRule::sources),
            K.prescribing().rules().all().stream()
                .filter(r -> r.id().equals(id))
                .map(r -> r.sources()))
        .flatMap(s -> s)
        .findFirst()
        .orElseThrow();
  }
}
