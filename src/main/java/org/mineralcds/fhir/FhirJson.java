package org.mineralcds.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mineralcds.hook.JsonTrees;

/**
 * Reads the FHIR R4 JSON elements the mapper needs, straight from the request's JSON tree: building
 * HAPI's object model for every prefetched resource was most of a hook call's CPU (BENCHMARKS.md).
 * Tolerant where FHIR is (absent, null, empty and unexpected shapes read as absent), strict where a
 * value is read and cannot mean anything (a date or a number that is not one: {@link Malformed}).
 */
final class FhirJson {

  /**
   * FHIR's dateTime and instant: a year, year-month or date, or a date and time with an optional
   * time zone (FHIR requires one; the few senders that omit it are read as UTC). Seconds are
   * optional, as HAPI also accepts.
   */
  private static final Pattern DATE_TIME =
      Pattern.compile(
          "(\\d{4})(?:-(\\d{2})(?:-(\\d{2})"
              + "(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9})\\d*)?)?"
              + "(Z|[+-]\\d{2}:\\d{2})?)?)?)?");

  static final int MAX_DIGITS = 32;
  static final int MAX_MAGNITUDE = 30;

  private FhirJson() {}

  /** A value the service reads is present but cannot be read: the sender's data is not FHIR. */
  static final class Malformed extends RuntimeException {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /** A point in clinical time; {@code dateOnly} when the source gave a date or coarser. */
  record Time(Instant instant, boolean dateOnly) {}

  /**
   * True, or an error naming {@code field} when it is one the request readers leave out: a mapper
   * that starts reading one must not silently find nothing (checked with assertions, as in tests).
   */
  static boolean readable(String field) {
    if (JsonTrees.UNREAD_FHIR_MEMBERS.contains(field)) {
      throw new AssertionError(
          "'" + field + "' is left out when resources are read (JsonTrees.UNREAD_FHIR_MEMBERS)");
    }
    return true;
  }

  /** The string value of {@code field}, or null when absent, empty or not a primitive. */
  static String text(JsonNode parent, String field) {
    assert readable(field);
    JsonNode value = parent.get(field);
    if (value == null || !value.isValueNode() || value.isNull()) {
      return null;
    }
    String text = value.asText();
    return text.isEmpty() ? null : text;
  }

  /** The object at {@code field} when it has any content, else null (HAPI's {@code hasX()}). */
  static JsonNode object(JsonNode parent, String field) {
    assert readable(field);
    JsonNode value = parent.get(field);
    return value != null && value.isObject() && !value.isEmpty() ? value : null;
  }

  /** The objects of the array at {@code field}; empty when absent or not an array. */
  static List<JsonNode> objects(JsonNode parent, String field) {
    assert readable(field);
    JsonNode value = parent.get(field);
    if (value == null || !value.isArray() || value.isEmpty()) {
      return List.of();
    }
    List<JsonNode> objects = new ArrayList<>(value.size());
    for (JsonNode element : value) {
      if (element.isObject()) {
        objects.add(element);
      }
    }
    return objects;
  }

  static boolean has(JsonNode parent, String field) {
    assert readable(field);
    JsonNode value = parent.get(field);
    return value != null && !value.isNull() && !(value.isContainerNode() && value.isEmpty());
  }

  /** The resource's logical id, or null. */
  static String id(JsonNode resource) {
    return text(resource, "id");
  }

  static String resourceType(JsonNode resource) {
    return text(resource, "resourceType");
  }

