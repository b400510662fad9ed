package org.mineralcds.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Error bodies: a FHIR OperationOutcome with one issue whose diagnostics the caller can read. */
final class OperationOutcomes {

  private OperationOutcomes() {}

  static void write(Response response, Callback callback, int status, String code, String message) {
    ObjectNode outcome = JsonNodeFactory.instance.objectNode();
    outcome.put("resourceType", "OperationOutcome");
    outcome
        .putArray("issue")
        .addObject()
        .put("severity", "error")
        .put("code", code)
        .put("diagnostics", message);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/fhir+json; charset=utf-8");
    Content.Sink.write(response, true, outcome.toString(), callback);
  }
}
