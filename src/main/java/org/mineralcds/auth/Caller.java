package org.mineralcds.auth;

import java.util.List;

/**
 * Who is calling: an authenticated EHR (issuer, tenant, and the FHIR servers it may name), or a
 * local caller while no issuer is configured.
 *
 * @param proxyRetry the call's JWT was seen before, with the same request from the trusted proxy:
 *     the proxy's retry of a call whose replica failed ({@link ProxyRetry})
 */
public record Caller(
    String issuer, String tenant, List<String> fhirServers, boolean local, boolean proxyRetry) {

  public Caller {
    fhirServers = List.copyOf(fhirServers);
  }

  public Caller(String issuer, String tenant, List<String> fhirServers, boolean local) {
    this(issuer, tenant, fhirServers, local, false);
  }

  /** A loopback caller of an unconfigured service (or the check command). */
  public static Caller unauthenticatedLocal() {
    return new Caller(null, null, List.of(), true);
  }

  /** The same caller, marked as arriving through the proxy's retry. */
  Caller asProxyRetry() {
    return new Caller(issuer, tenant, fhirServers, local, true);
  }

  /** The issuer for logs: never the token itself. */
  public String logName() {
    return issuer == null ? "-" : issuer;
  }
}
