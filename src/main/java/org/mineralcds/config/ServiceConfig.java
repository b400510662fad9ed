package org.mineralcds.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every setting the service reads, in one place (see {@link ConfigLoader} for names and defaults).
 *
 * @param knowledgeDir directory holding hooks/&lt;service-id&gt;/ files to use instead of the
 *     packaged copy, or null
 * @param demo serve the embedded FHIR server with the scenario patients at /fhir
 * @param insecureAllowRemoteUnauthenticated answer unauthenticated callers from any address, not
 *     only loopback: for a demo container on a private network, never for production
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
    boolean insecureAllowRemoteUnauthenticated) {

  public ServiceConfig {
    corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
    allowedFhirServers = List.copyOf(allowedFhirServers);
  }
}
