package org.mineralcds.config;

import java.time.Duration;
import java.util.List;

/**
 * The settings the tests start the service with, built in one place: any free port, any CORS
 * origin, no FHIR server allowed beyond loopback unless named, FHIR connect and read timeouts of 1
 * s and 3 s, a 4 s hook deadline, 1 MB bodies, 10 FHIR pages, the packaged knowledge, no demo, the
 * default concurrency and clock skew, no memory unless one is given.
 */
public final class TestServiceConfigs {

  private TestServiceConfigs() {}

  /** On {@code host}, with the public base URL and the EHR issuers given. */
  public static ServiceConfig of(
      String host,
      String publicBaseUrl,
      List<TrustedIssuer> trustedIssuers,
      boolean allowSandboxIssuer) {
    return of(host, List.of(), publicBaseUrl, trustedIssuers, allowSandboxIssuer);
  }

  /** The same, with FHIR servers allowed for every caller ({@code --allowed-fhir-servers}). */
  public static ServiceConfig of(
      String host,
      List<String> allowedFhirServers,
      String publicBaseUrl,
      List<TrustedIssuer> trustedIssuers,
      boolean allowSandboxIssuer) {
    return new ServiceConfig(
        host,
        0,
        List.of("*"),
        allowedFhirServers,
        Duration.ofSeconds(1),
        Duration.ofSeconds(3),
        Duration.ofSeconds(4),
        1_000_000,
        10,
        null,
        false,
        false,
        publicBaseUrl,
        ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS,
        trustedIssuers,
        allowSandboxIssuer,
        ServiceConfig.DEFAULT_CLOCK_SKEW);
  }

  /** On loopback without EHR authentication, with {@code memory}. */
  public static ServiceConfig loopback(MemorySettings memory) {
    return of("127.0.0.1", null, List.of(), false).withMemory(memory);
  }

  /** On every interface without EHR authentication, with {@code memory}. */
  public static ServiceConfig everyInterface(MemorySettings memory) {
    return of("0.0.0.0", null, List.of(), false).withMemory(memory);
  }
}
