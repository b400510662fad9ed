package org.mineralcds.auth;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers (issuer, jti) pairs, with the request key they were first seen with, in this process
 * until their token could no longer be accepted. Bounded: when full, expired entries are swept; if
 * still full, the call is refused rather than forgetting a live entry. Used when the service has no
 * memory database: a token used on one replica is not known to another, nor after a restart.
 */
final class InProcessReplayCache implements ReplayCache {

  /** A live pair: until when, and the request key of its first sighting (or null). */
  private record Entry(Instant until, String requestKey) {}

  private final Map<String, Entry> seen = new ConcurrentHashMap<>();
  private final int capacity;

  InProcessReplayCache(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public Use record(
      String issuer, String jti, String requestKey, Instant rememberUntil, Instant now) {
    if (seen.size() >= capacity) {
      sweep(now);
      if (seen.size() >= capacity) {
        // A retry adds nothing, so it is still told apart; anything else is refused.
        Entry live = seen.get(key(issuer, jti));
        return isRetry(live, requestKey, now) ? Use.RETRY : Use.FULL;
      }
    }
    String key = key(issuer, jti);
    Entry entry = new Entry(rememberUntil, requestKey);
    Entry previous = seen.putIfAbsent(key, entry);
    if (previous == null) {
      return Use.FIRST;
    }
    if (previous.until().isBefore(now)) {
      // An expired entry for the same jti: the earlier token can no longer be accepted anyway.
      return seen.replace(key, previous, entry) ? Use.FIRST : Use.REPLAYED;
    }
    return isRetry(previous, requestKey, now) ? Use.RETRY : Use.REPLAYED;
  }

  private static boolean isRetry(Entry live, String requestKey, Instant now) {
    return live != null
        && !live.until().isBefore(now)
        && requestKey != null
        && Objects.equals(live.requestKey(), requestKey);
  }

  /** Records the pair without a request key; false when it was already recorded or full. */
  boolean firstUse(String issuer, String jti, Instant rememberUntil, Instant now) {
    return record(issuer, jti, rememberUntil, now) == Use.FIRST;
  }

  private static String key(String issuer, String jti) {
    return issuer + "\u0000" + jti;
  }

  private void sweep(Instant now) {
    for (Iterator<Map.Entry<String, Entry>> it = seen.entrySet().iterator(); it.hasNext(); ) {
      if (it.next().getValue().until().isBefore(now)) {
        it.remove();
      }
    }
  }

  int size() {
    return seen.size();
  }
}
