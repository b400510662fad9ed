package org.mineralcds.fhir;

/** A FHIR server call failed; the message names the status or the network problem, never data. */
public final class FhirFetchException extends RuntimeException {

  public FhirFetchException(String message, Throwable cause) {
    super(message, cause);
  }
}
