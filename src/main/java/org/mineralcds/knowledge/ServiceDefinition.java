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
 */
public record ServiceDefinition(
    String id,
    String hook,
    String title,
    String description,
    String usageRequirements,
    Map<String, String> prefetch,
    Set<String> requiredKeys) {

  public ServiceDefinition {
    prefetch = Collections.unmodifiableMap(new LinkedHashMap<>(prefetch));
    requiredKeys = Set.copyOf(requiredKeys);
  }
}
