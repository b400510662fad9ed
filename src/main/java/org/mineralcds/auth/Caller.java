package org.mineralcds.auth;

import java.util.List;

/**
 * Who is calling: an authenticated EHR (issuer, tenant, and the FHIR servers it may name), or a
 * local caller while no issuer is configured.
 */
public record Caller(String issuer, String tenant, List<String> fhirServers, boolean local) {

  public Caller {
    fhirServers = List.copyOf(fhirServers);
  }

  /** A loopback caller of an unconfigured service (or the check command). */
  public static Caller unauthenticatedLocal() {
    return new Caller(null, null, List.of(), true);
  }

  /** The issuer for logs: never the token itself. */
  public String logName() {
    return issuer == null ? "-" : issuer;
  }
}
