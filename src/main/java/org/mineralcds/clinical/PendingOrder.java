package org.mineralcds.clinical;

import java.time.Instant;
import java.util.Set;

/** A lab test already ordered and not yet resulted (an active ServiceRequest). */
public record PendingOrder(String reference, Set<String> loincCodes, Instant authored) {

  public PendingOrder {
    loincCodes = Set.copyOf(loincCodes);
  }
}
