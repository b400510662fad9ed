package org.mineralcds.auth;

import java.time.Instant;

/**
 * Where the (issuer, jti) pairs of accepted JWTs are remembered until their token could no longer
 * be accepted, so a captured JWT cannot be used twice. The authenticator sees only this port: the
 * composition root plugs in the database one (shared by every replica and kept across restarts)
 * whenever the service has a memory database, and {@link #inProcess(int)} otherwise.
 *
 * <p>Implementations are thread-safe and atomic: when several calls (on one replica or several)
 * record the same pair at once, exactly one of them gets {@link Use#FIRST}.
 *
 * <p>A pair may be recorded with a <em>request key</em> ({@link ProxyRetry}): a hash of the id the
 * trusted proxy stamped on the client's request, and of the request itself. A second sighting of a
 * live pair with the same key is the proxy sending the same client request again to another replica
 * (the first one died with the call in flight): {@link Use#RETRY}, accepted. Without a key, or with
 * another one, it is a replay.
 */
public interface ReplayCache {

  /** What recording a pair found. */
  enum Use {
    /** Not seen before (or only as an expired entry): recorded now, the token may be accepted. */
    FIRST,
    /**
     * Seen before, first recorded with the same request key: the proxy's retry of the same client
     * request (accepted; nothing is recorded).
     */
    RETRY,
    /** Seen before and still within its lifetime (without the same request key): a replay. */
    REPLAYED,
    /** The cache cannot remember another live pair: the token is refused. */
    FULL
  }

  /**
   * Records (issuer, jti) until {@code rememberUntil}, with {@code requestKey} when not null.
   *
   * @param requestKey the {@link ProxyRetry#requestKey} of this request, or null: a later sighting
   *     is then always a replay
   * @throws Unavailable when the shared store cannot answer now; the caller must refuse the token
   *     (fail closed) rather than accept it unchecked
   */
  Use record(String issuer, String jti, String requestKey, Instant rememberUntil, Instant now);

  /** {@link #record(String, String, String, Instant, Instant)} without a request key. */
  default Use record(String issuer, String jti, Instant rememberUntil, Instant now) {
    return record(issuer, jti, null, rememberUntil, now);
  }

  /** A bounded cache in this process only: replays on other replicas or after a restart pass. */
  static ReplayCache inProcess(int capacity) {
    return new InProcessReplayCache(capacity);
  }

  /** The shared store could not be asked; nothing was recorded. */
  final class Unavailable extends RuntimeException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
