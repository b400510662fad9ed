package org.mineralcds.knowledge;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

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
    return template + (template.contains("?") ? "&" : "?") + extra;
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
