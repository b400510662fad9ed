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
import java.util.concurrent.Semaphore;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.mineralcds.auth.AuthenticationFailure;
import org.mineralcds.auth.Caller;
import org.mineralcds.auth.EhrAuthenticator;
import org.mineralcds.auth.ProxyRetry;
import org.mineralcds.hook.Discovery;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookJson;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.JsonTrees;
import org.mineralcds.io.CappedInputStream;
import org.mineralcds.observability.LogText;
import org.mineralcds.observability.Metrics;
import org.mineralcds.service.CdsService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDS Hooks endpoints over HTTP: discovery, service calls, feedback, CORS preflight and health
 * ({@code /metrics} is {@link MetricsHandler}). Transport only: authentication of the caller,
 * status codes, content types, size and concurrency limits, error bodies (FHIR OperationOutcome);
 * the services decide everything else.
 */
public final class CdsHooksHandler extends Handler.Abstract {

  private static final Logger LOG = LoggerFactory.getLogger(CdsHooksHandler.class);
  private static final Logger HOOK_LOG = LoggerFactory.getLogger("mineralcds.hook");
  private static final String PREFIX = "/cds-services";

  /**
   * The transport's settings.
   *
   * @param proxyRetryHeader the header in which the trusted proxy sends its id of the client's
   *     request ({@code --proxy-retry-header}, {@link ProxyRetry}), or null
   */
  public record Settings(
      List<String> corsOrigins,
      int maxBodyBytes,
      boolean loopbackOnly,
      String publicBaseUrl,
      int maxConcurrentHooks,
      String proxyRetryHeader) {

    public Settings {
      corsOrigins = List.copyOf(corsOrigins);
    }
  }

  /**
   * How an authenticated call is let in: at once (its jti recorded, or no JWT needed), or once its
   * body is read, when the jti is recorded with the proxy's request key ({@link ProxyRetry}).
   */
  private interface Admission {
    /** The caller for logs, before {@link #admit}. */
    Caller caller();

    /** The caller, once the jti is recorded; {@link Refused} (401) or a 503 otherwise. */
    Caller admit(byte[] body);
  }

  private record Admitted(Caller caller) implements Admission {
    @Override
    public Caller admit(byte[] body) {
      return caller;
    }
  }

  private static final byte[] NO_BODY = new byte[0];

  private final Map<String, CdsService> services;
  private final ObjectMapper json;
  private final Settings settings;
  private final EhrAuthenticator authenticator;
  private final Metrics metrics;
  private final Semaphore hookSlots;
  private final CpuSlots cpuSlots;
  private volatile boolean stopping;

