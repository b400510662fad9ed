package org.mineralcds.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a prefetch template into a relative FHIR URL with an encoded query: {@code {{context.x}}}
 * for first-level primitive context members, {@code {{userPractitionerId}}}-style tokens derived
 * from context.userId, and the sandbox's {@code {{today()}}} / {@code {{today() - N days}}}.
 */
public final class PrefetchTemplate {

  private static final Pattern TOKEN = Pattern.compile("\\{\\{\\s*([^}]+?)\\s*}}");
  private static final Pattern TODAY =
      Pattern.compile("today\\(\\)(?:\\s*([+-])\\s*(\\d+)\\s*days?)?");

  private PrefetchTemplate() {}

  /**
   * @throws IllegalArgumentException when a token cannot be resolved from this context
   */
  public static String render(String template, JsonNode context, LocalDate today) {
    int q = template.indexOf('?');
    String path = q < 0 ? template : template.substring(0, q);
    StringBuilder out = new StringBuilder(fill(path, context, today, true));
    if (q < 0) {
      return out.toString();
    }
    out.append('?');
    String[] params = template.substring(q + 1).split("&");
    for (int i = 0; i < params.length; i++) {
      if (i > 0) {
        out.append('&');
      }
      int eq = params[i].indexOf('=');
      if (eq < 0) {
        out.append(params[i]);
      } else {
        out.append(params[i], 0, eq + 1)
            .append(fill(params[i].substring(eq + 1), context, today, false));
      }
    }
    return out.toString();
  }

  /**
   * Substitutes tokens, then encodes: values from the context can never add query parameters or
   * path segments, and '|' and ',' survive HTTP clients that reject them raw.
   */
  private static String fill(String text, JsonNode context, LocalDate today, boolean pathPart) {
    Matcher m = TOKEN.matcher(text);
    StringBuilder out = new StringBuilder();
    int last = 0;
    while (m.find()) {
      out.append(encodeLiteral(text.substring(last, m.start()), pathPart));
      out.append(encodeValue(resolve(m.group(1), context, today)));
      last = m.end();
    }
    out.append(encodeLiteral(text.substring(last), pathPart));
    return out.toString();
  }

  private static String encodeLiteral(String literal, boolean pathPart) {
    return pathPart ? literal : encodeValue(literal);
  }

  private static String encodeValue(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String resolve(String token, JsonNode context, LocalDate today) {
    if (token.startsWith("context.")) {
      JsonNode value = context.get(token.substring("context.".length()));
      if (value == null || !value.isValueNode() || value.isNull() || value.asText().isBlank()) {
        throw new IllegalArgumentException("context has no value for {{" + token + "}}");
      }
      return value.asText();
    }
    Matcher today_ = TODAY.matcher(token);
    if (today_.matches()) {
      if (today_.group(1) == null) {
        return today.toString();
      }
      long days = Long.parseLong(today_.group(2));
      return (today_.group(1).equals("-") ? today.minusDays(days) : today.plusDays(days))
          .toString();
    }
    String userId = context.path("userId").asText("");
    for (String type :
        new String[] {"Practitioner", "PractitionerRole", "Patient", "RelatedPerson"}) {
      if (token.equals("user" + type + "Id") && userId.startsWith(type + "/")) {
        return userId.substring(type.length() + 1);
      }
    }
    throw new IllegalArgumentException("unsupported prefetch token {{" + token + "}}");
  }
}
