package org.mineralcds.config;

import java.net.URI;
import java.util.Locale;

/**
 * How the service is operated: its log level and format, and whether plain-http key and FHIR server
 * URLs are allowed beyond loopback.
 *
 * @param logLevel {@code error}, {@code warn}, {@code info} or {@code debug}
 * @param logFormat {@code text} (one line per event) or {@code json} (one JSON object per line)
 * @param allowPlainHttp plain-http JWKS, jku and FHIR server URLs on other hosts than loopback are
 *     accepted (with a warning at start-up); otherwise start-up stops on them
 * @param proxyRetryHeader the header in which the trusted proxy in front of the replicas sends its
 *     own id of each client request, the same across its retries ({@code --proxy-retry-header}): a
 *     JWT seen again with the same id and request is the proxy's retry, not a replay; null (the
 *     default) to treat every second sighting of a jti as a replay
 */
public record Operations(
    String logLevel, String logFormat, boolean allowPlainHttp, String proxyRetryHeader) {

  public Operations(String logLevel, String logFormat, boolean allowPlainHttp) {
    this(logLevel, logFormat, allowPlainHttp, null);
  }

  public static Operations defaults() {
    return new Operations("info", "text", false, null);
  }

  /** A URL that crosses the network in clear: http to a host other than loopback. */
  public static boolean plainHttpOffLoopback(String url) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      return false;
    }
    String h = uri.getHost().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    boolean loopback =
        h.equals("localhost")
            || h.equals("::1")
            || h.equals("0:0:0:0:0:0:0:1")
            || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    return !loopback;
  }
}
