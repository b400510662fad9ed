package org.mineralcds.auth;

/**
 * A call whose JWT is not accepted. The caller gets 401 with no detail; the reason goes to the log
 * and the metrics.
 */
public final class AuthenticationFailure extends Exception {

  /** Why a JWT was rejected. */
  public enum Reason {
    MISSING("missing"),
    MALFORMED("malformed"),
    ALGORITHM("algorithm"),
    UNKNOWN_ISSUER("unknown-issuer"),
    JKU_NOT_ALLOWED("jku-not-allowed"),
    UNKNOWN_KEY("unknown-key"),
    BAD_SIGNATURE("bad-signature"),
    AUDIENCE("audience"),
    EXPIRED("expired"),
    NOT_YET_VALID("not-yet-valid"),
    ISSUED_IN_FUTURE("issued-in-future"),
    LIFETIME("lifetime-too-long"),
    MISSING_CLAIM("missing-claim"),
    REPLAYED("replayed-jti"),
    REPLAY_CACHE_FULL("replay-cache-full"),
    /** The shared jti store cannot answer: the call is refused with 503, not 401. */
    REPLAY_CACHE_UNAVAILABLE("replay-cache-unavailable"),
    TENANT("tenant"),
    KEYS_UNAVAILABLE("keys-unavailable");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Reason reason;

  public AuthenticationFailure(Reason reason, String detail) {
    super(reason.code() + ": " + detail, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
