package org.mineralcds.http;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.mineralcds.observability.Metrics;

/**
 * {@code GET /metrics} (Prometheus text format). On the management port it answers everyone who
 * reaches that port; on the main port (no management port configured) loopback callers only: others
 * fall through to 404, as if it did not exist.
 */
public final class MetricsHandler extends Handler.Abstract.NonBlocking {

  private final Metrics metrics;
  private final boolean loopbackOnly;

  public MetricsHandler(Metrics metrics, boolean loopbackOnly) {
    this.metrics = metrics;
    this.loopbackOnly = loopbackOnly;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    if (!Request.getPathInContext(request).equals("/metrics")) {
      return false;
    }
    if (loopbackOnly && !CdsHooksHandler.isLocalCaller(request)) {
      return false;
    }
    if (!request.getMethod().equals("GET")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET");
      OperationOutcomes.write(response, callback, 405, "not-supported", "Use GET.");
      metrics.request("metrics", 405);
      return true;
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    Content.Sink.write(response, true, metrics.scrape(), callback);
    metrics.request("metrics", 200);
    return true;
  }
}
