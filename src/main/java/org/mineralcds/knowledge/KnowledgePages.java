package org.mineralcds.knowledge;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * The knowledge as web pages, generated at start-up from the loaded knowledge: one page per rule
 * (the page each card's {@code source.url} points to: the rule's kind, inputs, thresholds in plain
 * words, indicator, card wording, suggested tests, sources with links and review status, exactly as
 * in the knowledge report) and the whole knowledge report. Rule pages live side by side, so a link
 * from one rule to another is relative; links to other sections go to the report.
 */
public final class KnowledgePages {

  /** Path of the report page, relative to a rule page. */
  static final String REPORT_FROM_RULE = "../report";

  private static final List<org.commonmark.Extension> EXTENSIONS =
      List.of(TablesExtension.create());
  private static final Pattern LOCAL_LINK = Pattern.compile("\\]\\(#([A-Za-z0-9_-]+)\\)");

  private final Knowledge knowledge;
  private volatile Rendered rendered;

  /** The pages, rendered on first use (or by {@link #render()}): start-up does not wait. */
  public KnowledgePages(Knowledge knowledge) {
    this.knowledge = knowledge;
  }

  /** Renders every page now, if not done yet; safe to call from a background thread. */
  public void render() {
    rendered();
  }

  private Rendered rendered() {
    Rendered r = rendered;
    if (r == null) {
      synchronized (this) {
        r = rendered;
        if (r == null) {
          r = new Rendered(knowledge);
          rendered = r;
        }
      }
    }
    return r;
  }

  /** The HTML page about one rule, if the id names one. */
  public Optional<String> rulePage(String ruleId) {
    return Optional.ofNullable(rendered().rulePages.get(ruleId));
  }

  /** Every rule id with a page, in evaluation order. */
  public Set<String> ruleIds() {
    return rendered().rulePages.keySet();
  }

  /** The knowledge report as HTML. */
  public String reportHtml() {
    return rendered().reportHtml;
  }

  /** The knowledge report as Markdown (the text of docs/knowledge-report.md). */
  public String reportMarkdown() {
    return rendered().reportMarkdown;
  }

  /** Every page, rendered once. */
  private static final class Rendered {
    private final String title;
    private final String reportMarkdown;
    private final String reportHtml;
    private final Map<String, String> rulePages = new LinkedHashMap<>();

    Rendered(Knowledge knowledge) {
      this.title = knowledge.service().title();
      this.reportMarkdown = KnowledgeReport.render(knowledge);
      Parser parser = Parser.builder().extensions(EXTENSIONS).build();
      HtmlRenderer html = HtmlRenderer.builder().extensions(EXTENSIONS).build();
      this.reportHtml =
          page(
              "Clinical knowledge report: " + title,
              html.render(parser.parse(withHeadingIds(reportMarkdown))));
      List<String> ids = KnowledgeReport.ruleIds(knowledge);
      Set<String> ruleIds = Set.copyOf(ids);
      Map<String, String> sections = ruleSections(reportMarkdown, ruleIds);
      for (String id : ids) {
        String section = sections.get(id);
        if (section == null) {
          throw new IllegalStateException("rule " + id + " has no section in the knowledge report");
        }
        String md =
            "# Rule "
                + Markdown.code(id)
                + "\n\n"
                + "Part of the clinical knowledge of "
                + Markdown.text(title)
                + ". Cards this rule gives link here. The same table, with every other rule, the"
                + " analytes, drug classes, condition sets and all sources, is in the [clinical"
                + " knowledge report]("
                + REPORT_FROM_RULE
                + "#"
                + Markdown.slug(id)
                + ").\n\n"
                + relink(section.substring(section.indexOf('\n') + 1), ruleIds);
        rulePages.put(id, page("Rule " + id + " · " + title, html.render(parser.parse(md))));
      }
    }
  }

  /** Each rule's section of the report: from its heading to the next heading. */
  static Map<String, String> ruleSections(String markdown, Set<String> ruleIds) {
    Map<String, String> sections = new HashMap<>();
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String id = headingText(lines[i]);
      if (id == null || !ruleIds.contains(id) || sections.containsKey(id)) {
        continue;
      }
      StringBuilder section = new StringBuilder(lines[i]).append('\n');
      for (int j = i + 1; j < lines.length && !lines[j].startsWith("#"); j++) {
        section.append(lines[j]).append('\n');
      }
      sections.put(id, section.toString());
    }
    return sections;
  }

  private static String headingText(String line) {
    int level = 0;
    while (level < line.length() && line.charAt(level) == '#') {
      level++;
    }
    if (level == 0 || level >= line.length() || line.charAt(level) != ' ') {
      return null;
    }
    return line.substring(level + 1).strip().replace("\\", "");
  }

  /** Links to another rule open its page; links to other sections open the report. */
  static String relink(String markdown, Set<String> ruleIds) {
    Matcher m = LOCAL_LINK.matcher(markdown);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String anchor = m.group(1);
      String target = ruleIds.contains(anchor) ? anchor : REPORT_FROM_RULE + "#" + anchor;
      m.appendReplacement(out, Matcher.quoteReplacement("](" + target + ")"));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * The report's headings with the ids GitHub gives them, so its own table of contents (links to
   * "#anchor") works in the HTML page too.
   */
  private static String withHeadingIds(String markdown) {
    Markdown slugs = new Markdown();
    StringBuilder out = new StringBuilder();
    for (String line : markdown.split("\n", -1)) {
      String text = headingText(line);
      if (text != null) {
        out.append("<a id=\"").append(slugs.anchor(text)).append("\"></a>\n\n");
      }
      out.append(line).append('\n');
    }
    return out.toString();
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
        + escape(title)
        + "</title>\n<style>\n"
        + "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        + "line-height:1.45;color:#1b1b1b}\n"
        + "table{border-collapse:collapse;width:100%;margin:1rem 0}\n"
        + "th,td{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;text-align:left}\n"
        + "th{background:#f3f3f3}\ncode{background:#f3f3f3;padding:0 .2rem}\n"
        + "</style>\n</head>\n<body>\n"
        + body
        + "</body>\n</html>\n";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
