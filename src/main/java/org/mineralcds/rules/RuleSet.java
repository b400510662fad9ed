package org.mineralcds.rules;

import java.util.List;
import java.util.Map;

/** The validated rules, with the tests and citations they refer to. */
public record RuleSet(
    List<AnalyteRule> rules,
    List<PatternRule> patterns,
    List<TrendRule> trends,
    List<DueTestRule> dueTests,
    CalciumPolicy calcium,
    Map<String, TestSpec> tests,
    Map<String, Citation> citations,
    List<LinkRule> links) {

  public RuleSet {
    rules = List.copyOf(rules);
    patterns = List.copyOf(patterns);
    trends = List.copyOf(trends);
    dueTests = List.copyOf(dueTests);
    tests = Map.copyOf(tests);
    citations = Map.copyOf(citations);
    links = List.copyOf(links);
  }

  /** The single-analyte rules (bands); patterns are in {@link #patterns()}. */
  public List<Band> bands() {
    return rules.stream().flatMap(r -> r.bands().stream()).toList();
  }
}
