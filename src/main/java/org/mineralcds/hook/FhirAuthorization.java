package org.mineralcds.hook;

/**
 * The access token the EHR grants for its FHIR server. The token is transient: it is sent only to
 * the fhirServer it came with and never logged; {@link #toString()} leaves it out.
 */
public record FhirAuthorization(
    String accessToken,
    String tokenType,
    Long expiresIn,
    String scope,
    String subject,
    String patient) {

  @Override
  public String toString() {
    return "FhirAuthorization[tokenType="
        + tokenType
        + ", scope="
        + scope
        + ", subject="
        + subject
        + "]";
  }
}
