package org.mineralcds.observability;

/**
 * Makes a caller-controlled string safe to put in a log line: control characters (CR, LF, tab,
 * escape, the C1 range and the Unicode line and paragraph separators) are written as {@code \n},
 * {@code \r}, {@code \t} or {@code \\uXXXX}, backslashes are doubled, double quotes escaped, and
 * the result is capped at {@link #MAX_CHARS} characters (then {@code ...} and the original length),
 * so one event is always one line of bounded length, whatever a token or request contains.
 */
public final class LogText {

  /** The longest text kept from one value. */
  public static final int MAX_CHARS = 128;

  private LogText() {}

  /** The value, escaped and capped; {@code "-"} for null. */
  public static String safe(Object value) {
    return safe(value, MAX_CHARS);
  }

  /** As {@link #safe(Object)}, in double quotes: a value with spaces cannot pose as fields. */
  public static String quoted(Object value) {
    return value == null ? "-" : "\"" + safe(value) + "\"";
  }

  /** As {@link #safe(Object)}, capped at {@code max} characters. */
  public static String safe(Object value, int max) {
    if (value == null) {
      return "-";
    }
    String text = value.toString();
    int keep = Math.min(text.length(), max);
    StringBuilder out = new StringBuilder(keep + 16);
    for (int i = 0; i < keep; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        default -> {
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (text.length() > keep) {
      out.append("...(").append(text.length()).append(" chars)");
    }
    return out.toString();
  }
}
