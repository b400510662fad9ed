package org.mineralcds.rules;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fills card wording templates: "{value} {unit}" with the finding's values. */
public final class Wording {

  public static final Set<String> SUMMARY_PLACEHOLDERS =
      Set.of("value", "unit", "date", "measure", "whileOn");

  /** Trend summaries may also name the earlier result. */
  public static final String PREVIOUS = "previous";

  public static final int MAX_SUMMARY_LENGTH = 139;
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");

  private Wording() {}

  public static String fill(String template, Map<String, String> values) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("no value for {" + m.group(1) + "} in: " + template);
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** "a", "a and b", "a, b and c". */
  public static String list(java.util.List<String> items) {
    if (items.size() <= 1) {
      return items.isEmpty() ? "" : items.get(0);
    }
    return String.join(", ", items.subList(0, items.size() - 1))
        + " and "
        + items.get(items.size() - 1);
  }

  /** A period in words: "3 days", "2 weeks", "6 months". */
  public static String period(int days) {
    if (days >= 60) {
      long months = Math.round(days / 30.44);
      return months + " months";
    }
    if (days >= 14 && days % 7 == 0) {
      return days / 7 == 1 ? "1 week" : days / 7 + " weeks";
    }
    return days == 1 ? "1 day" : days + " days";
  }

  public static Set<String> placeholders(String template) {
    Set<String> names = new TreeSet<>();
    Matcher m = PLACEHOLDER.matcher(template);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
