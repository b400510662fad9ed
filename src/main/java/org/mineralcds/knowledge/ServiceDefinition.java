package org.mineralcds.knowledge;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The discovery entry of a CDS service, as reviewed data.
 *
 * @param prefetch key to FHIR query template, in declaration order
 * @param requiredKeys keys without which the service answers 412
 * @param fetchOnlyWhen keys the service fetches itself only when it needs them, and when that is
 * @param optionalParameters search parameters a query can do without when a server refuses them
 * @param fetchParameters query parameters the service adds to its own query for a key (features the
 *     spec does not allow in prefetch templates, such as _include)
 */
public record ServiceDefinition(
    String id,
    String hook,
    String title,
    String description,
    String usageRequirements,
    Map<String, String> prefetch,
    Set<String> requiredKeys,
    Map<String, FetchWhen> fetchOnlyWhen,
    Set<String> optionalParameters,
    Map<String, String> fetchParameters) {

  /** When a key that was not prefetched is worth a request of the service's own. */
  public enum FetchWhen {
    /** Only when its resource did not arrive with another key (an _include). */
    NOT_INCLUDED("not-included"),
    /** Only when a card is about to suggest a test. */
    SUGGESTING("suggesting");

    private final String key;

    FetchWhen(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  public ServiceDefinition {
    prefetch = Collections.unmodifiableMap(new LinkedHashMap<>(prefetch));
    requiredKeys = Set.copyOf(requiredKeys);
    fetchOnlyWhen = Map.copyOf(fetchOnlyWhen);
    optionalParameters = Set.copyOf(optionalParameters);
    fetchParameters = Map.copyOf(fetchParameters);
  }

  /** The query the service itself sends for {@code key}: its template and any fetch parameters. */
  public String fetchTemplate(String key) {
    String template = prefetch.get(key);
    String extra = fetchParameters.get(key);
    if (template == null || extra == null || extra.isBlank()) {
      return template;
    }
    Matcher read = INSTANCE_READ.matcher(template);
    if (read.matches()) {
      // A read takes no search parameters: it becomes the search by _id that returns the same
      // resource, with them.
      return read.group(1) + "?_id=" + read.group(2) + "&" + extra;
    }
    return template + (template.contains("?") ? "&" : "?") + extra;
  }

  /** "Patient/{{context.patientId}}": a type and one id (or token), nothing else. */
  private static final Pattern INSTANCE_READ = Pattern.compile("([A-Z][A-Za-z]+)/([^/?]+)");

  /**
   * The keys whose own query (with its fetch parameters) brings {@code key}'s resources along, each
   * with the parameter that does it: {@code _include=Type:param[:Target]} includes the target type
   * (by default the parameter's name as a type: Observation:patient → Patient), {@code
   * _revinclude=Type:param} the resources of Type that point at the results.
   */
  public Map<String, String> includers(String key) {
    String template = prefetch.get(key);
    Map<String, String> includers = new LinkedHashMap<>();
    if (template == null) {
      return includers;
    }
    String type = template.split("[/?]", 2)[0];
    fetchParameters.forEach(
        (other, parameters) -> {
          if (other.equals(key)) {
            return;
          }
          for (String pair : parameters.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
              continue;
            }
            String name = pair.substring(0, eq);
            String[] parts = pair.substring(eq + 1).split(":");
            if (name.equals("_include") && parts.length >= 2) {
              String target =
                  parts.length >= 3
                      ? parts[2]
                      : parts[1].isEmpty()
                          ? ""
                          : Character.toUpperCase(parts[1].charAt(0)) + parts[1].substring(1);
              if (target.equals(type)) {
                includers.put(other, name);
              }
            } else if (name.equals("_revinclude") && parts[0].equals(type)) {
              includers.put(other, name);
            }
          }
        });
    return includers;
  }

  /** "authoredon=ge{{today() - N days}}" in a MedicationRequest template. */
  private static final Pattern ORDER_LOOKBACK =
      Pattern.compile("[?&]authoredon=ge\\{\\{\\s*today\\(\\)\\s*-\\s*(\\d+)\\s*days?\\s*}}");

  /**
   * How far back the plan reads the medication order history, in days: the lookback ({@code
   * authoredon=ge{{today() - N days}}}) of its MedicationRequest templates; null when none has one
   * (the whole history is read).
   */
  public Integer orderHistoryDays() {
    Integer days = null;
    for (String template : prefetch.values()) {
      if (template.startsWith("MedicationRequest?")) {
        Matcher m = ORDER_LOOKBACK.matcher(template);
        if (m.find()) {
          int n = Integer.parseInt(m.group(1));
          days = days == null ? n : Math.max(days, n);
        }
      }
    }
    return days;
  }

  /** The keys fetched from fhirServer, when not prefetched, only under {@code when}. */
  public Set<String> keysFetchedOnlyWhen(FetchWhen when) {
    Set<String> keys = new java.util.LinkedHashSet<>();
    fetchOnlyWhen.forEach(
        (key, w) -> {
          if (w == when) {
            keys.add(key);
          }
        });
    return keys;
  }
}
