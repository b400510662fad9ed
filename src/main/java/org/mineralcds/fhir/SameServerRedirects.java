package org.mineralcds.fhir;

import java.net.URI;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.ProtocolException;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.impl.client.DefaultRedirectStrategy;
import org.apache.http.protocol.HttpContext;

/**
 * Follows a redirect only to the same host and port (or from http to https on the same host): the
 * bearer token must never be sent to a server other than the fhirServer it was issued for.
 */
final class SameServerRedirects extends DefaultRedirectStrategy {

  @Override
  public boolean isRedirected(HttpRequest request, HttpResponse response, HttpContext context)
      throws ProtocolException {
    if (!super.isRedirected(request, response, context)) {
      return false;
    }
    HttpHost origin = HttpClientContext.adapt(context).getTargetHost();
    URI target = getLocationURI(request, response, context);
    return origin != null && sameServer(origin, target);
  }

  static boolean sameServer(HttpHost origin, URI target) {
    if (target.getHost() == null || !target.getHost().equalsIgnoreCase(origin.getHostName())) {
      return false;
    }
    String scheme = target.getScheme();
    boolean upgrade = "http".equals(origin.getSchemeName()) && "https".equals(scheme);
    return upgrade
        || (scheme != null
            && scheme.equals(origin.getSchemeName())
            && port(target) == port(origin));
  }

  private static int port(URI uri) {
    return uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
  }

  private static int port(HttpHost host) {
    return host.getPort() >= 0 ? host.getPort() : "https".equals(host.getSchemeName()) ? 443 : 80;
  }
}
