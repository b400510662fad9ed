package org.mineralcds.config;

import java.nio.file.Path;
import java.util.List;

/**
 * An EHR whose CDS Hooks JWTs the service accepts.
 *
 * @param issuer the exact {@code iss} claim
 * @param jwksUrl where the issuer publishes its keys (cached, refreshed on an unknown kid), or null
 * @param jwksFile a local copy of the issuer's JWKS, or null
 * @param jkuAllowlist {@code jku} header values accepted; used to find keys when neither jwksUrl
 *     nor jwksFile is given, and checked whenever a token carries a jku
 * @param tenants accepted {@code tenant} claims; empty = any
 * @param fhirServers base URL prefixes this issuer's calls may name as fhirServer
 */
public record TrustedIssuer(
    String issuer,
    String jwksUrl,
    Path jwksFile,
    List<String> jkuAllowlist,
    List<String> tenants,
    List<String> fhirServers) {

  public TrustedIssuer {
    jkuAllowlist = List.copyOf(jkuAllowlist);
    tenants = List.copyOf(tenants);
    fhirServers = List.copyOf(fhirServers);
  }
}
