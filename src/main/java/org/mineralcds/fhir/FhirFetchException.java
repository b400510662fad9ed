package org.mineralcds.fhir;

/** A FHIR server call failed; the message names the status or the network problem, never data. */
public final class FhirFetchException extends RuntimeException {

  public FhirFetchException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A short, fixed reason for metrics: http-401, connect, timeout, unreadable or other. */
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
    if (m.contains("could not be read")) {
      return "unreadable";
    }
    return "other";
  }
}