  /**
   * Why {@code value} does not have the shape of a FHIR R4 resource, or null when it does: an
   * object of a known type; a Bundle's entries objects whose resources have that shape too. The
   * content is read (and judged) later, by the mapper; this is the check before it, the same for a
   * prefetch value and a FHIR server's answer.
   *
   * @param resourceTypes the FHIR R4 resource type names
   */
  static String shapeProblem(JsonNode value, Set<String> resourceTypes) {
    if (value == null || !value.isObject()) {
      return "is not a FHIR R4 resource";
    }
    String type = resourceType(value);
    if (type == null || !resourceTypes.contains(type)) {
      return "is not a FHIR R4 resource: unknown resourceType";
    }
    if (type.equals("Bundle")) {
      JsonNode entries = value.get("entry");
      if (entries != null && !entries.isNull() && !entries.isArray()) {
        return "is a Bundle whose entry is not a list";
      }
      for (JsonNode entry : entries == null ? List.<JsonNode>of() : entries) {
        JsonNode resource = entry.get("resource");
        if (!entry.isObject() || resource != null && !resource.isObject()) {
          return "is a Bundle with an entry that is not a FHIR resource";
        }
        if (resource != null) {
          String inner = shapeProblem(resource, resourceTypes);
          if (inner != null) {
            return inner;
          }
        }
      }
    }
    return null;
  }

  /** The URL of a Bundle's {@code next} link, or null (also for any other resource). */
  static String nextLink(JsonNode resource) {
    if (!"Bundle".equals(resourceType(resource))) {
      return null;
    }
    for (JsonNode link : objects(resource, "link")) {
      if ("next".equals(text(link, "relation"))) {
        return text(link, "url");
      }
    }
    return null;
  }

  /** A FHIR decimal at {@code field}: a JSON number (or numeric string); null when absent. */
  static BigDecimal decimal(JsonNode parent, String field, String where) {
    assert readable(field);
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    BigDecimal number;
    if (value.isNumber()) {
      // A double node (a caller's parser without exact decimals) prints its shortest form.
      number =
          value.isFloatingPointNumber() && !value.isBigDecimal()
              ? new BigDecimal(value.asText())
              : value.decimalValue();
    } else if (value.isTextual()) {
      try {
        number = new BigDecimal(value.asText().trim());
      } catch (NumberFormatException e) {
        throw new Malformed(where + " is not a FHIR decimal");
      }
    } else {
      throw new Malformed(where + " is not a FHIR decimal");
    }
    return bounded(number, where);
  }

  /**
   * No lab value has more than {@value #MAX_DIGITS} digits or lies beyond 10^±{@value
   * #MAX_MAGNITUDE}; a number that does (1E+999999999) would cost unbounded time and memory to
   * scale and print, so it is refused rather than computed with.
   */
  static BigDecimal bounded(BigDecimal number, String where) {
    int magnitude = number.precision() - number.scale() - 1;
    if (number.precision() > MAX_DIGITS
        || number.signum() != 0 && Math.abs(magnitude) > MAX_MAGNITUDE) {
      throw new Malformed(where + " is not a FHIR decimal within range");
    }
    return number;
  }

  /** A FHIR dateTime or instant at {@code field}, or null when absent. */
  static Time time(JsonNode parent, String field, String where) {
    String text = text(parent, field);
    if (text == null) {
      return null;
    }
    String trimmed = text.trim();
    Time full = fullDateTime(trimmed, where);
    return full != null ? full : anyDateTime(trimmed, where);
  }

  /**
   * The form nearly every lab result carries, {@code yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:mm)},
   * read digit by digit: the regular expression's matcher and groups were a tenth of the bytes a
   * hook call allocated. Null for any other form, which {@link #anyDateTime} reads; both read a
   * text they both accept as the same instant ({@code FhirJsonTest}).
   */
  static Time fullDateTime(String s, String where) {
    int n = s.length();
    if (n < 20
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
      return null;
    }
    int i = 19;
    int nanos = 0;
    if (s.charAt(i) == '.') {
      int first = ++i;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
      }
      if (i == first) {
        return null;
      }
      for (int k = 0; k < 9; k++) {
        nanos = nanos * 10 + (first + k < i ? s.charAt(first + k) - '0' : 0);
      }
    }
    if (i == n) {
      return null;
    }
    char zone = s.charAt(i);
    try {
      ZoneOffset offset;
      if (zone == 'Z' && i + 1 == n) {
        offset = ZoneOffset.UTC;
      } else if ((zone == '+' || zone == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
        int hours = digits(s, i + 1, 2);
        int minutes = digits(s, i + 4, 2);
        if (hours < 0 || minutes < 0) {
          return null;
        }
        int sign = zone == '-' ? -1 : 1;
        offset = ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
      } else {
        return null;
      }
      return new Time(
          LocalDateTime.of(year, month, day, hour, minute, second, nanos).toInstant(offset), false);
    } catch (DateTimeException e) {
      throw new Malformed(where + " is not a FHIR dateTime");
    }
  }

