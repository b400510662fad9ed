package org.mineralcds.auth;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers (issuer, jti) pairs in this process until their token could no longer be accepted.
 * Bounded: when full, expired entries are swept; if still full, the call is refused rather than
 * forgetting a live entry. Used when the service has no memory database: a token used on one
 * replica is not known to another, nor after a restart.
 */
final class InProcessReplayCache implements ReplayCache {

  private final Map<String, Instant> seen = new ConcurrentHashMap<>();
  private final int capacity;

  InProcessReplayCache(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public Use record(String issuer, String jti, Instant rememberUntil, Instant now) {
    if (firstUse(issuer, jti, rememberUntil, now)) {
      return Use.FIRST;
    }
    return atCapacity() ? Use.FULL : Use.REPLAYED;
  }

  /** Records the pair; false when it was already recorded (a replay) or the cache is full. */
  boolean firstUse(String issuer, String jti, Instant rememberUntil, Instant now) {
    if (seen.size() >= capacity) {
      sweep(now);
      if (seen.size() >= capacity) {
        return false;
      }
    }
    String key = issuer + "\u0000" + jti;
    Instant previous = seen.putIfAbsent(key, rememberUntil);
    if (previous != null && previous.isBefore(now)) {
      // An expired entry for the same jti: the earlier token can no longer be accepted anyway.
      return seen.replace(key, previous, rememberUntil);
    }
    return previous == null;
  }

  private void sweep(Instant now) {
    for (Iterator<Map.Entry<String, Instant>> it = seen.entrySet().iterator(); it.hasNext(); ) {
      if (it.next().getValue().isBefore(now)) {
        it.remove();
      }
    }
  }

  boolean atCapacity() {
    return seen.size() >= capacity;
  }

  int size() {
    return seen.size();
  }
}
