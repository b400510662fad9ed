package org.mineralcds.fhir;

/** A FHIR server call failed; the message names the status or the network problem, never data. */
public final class FhirFetchException extends RuntimeException {

  public FhirFetchException(String message, Throwable cause) {
    super(message, cause);
  }

  public FhirFetchException(String message) {
    super(message);
  }

  /**
   * A short, fixed reason for metrics: http-401, connect, timeout, too-large, unreadable or other.
   */
  public String reason() {
    String m = getMessage();
    if (m.startsWith("FHIR server answered HTTP ")) {
      return "http-" + m.substring("FHIR server answered HTTP ".length()).trim();
    }
    if (m.contains("could not connect")) {
      return "connect";
    }
    if (m.contains("did not answer")) {
      return "timeout";
    }
    if (m.contains("larger than")) {
      return "too-large";
    }
    if (m.contains("could not be read")) {
      return "unreadable";
    }
    return "other";
  }
}
