package org.mineralcds.config;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Every setting the service reads, in one place (see {@link ConfigLoader} for names and defaults).
 *
 * @param allowedFhirServers base URL prefixes any caller may name as fhirServer
 * @param knowledgeDir directory holding hooks/&lt;service-id&gt;/ files to use instead of the
 *     packaged copy, or null
 * @param demo serve the embedded FHIR server with the scenario patients at /fhir
 * @param insecureAllowRemoteUnauthenticated answer unauthenticated callers from any address, not
 *     only loopback: for a demo container on a private network, never for production
 * @param publicBaseUrl the base URL EHRs call (JWT {@code aud} is checked against it), or null to
 *     use the URL of the request as received
 * @param maxConcurrentHooks hook calls evaluated at once; more get 503 with Retry-After
 * @param trustedIssuers EHRs whose JWTs are accepted; when any is configured (or the sandbox is
 *     allowed) every call must carry a valid JWT
 * @param allowSandboxIssuer accept JWTs from the public CDS Hooks sandbox, whose private key is
 *     public: for testing only
 * @param clockSkew tolerance for JWT exp, nbf and iat
 * @param fhirLimits what the service may ask of, and hold from, FHIR servers
 * @param now a fixed "now" for replaying golden examples ({@code --now}), or null for the wall
 *     clock
 * @param memory card log, feedback and suppression settings
 */
public record ServiceConfig(
    String host,
    int port,
    List<String> corsAllowedOrigins,
    List<String> allowedFhirServers,
    Duration fhirConnectTimeout,
    Duration fhirReadTimeout,
    Duration hookDeadline,
    int maxBodyBytes,
    int maxFhirPages,
    Path knowledgeDir,
    boolean demo,
    boolean insecureAllowRemoteUnauthenticated,
    String publicBaseUrl,
    int maxConcurrentHooks,
    List<TrustedIssuer> trustedIssuers,
    boolean allowSandboxIssuer,
    Duration clockSkew,
    FhirLimits fhirLimits,
    Instant now,
    MemorySettings memory,
    Operations operations) {

  public static final int DEFAULT_MAX_CONCURRENT_HOOKS = 32;
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

  public ServiceConfig {
    corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
    allowedFhirServers = List.copyOf(allowedFhirServers);
    trustedIssuers = List.copyOf(trustedIssuers);
  }

  /**
   * The settings with the default limits on FHIR servers, on the wall clock, without memory (see
   * {@link MemorySettings#disabled()}).
   */
  public ServiceConfig(
      String host,
      int port,
      List<String> corsAllowedOrigins,
      List<String> allowedFhirServers,
      Duration fhirConnectTimeout,
      Duration fhirReadTimeout,
      Duration hookDeadline,
      int maxBodyBytes,
      int maxFhirPages,
      Path knowledgeDir,
      boolean demo,
      boolean insecureAllowRemoteUnauthenticated,
      String publicBaseUrl,
      int maxConcurrentHooks,
      List<TrustedIssuer> trustedIssuers,
      boolean allowSandboxIssuer,
      Duration clockSkew) {
    this(
        host,
        port,
        corsAllowedOrigins,
        allowedFhirServers,
        fhirConnectTimeout,
        fhirReadTimeout,
        hookDeadline,
        maxBodyBytes,
        maxFhirPages,
        knowledgeDir,
        demo,
        insecureAllowRemoteUnauthenticated,
        publicBaseUrl,
        maxConcurrentHooks,
        trustedIssuers,
        allowSandboxIssuer,
        clockSkew,
        FhirLimits.defaults(),
        null,
        MemorySettings.disabled());
  }

  /** The settings with the default {@link Operations}. */
  public ServiceConfig(
      String host,
      int port,
      List<String> corsAllowedOrigins,
      List<String> allowedFhirServers,
      Duration fhirConnectTimeout,
      Duration fhirReadTimeout,
      Duration hookDeadline,
      int maxBodyBytes,
      int maxFhirPages,
      Path knowledgeDir,
      boolean demo,
      boolean insecureAllowRemoteUnauthenticated,
      String publicBaseUrl,
      int maxConcurrentHooks,
      List<TrustedIssuer> trustedIssuers,
      boolean allowSandboxIssuer,
      Duration clockSkew,
      FhirLimits fhirLimits,
      Instant now,
      MemorySettings memory) {
    this(
        host,
        port,
        corsAllowedOrigins,
        allowedFhirServers,
        fhirConnectTimeout,
        fhirReadTimeout,
        hookDeadline,
        maxBodyBytes,
        maxFhirPages,
        knowledgeDir,
        demo,
        insecureAllowRemoteUnauthenticated,
        publicBaseUrl,
        maxConcurrentHooks,
        trustedIssuers,
        allowSandboxIssuer,
        clockSkew,
        fhirLimits,
        now,
        memory,
        Operations.defaults());
  }

  /** The same settings with {@code memory}. */
  public ServiceConfig withMemory(MemorySettings memory) {
    return new ServiceConfig(
        host,
        port,
        corsAllowedOrigins,
        allowedFhirServers,
        fhirConnectTimeout,
        fhirReadTimeout,
        hookDeadline,
        maxBodyBytes,
        maxFhirPages,
        knowledgeDir,
        demo,
        insecureAllowRemoteUnauthenticated,
        publicBaseUrl,
        maxConcurrentHooks,
        trustedIssuers,
        allowSandboxIssuer,
        clockSkew,
        fhirLimits,
        now,
        memory,
        operations);
  }

  /** The same settings with {@code operations}. */
  public ServiceConfig withOperations(Operations operations) {
    return new ServiceConfig(
        host,
        port,
        corsAllowedOrigins,
        allowedFhirServers,
        fhirConnectTimeout,
        fhirReadTimeout,
        hookDeadline,
        maxBodyBytes,
        maxFhirPages,
        knowledgeDir,
        demo,
        insecureAllowRemoteUnauthenticated,
        publicBaseUrl,
        maxConcurrentHooks,
        trustedIssuers,
        allowSandboxIssuer,
        clockSkew,
        fhirLimits,
        now,
        memory,
        operations);
  }

  /** The settings without EHR authentication: loopback callers only (the unconfigured default). */
  public ServiceConfig(
      String host,
      int port,
      List<String> corsAllowedOrigins,
      List<String> allowedFhirServers,
      Duration fhirConnectTimeout,
      Duration fhirReadTimeout,
      Duration hookDeadline,
      int maxBodyBytes,
      int maxFhirPages,
      Path knowledgeDir,
      boolean demo,
      boolean insecureAllowRemoteUnauthenticated) {
    this(
        host,
        port,
        corsAllowedOrigins,
        allowedFhirServers,
        fhirConnectTimeout,
        fhirReadTimeout,
        hookDeadline,
        maxBodyBytes,
        maxFhirPages,
        knowledgeDir,
        demo,
        insecureAllowRemoteUnauthenticated,
        null,
        DEFAULT_MAX_CONCURRENT_HOOKS,
        List.of(),
        false,
        DEFAULT_CLOCK_SKEW,
        FhirLimits.defaults(),
        null,
        MemorySettings.disabled());
  }

  /** The service's clock: fixed at {@link #now()} when one is set, else the wall clock (UTC). */
  public Clock clock() {
    return now == null ? Clock.systemUTC() : Clock.fixed(now, ZoneOffset.UTC);
  }

  /** EHR calls must carry a valid JWT. */
  public boolean authenticationRequired() {
    return !trustedIssuers.isEmpty() || allowSandboxIssuer;
  }
}