  /**
   * @param authenticator checks EHR JWTs when it has trusted issuers; otherwise only loopback
   *     callers are answered (unless {@code settings.loopbackOnly()} is false)
   * @param cpuSlots the slots hook calls take while they use the CPU (the services' loaders give
   *     them up while waiting for FHIR servers): time in the queue for one counts as hook time
   */
  public CdsHooksHandler(
      Map<String, CdsService> services,
      ObjectMapper json,
      Settings settings,
      EhrAuthenticator authenticator,
      Metrics metrics,
      CpuSlots cpuSlots) {
    // Discovery lists the services in the order given (mineral-balance first).
    this.services = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(services));
    this.json = json;
    this.settings = settings;
    this.authenticator = authenticator;
    this.metrics = metrics;
    this.hookSlots = new Semaphore(settings.maxConcurrentHooks());
    metrics.hookCallsInFlight(
        () -> settings.maxConcurrentHooks() - hookSlots.availablePermits(),
        settings.maxConcurrentHooks());
    this.cpuSlots = cpuSlots;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    boolean ours =
        path.equals(PREFIX) || path.startsWith(PREFIX + "/") || path.startsWith("/health/");
    if (!ours) {
      return false;
    }
    String endpoint = endpoint(path);
    int status = handleOurs(path, endpoint, request, response, callback);
    metrics.request(endpoint, status);
    return true;
  }

  private int handleOurs(
      String path, String endpoint, Request request, Response response, Callback callback) {
    String method = request.getMethod();
    try {
      cors(request, response);
      if (path.equals("/health/live")) {
        requireMethod(method, "GET");
        return write(response, callback, 200, "{\"status\":\"UP\"}", "application/json");
      }
      if (path.equals("/health/ready")) {
        requireMethod(method, "GET");
        // Ready means this replica can serve correctly now (issue 15: knowledge loaded, database
        // reachable). Answered only once start-up is complete, so the knowledge is loaded and
        // validated; 503 while stopping or while the memory database is unreachable (JWT calls are
        // refused then, as used jti values are kept there, and feedback cannot be stored), which
        // takes the replica out of a load balancer's rotation. An issuer whose keys could not be
        // fetched does not stop the others' calls: 200, and the body names it.
        boolean memory = services.values().stream().allMatch(CdsService::memoryReady);
        List<String> noKeys = authenticator.issuersWithoutKeys();
        boolean ready = memory && !stopping;
        Map<String, Object> health = new java.util.LinkedHashMap<>();
        health.put("status", !ready ? "DOWN" : noKeys.isEmpty() ? "UP" : "DEGRADED");
        health.put("knowledge", "UP");
        health.put("memory", memory ? "UP" : "DOWN");
        health.put("issuerKeys", noKeys.isEmpty() ? "UP" : Map.of("DOWN", noKeys));
        if (stopping) {
          health.put("stopping", true);
        }
        return write(response, callback, ready ? 200 : 503, serialise(health), "application/json");
      }
      if (path.startsWith("/health/")) {
        throw new HttpProblem(404, "not-found", "No such endpoint: " + path);
      }
      if (method.equals("OPTIONS")) {
        response.setStatus(204);
        callback.succeeded();
        return 204;
      }
      Admission caller = authenticate(request, path);
      if (caller == null) {
        throw new Refused();
      }
      return route(path, endpoint, method, caller, request, response, callback);
    } catch (Refused r) {
      // RFC 9110 asks for the scheme; the reason stays in the log (CDS Hooks: no detail).
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      return write(response, callback, 401, "", "application/json");
    } catch (HttpProblem p) {
      if (p.status == 405) {
        response.getHeaders().put(HttpHeader.ALLOW, p.allow);
      }
      if (p.status == 413 || p.status == 415) {
        // The body was left unread, so this connection cannot carry another request.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      if (p.status == 503) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
      }
      OperationOutcomes.write(response, callback, p.status, p.code, p.getMessage());
      return p.status;
    } catch (HookError e) {
      if (e.kind() == HookError.Kind.UNAVAILABLE) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "2");
      }
      OperationOutcomes.write(
          response, callback, e.kind().status(), e.kind().issueCode(), e.getMessage());
      return e.kind().status();
    } catch (RuntimeException e) {
      LOG.error(
          "unexpected error on {} {}: {}",
          LogText.safe(method),
          LogText.quoted(path),
          e.getClass().getName(),
          e);
      OperationOutcomes.write(
          response, callback, 500, "exception", "The service failed to process the request.");
      return 500;
    }
  }

  /** From now on readiness answers 503 DOWN (the service is stopping); calls are still served. */
  public void stopping() {
    stopping = true;
  }

  /**
   * How the caller is let in, or null when the call must be refused with 401 (the reason is logged
   * only). With {@code --proxy-retry-header} and that header on a POST, the token is verified now
   * and its jti recorded once the body is read, with the request key ({@link ProxyRetry}).
   */
  private Admission authenticate(Request request, String path) {
    if (authenticator.enabled()) {
      try {
        EhrAuthenticator.Verified token =
            authenticator.verify(
                request.getHeaders().get(HttpHeader.AUTHORIZATION), audience(request, path));
        String proxyRequestId = proxyRequestId(request);
        if (proxyRequestId == null) {
          return new Admitted(authenticator.accept(token, null));
        }
        if (!request.getMethod().equals("POST")) {
          return new Admitted(
              accepted(
                  request,
                  path,
                  authenticator.accept(
                      token,
                      ProxyRetry.requestKey(proxyRequestId, request.getMethod(), path, NO_BODY))));
        }
        return new Admission() {
          @Override
          public Caller caller() {
            return token.caller();
          }

          @Override
          public Caller admit(byte[] body) {
            try {
              return accepted(
                  request,
                  path,
                  authenticator.accept(
                      token, ProxyRetry.requestKey(proxyRequestId, "POST", path, body)));
            } catch (AuthenticationFailure failure) {
              throw refused(request, path, failure);
            }
          }
        };
      } catch (AuthenticationFailure failure) {
        throw refused(request, path, failure);
      }
    }
    if (settings.loopbackOnly() && !isLocalCaller(request)) {
      metrics.authFailure("not-loopback");
      LOG.warn(
          "refused {} {}: no trusted EHR issuer is configured and the caller is not on loopback",
          LogText.safe(request.getMethod()),
          LogText.quoted(path));
      return null;
    }
    return new Admitted(Caller.unauthenticatedLocal());
  }

  /**
   * The proxy's id of this request, from {@code --proxy-retry-header}: null when the setting is off
   * or the request carries no such header, or more than one (the proxy overwrites it: one).
   */
  private String proxyRequestId(Request request) {
    if (settings.proxyRetryHeader() == null) {
      return null;
    }
    List<String> values = request.getHeaders().getValuesList(settings.proxyRetryHeader());
    return values.size() == 1 && !values.get(0).isBlank() ? values.get(0) : null;
  }

  private Caller accepted(Request request, String path, Caller caller) {
    if (caller.proxyRetry()) {
      metrics.proxyRetry();
      LOG.info(
          "accepted {} {}: the proxy's retry of a request whose JWT was seen before (same {} and"
              + " body) issuer={}",
          LogText.safe(request.getMethod()),
          LogText.quoted(path),
          settings.proxyRetryHeader(),
          LogText.safe(caller.logName()));
    }
    return caller;
  }

  /** Counts and logs a refused token; the exception to throw (401, or 503 when not its fault). */
  private RuntimeException refused(Request request, String path, AuthenticationFailure failure) {
    metrics.authFailure(failure.reason().code());
    // The failure's message quotes the token's values already escaped (LogText).
    LOG.warn(
        "refused {} {}: JWT {}",
        LogText.safe(request.getMethod()),
        LogText.quoted(path),
        failure.getMessage());
    if (failure.reason() == AuthenticationFailure.Reason.REPLAY_CACHE_UNAVAILABLE) {
      // Not the caller's fault: the token cannot be checked for replay now (fail closed).
      return new HttpProblem(
          503, "transient", "The service cannot verify tokens now; retry shortly.");
    }
    return new Refused();
  }

  /** The URL the EHR called: the configured public base URL, else the request's own. */
  private String audience(Request request, String path) {
    return baseUrl(request) + path;
  }

  /** The service's base URL: the configured public base URL, else the one of the request. */
  String baseUrl(Request request) {
    return baseUrl(settings.publicBaseUrl(), request);
  }

  /** The configured public base URL, else scheme, host and port of the request. */
  static String baseUrl(String publicBaseUrl, Request request) {
    if (publicBaseUrl != null) {
      return publicBaseUrl;
    }
    HttpURI uri = request.getHttpURI();
    int port = uri.getPort();
    boolean defaultPort =
        port < 0
            || ("http".equals(uri.getScheme()) && port == 80)
            || ("https".equals(uri.getScheme()) && port == 443);
    return uri.getScheme() + "://" + uri.getHost() + (defaultPort ? "" : ":" + port);
  }

  private int route(
      String path,
      String endpoint,
      String method,
      Admission caller,
      Request request,
      Response response,
      Callback callback) {
    String rest = path.substring(PREFIX.length());
    if (rest.isEmpty() || rest.equals("/")) {
      requireMethod(method, "GET");
      caller.admit(NO_BODY);
      Discovery discovery =
          new Discovery(services.values().stream().map(CdsService::descriptor).toList());
      return write(response, callback, 200, serialise(discovery), "application/json");
    }
    String[] parts = rest.substring(1).split("/", -1);
    CdsService service = services.get(parts[0]);
    if (service == null || parts.length > 2 || parts.length == 2 && !parts[1].equals("feedback")) {
      throw new HttpProblem(
          404, "not-found", "No CDS service at " + path + ". Discovery is at " + PREFIX + ".");
    }
    requireMethod(method, "POST");
    if (parts.length == 2) {
      byte[] body = readBody(request);
      Caller admitted = caller.admit(body);
      service.feedback(Feedback.fromJson(parseJson(body)), admitted);
      return write(response, callback, 200, "{}", "application/json");
    }
    if (!hookSlots.tryAcquire()) {
      metrics.rejectedAtCapacity();
      throw new HttpProblem(
          503, "transient", "The service is at its limit of concurrent hook calls; retry shortly.");
    }
    long started = System.nanoTime();
    String outcome = "500";
    String body;
    boolean cpuSlot = false;
    try {
      byte[] requestBody = readBody(request);
      Caller admitted = caller.admit(requestBody);
      cpuSlots.acquire();
      cpuSlot = true;
      body =
          serialise(
              service.call(
                  HookRequest.fromJson(parseJson(requestBody)), admitted, baseUrl(request)));
      outcome = "ok";
    } catch (Refused e) {
      outcome = "401";
      throw e;
    } catch (HookError e) {
      outcome = Integer.toString(e.kind().status());
      throw e;
    } catch (HttpProblem p) {
      outcome = Integer.toString(p.status);
      throw p;
    } finally {
      if (cpuSlot) {
        cpuSlots.release();
      }
      // Released before the response is written: a caller that has its answer may call again.
      hookSlots.release();
      metrics.hook(parts[0], outcome, System.nanoTime() - started);
      if (!outcome.equals("ok")) {
        // Successful calls are logged by the service with their rule ids; failures here.
        HOOK_LOG.info(
            "hook call issuer={} service={} outcome={} ms={}",
            LogText.safe(caller.caller().logName()),
            parts[0],
            outcome,
            (System.nanoTime() - started) / 1_000_000);
      }
    }
    return write(response, callback, 200, body, "application/json");
  }

  /**
   * The request body, read in full before any CPU slot is taken: a client that sends its body
   * slowly waits on the network, and must not hold a slot meanwhile. With a Content-Length, into
   * one array of that size (copying through 8 KB chunks was a third of the bytes a hook call
   * allocated, BENCHMARKS.md); without one, capped as it is read.
   */
  private byte[] readBody(Request request) {
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    String mime = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
    if (!mime.equals("application/json") && !mime.endsWith("+json")) {
      throw new HttpProblem(415, "not-supported", "Content-Type must be application/json.");
    }
    int max = settings.maxBodyBytes();
    long declared = request.getLength();
    if (declared > max) {
      throw tooLarge(max);
    }
    byte[] body;
    try (InputStream in = new CappedInputStream(Content.Source.asInputStream(request), max)) {
      if (declared >= 0) {
        body = new byte[(int) declared];
        if (in.readNBytes(body, 0, body.length) < body.length) {
          throw new HttpProblem(400, "invalid", "The request body ended before its length.");
        }
      } else {
        body = in.readAllBytes();
      }
    } catch (CappedInputStream.TooLarge e) {
      throw tooLarge(max);
    } catch (IOException e) {
      throw new HttpProblem(400, "invalid", "The request body could not be read.");
    }
    if (body.length == 0) {
      throw new HttpProblem(400, "invalid", "The request body is empty.");
    }
    return body;
  }

  private static HttpProblem tooLarge(int max) {
    return new HttpProblem(413, "too-costly", "The request body is larger than " + max + " bytes.");
  }

  private JsonNode parseJson(byte[] body) {
    JsonNode tree;
    try {
      tree = JsonTrees.readRequest(json, body);
    } catch (StreamConstraintsException e) {
      String limit =
          e.getOriginalMessage().contains("nesting depth")
              ? "nests deeper than " + HookJson.MAX_NESTING_DEPTH + " levels"
              : "exceeds a limit of the JSON parser (a number, name or string is too long)";
      throw new HttpProblem(400, "invalid", "The request body " + limit + ".");
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new HttpProblem(400, "invalid", "The request body is not valid JSON" + where + ".");
    } catch (IOException e) {
      throw new HttpProblem(400, "invalid", "The request body is not valid JSON.");
    }
    if (tree == null || tree.isMissingNode()) {
      throw new HttpProblem(400, "invalid", "The request body is empty.");
    }
    return tree;
  }

  private void cors(Request request, Response response) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin == null) {
      return;
    }
    if (settings.corsOrigins().contains("*")) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    } else if (settings.corsOrigins().contains(origin)) {
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

  private static String endpoint(String path) {
    if (path.equals(PREFIX) || path.equals(PREFIX + "/")) {
      return "discovery";
    }
    if (path.startsWith(PREFIX + "/")) {
      return path.endsWith("/feedback") ? "feedback" : "service";
    }
    return "health";
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

  /**
   * A caller on this host, as the loopback-only rules mean it: the connection comes from a loopback
   * address and was not relayed by a proxy. A reverse proxy or sidecar on the same host connects
   * from loopback on behalf of remote clients; the forwarding headers it adds ({@code Forwarded},
   * {@code X-Forwarded-For}, {@code X-Real-IP}) give it away, and such a call is not a local one.
   * (A proxy that adds none of them cannot be told apart: use the management port behind one.)
   */
  static boolean isLocalCaller(Request request) {
    if (!isLoopback(Request.getRemoteAddr(request))) {
      return false;
    }
    var headers = request.getHeaders();
    return !headers.contains(HttpHeader.FORWARDED)
        && !headers.contains(HttpHeader.X_FORWARDED_FOR)
        && !headers.contains("X-Real-IP");
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

  private static int write(
      Response response, Callback callback, int status, String body, String type) {
    response.setStatus(status);
    if (body.isEmpty()) {
      callback.succeeded();
      return status;
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type + "; charset=utf-8");
    Content.Sink.write(response, true, body, callback);
    return status;
  }

  /** The call is refused with 401 (the reason is logged and counted already). */
  private static final class Refused extends RuntimeException {
    Refused() {
      super(null, null, false, false);
    }
  }

  /** A transport-level problem with its status. */
  private static final class HttpProblem extends RuntimeException {
    private final int status;
    private final String code;
    private String allow;

    HttpProblem(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }
}
