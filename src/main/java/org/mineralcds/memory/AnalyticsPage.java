package org.mineralcds.memory;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The analytics as one HTML page with inline SVG bar charts: no script, no CDN. Keys (rule ids,
 * topics, issuers) are escaped; there are no patient identifiers to show.
 */
public final class AnalyticsPage {

  private AnalyticsPage() {}

  public static String html(AnalyticsReport report) {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>mineral-cds analytics</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse;margin-bottom:2em}")
        .append("td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right}")
        .append("td:first-child,th:first-child{text-align:left}")
        .append("tr.flagged td{background:#fdecea}.flag{color:#b00020;font-weight:bold}")
        .append("</style></head><body>");
    h.append("<h1>Card analytics</h1><p>From ")
        .append(esc(report.from()))
        .append(" to ")
        .append(esc(report.to()))
        .append(report.issuer() == null ? ", all issuers" : ", issuer " + esc(report.issuer()))
        .append(". <strong id=\"openings\">")
        .append(report.chartOpenings())
        .append("</strong> chart openings. Rules overridden ")
        .append(report.overrideFlagPercent())
        .append(" % of the time or more (with at least ")
        .append(AnalyticsQuery.MIN_CARDS_TO_FLAG)
        .append(" cards shown) are flagged for review. JSON: <a href=\"analytics\">analytics</a>.")
        .append("</p>");
    section(h, "Rules", "rules", report.rules());
    section(h, "Topics", "topics", report.topics());
    section(h, "Issuers", "issuers", report.issuers());
    h.append("</body></html>");
    return h.toString();
  }

  private static void section(
      StringBuilder h, String title, String id, List<AnalyticsReport.Row> rows) {
    h.append("<h2>").append(title).append("</h2>");
    if (rows.isEmpty()) {
      h.append("<p>No cards in this period.</p>");
      return;
    }
    h.append(chart(rows));
    h.append("<table id=\"")
        .append(id)
        .append("\"><tr><th>")
        .append(title.substring(0, title.length() - 1))
        .append("</th><th>shown</th><th>silent</th><th>per 100 openings</th><th>accepted</th>")
        .append("<th>overridden</th><th>acceptance</th><th>override rate</th>")
        .append("<th>overrides by reason</th><th>median hours to result</th></tr>");
    for (AnalyticsReport.Row r : rows) {
      h.append(r.flagged() ? "<tr class=\"flagged\">" : "<tr>")
          .append("<td>")
          .append(esc(r.key()))
          .append(r.flagged() ? " <span class=\"flag\">review</span>" : "")
          .append("</td><td>")
          .append(r.shown())
          .append("</td><td>")
          .append(r.silent())
          .append("</td><td>")
          .append(fmt(r.perHundredOpenings()))
          .append("</td><td>")
          .append(r.accepted())
          .append("</td><td>")
          .append(r.overridden())
          .append("</td><td>")
          .append(pct(r.acceptanceRate()))
          .append("</td><td>")
          .append(pct(r.overrideRate()))
          .append("</td><td>")
          .append(reasons(r.overridesByReason()))
          .append("</td><td>")
          .append(r.medianHoursToResult() == null ? "" : fmt(r.medianHoursToResult()))
          .append("</td></tr>");
    }
    h.append("</table>");
  }

  /** Horizontal bars: shown (grey), of which accepted (green) and overridden (red). */
  private static String chart(List<AnalyticsReport.Row> rows) {
    List<AnalyticsReport.Row> top = rows.stream().limit(20).toList();
    long max = Math.max(1, top.stream().mapToLong(r -> r.shown() + r.silent()).max().orElse(1));
    int rowHeight = 22;
    int labelWidth = 260;
    int barWidth = 420;
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"")
        .append(labelWidth + barWidth + 80)
        .append("\" height=\"")
        .append(top.size() * rowHeight + 24)
        .append("\" font-size=\"12\"><title>cards shown, accepted and overridden</title>");
    int y = 0;
    for (AnalyticsReport.Row r : top) {
      double scale = (double) barWidth / max;
      s.append("<text x=\"0\" y=\"")
          .append(y + 15)
          .append("\">")
          .append(esc(r.key().length() > 40 ? r.key().substring(0, 40) + "…" : r.key()))
          .append("</text>");
      bar(s, labelWidth, y + 3, r.shown() * scale, "#bbb");
      bar(s, labelWidth + r.shown() * scale, y + 3, r.silent() * scale, "#ddd");
      bar(s, labelWidth, y + 3, r.accepted() * scale, "#2e7d32");
      bar(s, labelWidth + r.accepted() * scale, y + 3, r.overridden() * scale, "#c62828");
      s.append("<text x=\"")
          .append(labelWidth + (int) ((r.shown() + r.silent()) * scale) + 4)
          .append("\" y=\"")
          .append(y + 15)
          .append("\">")
          .append(r.shown())
          .append("</text>");
      y += rowHeight;
    }
    s.append("<text x=\"")
        .append(labelWidth)
        .append("\" y=\"")
        .append(y + 16)
        .append("\">grey: shown, light: silent, green: accepted, red: overridden</text></svg>");
    return s.toString();
  }

  private static void bar(StringBuilder s, double x, int y, double width, String colour) {
    if (width <= 0) {
      return;
    }
    s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\"", x, y, width))
        .append(" height=\"16\" fill=\"")
        .append(colour)
        .append("\"/>");
  }

  private static String reasons(Map<String, Long> reasons) {
    StringBuilder s = new StringBuilder();
    reasons.forEach(
        (k, v) -> s.append(s.length() == 0 ? "" : ", ").append(esc(k)).append(": ").append(v));
    return s.toString();
  }

  private static String pct(double rate) {
    return String.format(Locale.ROOT, "%.0f %%", rate * 100);
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.1f", x);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;")
        .replace("'", "&#39;");
  }
}