  /** 0000-01-01T00:00:00Z and the second after 9999-12-31T23:59:59Z, in epoch seconds. */
  private static final long YEAR_0000 = -62_167_219_200L;

  private static final long YEAR_10000 = 253_402_300_800L;

  /**
   * Exactly {@link Instant#toString()} (ISO-8601 in UTC, seconds always, the fraction in groups of
   * three digits as needed), written directly for the years 0000-9999: the formatter it goes
   * through was a tenth of the mapping's CPU when every lab result's key was built with it.
   */
  static String instantText(Instant instant) {
    long seconds = instant.getEpochSecond();
    if (seconds < YEAR_0000 || seconds >= YEAR_10000) {
      return instant.toString();
    }
    long day = Math.floorDiv(seconds, 86_400L);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
    LocalDate date = LocalDate.ofEpochDay(day);
    int nanos = instant.getNano();
    char[] out =
        new char[nanos == 0 ? 20 : nanos % 1_000_000 == 0 ? 24 : nanos % 1000 == 0 ? 27 : 30];
    put(out, 0, date.getYear(), 4);
    out[4] = '-';
    put(out, 5, date.getMonthValue(), 2);
    out[7] = '-';
    put(out, 8, date.getDayOfMonth(), 2);
    out[10] = 'T';
    put(out, 11, secondOfDay / 3600, 2);
    out[13] = ':';
    put(out, 14, secondOfDay / 60 % 60, 2);
    out[16] = ':';
    put(out, 17, secondOfDay % 60, 2);
    int end = 19;
    if (nanos != 0) {
      out[end++] = '.';
      int digits = out.length - 21;
      put(out, end, nanos / (digits == 3 ? 1_000_000 : digits == 6 ? 1000 : 1), digits);
      end += digits;
    }
    out[end] = 'Z';
    return new String(out);
  }

  /** {@code value} as {@code count} decimal digits, zero-padded, at {@code at}. */
  private static void put(char[] out, int at, int value, int count) {
    for (int i = at + count - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** The number written by {@code count} ASCII digits at {@code from}, or -1. */
  private static int digits(String s, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  /** Every form FHIR's dateTime and instant allow (and a missing zone, read as UTC). */
  static Time anyDateTime(String text, String where) {
    Matcher m = DATE_TIME.matcher(text);
    if (!m.matches()) {
      throw new Malformed(where + " is not a FHIR dateTime");
    }
    try {
      int year = Integer.parseInt(m.group(1));
      int month = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
      int day = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
      LocalDate date = LocalDate.of(year, month, day);
      if (m.group(4) == null) {
        return new Time(date.atStartOfDay(ZoneOffset.UTC).toInstant(), true);
      }
      int nanos =
          m.group(7) == null ? 0 : Integer.parseInt((m.group(7) + "00000000").substring(0, 9));
      LocalDateTime local =
          date.atTime(
              Integer.parseInt(m.group(4)),
              Integer.parseInt(m.group(5)),
              m.group(6) == null ? 0 : Integer.parseInt(m.group(6)),
              nanos);
      ZoneOffset offset = m.group(8) == null ? ZoneOffset.UTC : ZoneOffset.of(m.group(8));
      return new Time(local.toInstant(offset), false);
    } catch (DateTimeException e) {
      throw new Malformed(where + " is not a FHIR dateTime");
    }
  }

  /** A FHIR date (year, year-month or full date) at {@code field}, or null when absent. */
  static LocalDate date(JsonNode parent, String field, String where) {
    Time time = time(parent, field, where);
    return time == null ? null : LocalDate.ofInstant(time.instant(), ZoneOffset.UTC);
  }
}
