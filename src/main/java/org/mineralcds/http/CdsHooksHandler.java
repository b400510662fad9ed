package org.mineralcds.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.mineralcds.hook.Discovery;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookJson;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.service.CdsService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDS Hooks endpoints over HTTP: discovery, service calls, feedback, CORS preflight and health.
 * Transport only: status codes, content types, size limits and error bodies (FHIR
 * OperationOutcome); the services decide everything else.
 */
public final class CdsHooksHandler extends Handler.Abstract {

  private static final Logger LOG = LoggerFactory.getLogger(CdsHooksHandler.class);
  private static final String PREFIX = "/cds-services";

  private final Map<String, CdsService> services;
  private final ObjectMapper json;
  private final List<String> corsOrigins;
  private final int maxBodyBytes;
  private final boolean loopbackOnly;

  /**
   * @param loopbackOnly accept calls from loopback addresses only: the rule while no trusted EHR
   *     issuer is configured
   */
  public CdsHooksHandler(
      Map<String, CdsService> services,
      ObjectMapper json,
      List<String> corsOrigins,
      int maxBodyBytes,
      boolean loopbackOnly) {
    this.services = Map.copyOf(services);
    this.json = json;
    this.corsOrigins = List.copyOf(corsOrigins);
    this.maxBodyBytes = maxBodyBytes;
    this.loopbackOnly = loopbackOnly;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    boolean ours =
        path.equals(PREFIX) || path.startsWith(PREFIX + "/") || path.startsWith("/health/");
    if (!ours) {
      return false;
    }
    try {
      cors(request, response);
      if (path.equals("/health/live") || path.equals("/health/ready")) {
        requireMethod(method, "GET");
        write(response, callback, 200, "{\"status\":\"UP\"}");
        return true;
      }
      if (path.startsWith("/health/")) {
        throw new HttpProblem(404, "not-found", "No such endpoint: " + path);
      }
      if (method.equals("OPTIONS")) {
        response.setStatus(204);
        callback.succeeded();
        return true;
      }
      if (loopbackOnly && !isLoopback(Request.getRemoteAddr(request))) {
        // No trusted EHR issuer is configured, so only local callers are accepted.
        write(response, callback, 401, "");
        return true;
      }
      route(path, method, request, response, callback);
    } catch (HttpProblem p) {
      if (p.status == 405) {
        response.getHeaders().put(HttpHeader.ALLOW, p.allow);
      }
      if (p.status == 413 || p.status == 415) {
        // The body was left unread, so this connection cannot carry another request.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      writeOutcome(response, callback, p.status, p.code, p.getMessage());
    } catch (HookError e) {
      writeOutcome(response, callback, e.kind().status(), e.kind().issueCode(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("unexpected error on {} {}: {}", method, path, e.getClass().getName(), e);
      writeOutcome(
          response, callback, 500, "exception", "The service failed to process the request.");
    }
    return true;
  }

  private void route(
      String path, String method, Request request, Response response, Callback callback) {
    String rest = path.substring(PREFIX.length());
    if (rest.isEmpty() || rest.equals("/")) {
      requireMethod(method, "GET");
      Discovery discovery =
          new Discovery(services.values().stream().map(CdsService::descriptor).toList());
      write(response, callback, 200, serialise(discovery));
      return;
    }
    String[] parts = rest.substring(1).split("/", -1);
    CdsService service = services.get(parts[0]);
    if (service == null || parts.length > 2 || parts.length == 2 && !parts[1].equals("feedback")) {
      throw new HttpProblem(
          404, "not-found", "No CDS service at " + path + ". Discovery is at " + PREFIX + ".");
    }
    requireMethod(method, "POST");
    JsonNode body = readJson(request);
    if (parts.length == 2) {
      service.feedback(Feedback.fromJson(body));
      write(response, callback, 200, "{}");
      return;
    }
    write(response, callback, 200, serialise(service.call(HookRequest.fromJson(body))));
  }

  private JsonNode readJson(Request request) {
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    String mime = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (!mime.equals("application/json") && !mime.endsWith("+json")) {
      throw new HttpProblem(415, "not-supported", "Content-Type must be application/json.");
    }
    long declared = request.getLength();
    if (declared > maxBodyBytes) {
      throw new HttpProblem(
          413, "too-costly", "The request body is larger than " + maxBodyBytes + " bytes.");
    }
    byte[] bytes;
    try (InputStream in = Content.Source.asInputStream(request)) {
      bytes = in.readNBytes(maxBodyBytes + 1);
    } catch (IOException e) {
      throw new HttpProblem(400, "invalid", "The request body could not be read.");
    }
    if (bytes.length > maxBodyBytes) {
      throw new HttpProblem(
          413, "too-costly", "The request body is larger than " + maxBodyBytes + " bytes.");
    }
    if (bytes.length == 0) {
      throw new HttpProblem(400, "invalid", "The request body is empty.");
    }
    try {
      return json.readTree(bytes);
    } catch (StreamConstraintsException e) {
      throw new HttpProblem(
          400,
          "invalid",
          "The request body nests deeper than " + HookJson.MAX_NESTING_DEPTH + " levels.");
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new HttpProblem(400, "invalid", "The request body is not valid JSON" + where + ".");
    } catch (IOException e) {
      throw new HttpProblem(400, "invalid", "The request body is not valid JSON.");
    }
  }

  private void cors(Request request, Response response) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin == null) {
      return;
    }
    if (corsOrigins.contains("*")) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    } else if (corsOrigins.contains(origin)) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
      response.getHeaders().put(HttpHeader.VARY, "Origin");
    } else {
      return;
    }
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
    response
        .getHeaders()
        .put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type");
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
  }

  private static void requireMethod(String method, String allowed) {
    if (!method.equals(allowed)) {
      HttpProblem p =
          new HttpProblem(
              405, "not-supported", method + " is not allowed here; use " + allowed + ".");
      p.allow = allowed + ", OPTIONS";
      throw p;
    }
  }

  static boolean isLoopback(String address) {
    try {
      // An IP literal: getByName does no DNS lookup for it.
      return address != null && InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private String serialise(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response could not be serialised", e);
    }
  }

  private void writeOutcome(
      Response response, Callback callback, int status, String code, String message) {
    OperationOutcomes.write(response, callback, status, code, message);
  }

  private static void write(Response response, Callback callback, int status, String body) {
    write(response, callback, status, body, "application/json");
  }

  private static void write(
      Response response, Callback callback, int status, String body, String type) {
    response.setStatus(status);
    if (body.isEmpty()) {
      callback.succeeded();
      return;
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type + "; charset=utf-8");
    Content.Sink.write(response, true, body, callback);
  }

  /** A transport-level problem with its status. */
  private static final class HttpProblem extends RuntimeException {
    private final int status;
    private final String code;
    private String allow;

    HttpProblem(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
}
