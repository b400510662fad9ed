package org.mineralcds.knowledge;

import java.util.List;
import org.mineralcds.rules.OrderRuleSet;

/**
 * The prescribing-time knowledge (hooks/prescribing/), validated against the patient-view knowledge
 * it refers to (drug classes, tests, sources, condition sets).
 *
 * @param services the discovery entries of mineral-order-select and mineral-order-sign, each with
 *     the query plan of mineral-balance
 */
public record Prescribing(List<ServiceDefinition> services, OrderRuleSet rules) {

  public Prescribing {
    services = List.copyOf(services);
  }

  /** The service on {@code hook}. */
  public ServiceDefinition service(String hook) {
    return services.stream()
        .filter(s -> s.hook().equals(hook))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no prescribing service on " + hook));
  }
}
