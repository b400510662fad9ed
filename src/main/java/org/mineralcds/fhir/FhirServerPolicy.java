package org.mineralcds.fhir;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which FHIR servers the service may call. Decided from the URL text alone, before any DNS lookup
 * or connection: loopback literals (127.0.0.0/8, ::1, localhost) only where loopback is allowed
 * (the unconfigured default), other servers only when their base URL starts with an allowed prefix.
 */
public final class FhirServerPolicy {

  private final List<String> allowedPrefixes;
  private final boolean allowLoopback;

  /** Loopback plus the given prefixes: the policy of a service with no trusted issuers. */
  public FhirServerPolicy(List<String> allowedPrefixes) {
    this(allowedPrefixes, true);
  }

  public FhirServerPolicy(List<String> allowedPrefixes, boolean allowLoopback) {
    this.allowedPrefixes = allowedPrefixes.stream().map(FhirServerPolicy::normalise).toList();
    this.allowLoopback = allowLoopback;
  }

  public boolean permits(String fhirServer) {
    URI uri;
    try {
      uri = new URI(fhirServer);
    } catch (Exception e) {
      return false;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      return false;
    }
    if (uri.getUserInfo() != null) {
      return false;
    }
    if (allowLoopback && isLoopback(uri.getHost())) {
      return true;
    }
    String normalised = normalise(fhirServer);
    return allowedPrefixes.stream().anyMatch(normalised::startsWith);
  }

  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.equals("localhost")
        || h.equals("::1")
        || h.equals("0:0:0:0:0:0:0:1")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  private static String normalise(String url) {
    String u = url.trim().toLowerCase(Locale.ROOT);
    return u.endsWith("/") ? u : u + "/";
  }
}
