package org.mineralcds.knowledge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GitHub-flavoured Markdown for the knowledge report: escaping of data text, links, two-column
 * tables and heading anchors computed the way GitHub computes them.
 */
final class Markdown {

  private final StringBuilder out = new StringBuilder();
  private final Map<String, Integer> slugs = new HashMap<>();
  private final List<Heading> headings = new ArrayList<>();

  /**
   * A heading written so far, with the anchor GitHub gives it.
   *
   * @param rule a rule's heading: listed inline under its group in the table of contents
   */
  record Heading(int level, String text, String anchor, boolean rule) {}

  /** Writes a section heading and returns its anchor; {@code text} is plain (escaped here). */
  String heading(int level, String text) {
    return heading(level, text, false);
  }

  /** Writes the heading of one rule (its id) and returns its anchor. */
  String ruleHeading(int level, String id) {
    return heading(level, id, true);
  }

  private String heading(int level, String text, boolean rule) {
    String anchor = anchor(text);
    headings.add(new Heading(level, text, anchor, rule));
    out.append("#".repeat(level)).append(' ').append(text(text)).append("\n\n");
    return anchor;
  }

  /** Reserves the anchor of a heading written elsewhere (keeps duplicate numbering right). */
  String anchor(String text) {
    String base = slug(text);
    int seen = slugs.merge(base, 1, Integer::sum) - 1;
    return seen == 0 ? base : base + "-" + seen;
  }

  List<Heading> headings() {
    return List.copyOf(headings);
  }

  /** A paragraph of already formatted Markdown. */
  Markdown paragraph(String markdown) {
    out.append(markdown).append("\n\n");
    return this;
  }

  /** Raw Markdown, as given. */
  Markdown raw(String markdown) {
    out.append(markdown);
    return this;
  }

  /** A two-column table of already formatted cells; rows with an empty value are left out. */
  Markdown table(String keyHeader, String valueHeader, List<String[]> rows) {
    out.append("| ").append(keyHeader).append(" | ").append(valueHeader).append(" |\n");
    out.append("|---|---|\n");
    for (String[] row : rows) {
      if (row[1] != null && !row[1].isEmpty()) {
        out.append("| ").append(row[0]).append(" | ").append(row[1]).append(" |\n");
      }
    }
    out.append('\n');
    return this;
  }

  /** A table of already formatted cells. */
  Markdown table(List<String> headers, List<List<String>> rows) {
    out.append("| ").append(String.join(" | ", headers)).append(" |\n");
    out.append("|").append("---|".repeat(headers.size())).append('\n');
    for (List<String> row : rows) {
      out.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    out.append('\n');
    return this;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  // ---- inline text --------------------------------------------------------------------------

  /**
   * Data text made safe for a paragraph or a table cell: one line, with the characters that
   * Markdown or HTML would interpret escaped.
   */
  static String text(String s) {
    if (s == null) {
      return "";
    }
    String flat = s.strip().replaceAll("\\s*\\R\\s*", " ");
    StringBuilder e = new StringBuilder(flat.length() + 16);
    for (int i = 0; i < flat.length(); i++) {
      char c = flat.charAt(i);
      switch (c) {
        case '\\', '|', '*', '`', '[', ']', '~', '$', '#' -> e.append('\\').append(c);
        case '_' -> e.append(intraword(flat, i) ? "_" : "\\_");
        case '<' -> e.append("&lt;");
        case '>' -> e.append("&gt;");
        case '&' -> e.append("&amp;");
        default -> e.append(c);
      }
    }
    return e.toString();
  }

  /** An identifier or code, as inline code. */
  static String code(String s) {
    String fence = s.contains("`") ? "``" : "`";
    String pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
    return fence + pad + s.replace("|", "\\|") + pad + fence;
  }

  /** A link with an escaped title; characters that would end the URL are percent-encoded. */
  static String link(String title, String url) {
    String target =
        url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C");
    return "[" + text(title) + "](" + target + ")";
  }

  /** A link to a heading of this document. */
  static String ref(String text, String anchor) {
    return "[" + text(text) + "](#" + anchor + ")";
  }

  static String bold(String markdown) {
    return "**" + markdown + "**";
  }

  private static boolean intraword(String s, int i) {
    return i > 0
        && i < s.length() - 1
        && Character.isLetterOrDigit(s.charAt(i - 1))
        && Character.isLetterOrDigit(s.charAt(i + 1));
  }

  /** GitHub's heading anchor: lower case, punctuation other than '-' and '_' dropped. */
  static String slug(String heading) {
    StringBuilder s = new StringBuilder();
    for (char c : heading.toLowerCase(Locale.ROOT).toCharArray()) {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        s.append(c);
      } else if (c == ' ') {
        s.append('-');
      }
    }
    return s.toString();
  }
}
