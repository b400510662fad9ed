package org.mineralcds.http;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** The last handler: anything nobody else served is a 404 with an OperationOutcome. */
public final class NotFoundHandler extends Handler.Abstract.NonBlocking {

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    OperationOutcomes.write(
        response,
        callback,
        404,
        "not-found",
        "No such endpoint: "
            + Request.getPathInContext(request)
            + ". Discovery is at /cds-services.");
    return true;
  }
}
