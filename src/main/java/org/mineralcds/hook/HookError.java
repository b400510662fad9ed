package org.mineralcds.hook;

/**
 * A call that cannot be answered with cards. The message is safe to show the caller: it never
 * contains tokens or patient data.
 */
public final class HookError extends RuntimeException {

  /** What went wrong, which the transport maps to an HTTP status. */
  public enum Kind {
    BAD_REQUEST(400, "invalid"),
    FORBIDDEN(403, "forbidden"),
    NOT_FOUND(404, "not-found"),
    PRECONDITION_FAILED(412, "processing"),
    /** A dependency (the memory database) is down: retry later (sent with Retry-After). */
    UNAVAILABLE(503, "transient");

    private final int status;
    private final String issueCode;

    Kind(int status, String issueCode) {
      this.status = status;
      this.issueCode = issueCode;
    }

    public int status() {
      return status;
    }

    /** The FHIR OperationOutcome issue type. */
    public String issueCode() {
      return issueCode;
    }
  }

  private final Kind kind;

  public HookError(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static HookError badRequest(String message) {
    return new HookError(Kind.BAD_REQUEST, message);
  }
}
