package org.mineralcds.config;

/**
 * What the service may ask of, and hold from, FHIR servers.
 *
 * @param maxRequestsPerServer requests in flight at once to one FHIR server, across all hook calls
 * @param maxBytesPerCall bytes of FHIR answers one hook call may read
 * @param maxBytesInFlight bytes of FHIR answers all hook calls in progress may hold together
 */
public record FhirLimits(int maxRequestsPerServer, long maxBytesPerCall, long maxBytesInFlight) {

  public static final int DEFAULT_MAX_REQUESTS_PER_SERVER = 16;
  public static final long DEFAULT_MAX_BYTES_PER_CALL = 8_000_000;

  /**
   * The default process-wide budget: a tenth of the maximum heap. The JSON tree of an answer takes
   * several times its size in bytes, and the recommended heap (160 MiB) must also hold the JWT
   * replay cache and the calls' other work.
   */
  public static long defaultMaxBytesInFlight() {
    return Math.max(DEFAULT_MAX_BYTES_PER_CALL, Runtime.getRuntime().maxMemory() / 10);
  }

  public static FhirLimits defaults() {
    return new FhirLimits(
        DEFAULT_MAX_REQUESTS_PER_SERVER, DEFAULT_MAX_BYTES_PER_CALL, defaultMaxBytesInFlight());
  }
}
