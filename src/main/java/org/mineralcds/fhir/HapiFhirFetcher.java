package org.mineralcds.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.client.api.IHttpRequest;
import ca.uhn.fhir.rest.client.api.IHttpResponse;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpEntity;
import org.apache.http.HttpResponseInterceptor;
import org.apache.http.NoHttpResponseException;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.conn.ConnectTimeoutException;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.mineralcds.hook.HookJson;
import org.mineralcds.hook.JsonTrees;
import org.mineralcds.io.ByteBudget;
import org.mineralcds.io.CappedInputStream;
import org.mineralcds.observability.Metrics;

/**
 * {@link FhirFetcher} on HAPI's client transport: no capability-statement round trip, bounded
 * connect and read timeouts, pooled kept-alive connections reused across calls, a bounded number of
 * requests in flight per server, one retry when a request could not connect or was told to come
 * back (429/503 with Retry-After) and the deadline leaves room for it, optional parameters a server
 * refuses left out of its later queries, the bearer token attached per call, and answers read as
 * JSON for the one mapper both data paths share, charged to the call's byte budget as they are
 * read.
 */
public final class HapiFhirFetcher implements FhirFetcher {

  /** No single FHIR response may be larger than this, whatever the server sends. */
  public static final long MAX_RESPONSE_BYTES = 32L * 1024 * 1024;

  /**
   * What the fetcher needs to know.
   *
   * @param maxRequestsPerServer FHIR requests in flight at once to one server, across all hook
   *     calls: an EHR's FHIR API is shared and rate-limited, and a server with two cores answers 15
   *     queries at once no faster than one after another
   * @param optionalParameters search parameters a query can do without: when a server refuses one
   *     (400 naming it) the query is sent again without it, and the server's later queries leave it
   *     out
   */
  public record Settings(
      Duration connectTimeout,
      Duration readTimeout,
      int maxRequestsPerServer,
      Set<String> optionalParameters) {

    public Settings {
      optionalParameters = Set.copyOf(optionalParameters);
    }
  }

  /** A retry is worth sending only if this much time is left after any wait for it. */
  private static final long MIN_TIME_FOR_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  /** 429/503 without Retry-After: come back after this. */
  private static final long DEFAULT_RETRY_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  /** Servers whose limits and refusals are remembered; more share one limit (never expected). */
  private static final int MAX_SERVERS_REMEMBERED = 1024;

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static final String UNREADABLE = "the FHIR server's response could not be read as FHIR";

  private final FhirContext fhir;
  private final Set<String> resourceTypes;
  private final Settings settings;
  private final Metrics metrics;
  private final Map<String, Semaphore> inFlight = new ConcurrentHashMap<>();
  private final Semaphore overflow;
  private final Map<String, Set<String>> refused = new ConcurrentHashMap<>();

  /**
   * @param fhir a context of its own: its client factory is configured here
   */
  public HapiFhirFetcher(FhirContext fhir, Settings settings, Metrics metrics) {
    this.fhir = fhir;
    this.settings = settings;
    this.metrics = metrics;
    this.overflow = new Semaphore(settings.maxRequestsPerServer(), true);
    // Requests are made with HAPI's transport on this client, which carries the timeouts; no
    // generic client is built, so no capability statement is ever fetched.
    fhir.getRestfulClientFactory().setHttpClient(httpClient(settings));
    this.resourceTypes = Set.copyOf(fhir.getResourceTypes());
  }

  /**
   * Pooled connections kept alive and reused across calls (as many per server as requests may be in
   * flight to it); redirects followed only on the same server (a token must never follow one to
   * another host); bodies capped at {@link #MAX_RESPONSE_BYTES}; no automatic retries (the client's
   * own retry sent each refused oversize request three times): this class decides what is retried.
   */
  private static CloseableHttpClient httpClient(Settings settings) {
    PoolingHttpClientConnectionManager connections =
        new PoolingHttpClientConnectionManager(5, TimeUnit.MINUTES);
    connections.setMaxTotal(Math.max(64, 4 * settings.maxRequestsPerServer()));
    connections.setDefaultMaxPerRoute(settings.maxRequestsPerServer());
    // A kept-alive connection the server closed while idle is found out before it is used.
    connections.setValidateAfterInactivity(2_000);
    int connectMillis = (int) settings.connectTimeout().toMillis();
    RequestConfig requests =
        RequestConfig.custom()
            .setConnectTimeout(connectMillis)
            .setConnectionRequestTimeout(connectMillis)
            .setSocketTimeout((int) settings.readTimeout().toMillis())
            .setRedirectsEnabled(true)
            .setMaxRedirects(3)
            .build();
    return HttpClients.custom()
        .setConnectionManager(connections)
        .setDefaultRequestConfig(requests)
        .setRedirectStrategy(new SameServerRedirects())
        .disableAutomaticRetries()
        .disableCookieManagement()
        .disableAuthCaching()
        .addInterceptorLast(
            (HttpResponseInterceptor)
                (response, context) -> {
                  HttpEntity entity = response.getEntity();
                  if (entity == null) {
                    return;
                  }
                  if (entity.getContentLength() > MAX_RESPONSE_BYTES) {
                    throw new CappedInputStream.TooLarge(MAX_RESPONSE_BYTES);
                  }
                  response.setEntity(new SizeLimitedEntity(entity, MAX_RESPONSE_BYTES));
                })
        .build();
  }

  @Override
  public List<JsonNode> fetch(
      String fhirServer, String accessToken, String relativeUrl, int maxPages, FhirCall call) {
    long started = System.nanoTime();
    boolean ok = false;
    RequestDeadline deadline = new RequestDeadline(call.deadlineNanos());
    try {
      List<JsonNode> resources =
          fetchPages(fhirServer, accessToken, relativeUrl, maxPages, call, deadline);
      ok = true;
      return resources;
    } catch (FhirFetchException e) {
      FhirFetchException failure =
          deadline.expired()
              ? new FhirFetchException("the FHIR server did not answer within the deadline", e)
              : e;
      metrics.fhirFetchFailure(failure.reason());
      throw failure;
    } finally {
      deadline.close();
      metrics.fhirFetch(ok, System.nanoTime() - started);
    }
  }

  private List<JsonNode> fetchPages(
      String fhirServer,
      String accessToken,
      String relativeUrl,
      int maxPages,
      FhirCall call,
      RequestDeadline deadline) {
    // A read ("Medication/7") answers that resource; a search answers searchset pages.
    int slash = relativeUrl.indexOf('/');
    String expectedType =
        relativeUrl.contains("?") || slash < 0 ? "Bundle" : relativeUrl.substring(0, slash);
    Exchange first =
        new Exchange(fhirServer, accessToken, call, deadline, expectedType, true, true);
    JsonNode page = first.get(base(fhirServer) + relativeUrl);
    if (page == null) {
      return List.of();
    }
    List<JsonNode> pages = new ArrayList<>();
    pages.add(page);
    pages.addAll(follow(fhirServer, accessToken, page, maxPages - 1, call, deadline));
    return pages;
  }

  @Override
  public List<JsonNode> remainingPages(
      String fhirServer, String accessToken, String nextUrl, int maxPages, FhirCall call) {
    // The token may only go to the server it was issued for.
    if (maxPages < 1 || !sameServer(fhirServer, nextUrl)) {
      return List.of();
    }
    try (RequestDeadline deadline = new RequestDeadline(call.deadlineNanos())) {
      JsonNode page =
          new Exchange(fhirServer, accessToken, call, deadline, "Bundle", false, false)
              .get(nextUrl);
      List<JsonNode> pages = new ArrayList<>();
      pages.add(page);
      pages.addAll(follow(fhirServer, accessToken, page, maxPages - 1, call, deadline));
      return pages;
    }
  }

  @Override
  public Set<String> refusedParameters(String fhirServer) {
    return refused.getOrDefault(serverKey(fhirServer), Set.of());
  }

  private List<JsonNode> follow(
      String fhirServer,
      String accessToken,
      JsonNode page,
      int pages,
      FhirCall call,
      RequestDeadline deadline) {
    List<JsonNode> more = new ArrayList<>();
    String next = FhirJson.nextLink(page);
    for (int i = 0; i < pages && next != null; i++) {
      // The token may only go to the server it was issued for.
      if (!sameServer(fhirServer, next)) {
        break;
      }
      // A next page that is gone (the server let the search expire) fails the whole key: the
      // pages read so far are not the whole answer. Its URL is the server's own: sent as given.
      JsonNode current =
          new Exchange(fhirServer, accessToken, call, deadline, "Bundle", false, false).get(next);
      more.add(current);
      next = FhirJson.nextLink(current);
    }
    return more;
  }

  /** Why an attempt did not give an answer, and whether another one may. */
  private static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;

    /** Nanoseconds to wait before trying again, or -1 when another attempt would not help. */
    final transient long retryAfterNanos;

    /** Optional parameters the server named in refusing the query. */
    final transient Set<String> refusedParameters;

    final transient FhirFetchException failure;

    Failed(FhirFetchException failure, long retryAfterNanos, Set<String> refusedParameters) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
      this.retryAfterNanos = retryAfterNanos;
      this.refusedParameters = refusedParameters;
    }

    static Failed finalFailure(FhirFetchException failure) {
      return new Failed(failure, -1, Set.of());
    }
  }

  /**
   * One GET and its retries: through HAPI's client transport (the pooled HTTP client configured
   * above: timeouts, same-server redirects, size cap), read straight into a JSON tree for the
   * mapper: parsing into HAPI's object model and printing it back to JSON was most of the FHIR
   * path's CPU (BENCHMARKS.md). The tree must have the shape of an R4 resource of the type
   * expected; the mapper judges the content, as for prefetch.
   */
  private final class Exchange {
    private final String fhirServer;
    private final String accessToken;
    private final FhirCall call;
    private final RequestDeadline deadline;
    private final String expected;
    private final boolean goneIsEmpty;
    private final boolean mayDropParameters;

    /**
     * @param goneIsEmpty 404 and 410 mean "nothing there" (a read or a first page), not a failure
     * @param mayDropParameters the URL is ours (not a server's next link): optional parameters the
     *     server refuses may be left out
     */
    Exchange(
        String fhirServer,
        String accessToken,
        FhirCall call,
        RequestDeadline deadline,
        String expected,
        boolean goneIsEmpty,
        boolean mayDropParameters) {
      this.fhirServer = fhirServer;
      this.accessToken = accessToken;
      this.call = call;
      this.deadline = deadline;
      this.expected = expected;
      this.goneIsEmpty = goneIsEmpty;
      this.mayDropParameters = mayDropParameters;
    }

    JsonNode get(String url) {
      String server = serverKey(fhirServer);
      String current =
          mayDropParameters ? withoutParameters(url, refused.getOrDefault(server, Set.of())) : url;
      boolean retried = false;
      while (true) {
        try {
          return attempt(current);
        } catch (Failed f) {
          if (mayDropParameters && !f.refusedParameters.isEmpty()) {
            // A refused optional parameter is not a transient fault: remember it for this server.
            if (refused.size() < MAX_SERVERS_REMEMBERED) {
              refused.merge(
                  server,
                  Set.copyOf(f.refusedParameters),
                  (a, b) -> {
                    Set<String> both = new LinkedHashSet<>(a);
                    both.addAll(b);
                    return Set.copyOf(both);
                  });
            }
            f.refusedParameters.forEach(metrics::fhirParameterRefused);
            current = withoutParameters(current, f.refusedParameters);
            continue;
          }
          if (retried
              || f.retryAfterNanos < 0
              || call.remainingNanos() < f.retryAfterNanos + MIN_TIME_FOR_RETRY_NANOS) {
            throw f.failure;
          }
          retried = true;
          metrics.fhirRetry(f.failure.reason());
          pause(f.retryAfterNanos);
        } catch (RuntimeException e) {
          if (e instanceof FhirFetchException) {
            throw e;
          }
          throw new FhirFetchException(
              "FHIR server call failed: " + e.getClass().getSimpleName(), e);
        }
      }
    }

    private void pause(long nanos) {
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FhirFetchException("the FHIR server did not answer within the deadline", e);
      }
    }

    private JsonNode attempt(String url) throws Failed {
      Semaphore permits = permitsFor(fhirServer);
      try {
        if (!permits.tryAcquire(Math.max(0, call.remainingNanos()), TimeUnit.NANOSECONDS)) {
          throw Failed.finalFailure(
              new FhirFetchException(
                  "the FHIR server did not answer within the deadline (all "
                      + settings.maxRequestsPerServer()
                      + " requests allowed to it at once were in use)"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw Failed.finalFailure(
            new FhirFetchException("the FHIR server did not answer within the deadline", e));
      }
      try {
        return send(url);
      } finally {
        permits.release();
      }
    }

    private JsonNode send(String url) throws Failed {
      IHttpRequest request =
          fhir.getRestfulClientFactory()
              .getHttpClient(new StringBuilder(url), null, null, RequestTypeEnum.GET, List.of())
              .createGetRequest(fhir, EncodingEnum.JSON);
      if (accessToken != null) {
        request.addHeader(Constants.HEADER_AUTHORIZATION, "Bearer " + accessToken);
      }
      deadline.interceptRequest(request);
      call.requestSent();
      metrics.fhirRequest();
      IHttpResponse response;
      try {
        response = request.execute();
      } catch (IOException e) {
        FhirFetchException failure = new FhirFetchException(connectionProblem(e), e);
        // Nothing reached the server: sending the GET again is safe and may well work (a lost
        // SYN, a kept-alive connection the server had closed).
        throw new Failed(failure, couldNotConnect(e) ? 0 : -1, Set.of());
      }
      try {
        int status = response.getStatus();
        if (status < 200 || status > 299) {
          if (status == 400 && mayDropParameters) {
            Set<String> named = refusedOptionalParameters(url, errorText(response));
            if (!named.isEmpty()) {
              throw new Failed(new FhirFetchException("FHIR server answered HTTP 400"), -1, named);
            }
          } else {
            discardBody(response);
          }
          if ((status == 404 || status == 410) && goneIsEmpty) {
            return null;
          }
          FhirFetchException failure =
              new FhirFetchException("FHIR server answered HTTP " + status);
          if (status == 429 || status == 503) {
            throw new Failed(failure, retryAfterNanos(response), Set.of());
          }
          throw Failed.finalFailure(failure);
        }
        JsonNode resource = read(response, call.bytes());
        String problem = FhirJson.shapeProblem(resource, resourceTypes);
        if (problem != null) {
          throw new FhirFetchException(UNREADABLE + " (it " + problem + ")");
        }
        if (!expected.equals(FhirJson.resourceType(resource))) {
          throw new FhirFetchException(
              UNREADABLE
                  + " (a "
                  + FhirJson.resourceType(resource)
                  + " where a "
                  + expected
                  + " was expected)");
        }
        return resource;
      } finally {
        response.close();
      }
    }

    /** The optional parameters of {@code url} that a 400's text names. */
    private Set<String> refusedOptionalParameters(String url, String errorText) {
      Set<String> named = new LinkedHashSet<>();
      if (errorText.isEmpty()) {
        return named;
      }
      for (String parameter : parameterNames(url)) {
        if (settings.optionalParameters().contains(parameter) && errorText.contains(parameter)) {
          named.add(parameter);
        }
      }
      return named;
    }
  }

  private Semaphore permitsFor(String fhirServer) {
    String key = serverKey(fhirServer);
    Semaphore permits = inFlight.get(key);
    if (permits != null) {
      return permits;
    }
    if (inFlight.size() >= MAX_SERVERS_REMEMBERED) {
      return overflow;
    }
    return inFlight.computeIfAbsent(key, k -> new Semaphore(settings.maxRequestsPerServer(), true));
  }

  /** Scheme, host and port: the unit a server's limits apply to. */
  static String serverKey(String fhirServer) {
    try {
      URI uri = URI.create(fhirServer.trim());
      return (uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort())
          .toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return fhirServer.toLowerCase(Locale.ROOT);
    }
  }

  /** The names of a URL's query parameters. */
  static List<String> parameterNames(String url) {
    int q = url.indexOf('?');
    List<String> names = new ArrayList<>();
    if (q < 0) {
      return names;
    }
    for (String pair : url.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      names.add(eq < 0 ? pair : pair.substring(0, eq));
    }
    return names;
  }

  /** {@code url} without the query parameters named. */
  static String withoutParameters(String url, Set<String> names) {
    int q = url.indexOf('?');
    if (q < 0 || names.isEmpty()) {
      return url;
    }
    List<String> kept = new ArrayList<>();
    for (String pair : url.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      if (!names.contains(eq < 0 ? pair : pair.substring(0, eq))) {
        kept.add(pair);
      }
    }
    return kept.isEmpty() ? url.substring(0, q) : url.substring(0, q + 1) + String.join("&", kept);
  }

  /** The refused connection kinds a second attempt may get past. */
  private static boolean couldNotConnect(IOException e) {
    return e instanceof ConnectException
        || e instanceof ConnectTimeoutException
        || e instanceof NoRouteToHostException
        || e instanceof NoHttpResponseException;
  }

  /** Retry-After as delta-seconds or an HTTP date; a short default when absent or unreadable. */
  static long retryAfterNanos(IHttpResponse response) {
    List<String> values = response.getHeaders("Retry-After");
    String value = values == null || values.isEmpty() ? null : values.get(0);
    return retryAfterNanos(value, System.currentTimeMillis());
  }

  static long retryAfterNanos(String value, long nowMillis) {
    if (value == null || value.isBlank()) {
      return DEFAULT_RETRY_AFTER_NANOS;
    }
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? DEFAULT_RETRY_AFTER_NANOS : TimeUnit.SECONDS.toNanos(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        long at =
            ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, at - nowMillis));
      } catch (DateTimeParseException notDate) {
        return DEFAULT_RETRY_AFTER_NANOS;
      }
    }
  }

  /** An error answer's text (an OperationOutcome's diagnostics, usually), at most 64 KiB. */
  private static String errorText(IHttpResponse response) {
    try (InputStream body = response.readEntity()) {
      if (body == null) {
        return "";
      }
      byte[] text = body.readNBytes(64 * 1024);
      body.transferTo(OutputStream.nullOutputStream());
      return new String(text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Reads an unused body to its end (the deadline and size cap still apply), so the connection goes
   * back to the pool instead of being closed.
   */
  private static void discardBody(IHttpResponse response) {
    try (InputStream body = response.readEntity()) {
      if (body != null) {
        body.transferTo(OutputStream.nullOutputStream());
      }
    } catch (IOException e) {
      // The connection is closed instead of reused; the status says what went wrong.
    }
  }

  private JsonNode read(IHttpResponse response, ByteBudget budget) {
    String mimeType = response.getMimeType();
    try (InputStream raw = response.readEntity()) {
      if (raw == null) {
        return null;
      }
      InputStream body = budget.meter(raw, declaredLength(response));
      if (mimeType != null && mimeType.toLowerCase(Locale.ROOT).contains("xml")) {
        // Asked for JSON, a few servers answer XML all the same: HAPI reads it, the mapper reads
        // JSON, so it is printed as such.
        try (Reader reader = new InputStreamReader(body, StandardCharsets.UTF_8)) {
          IBaseResource resource = fhir.newXmlParser().parseResource(reader);
          return JsonTrees.readFhir(JSON, fhir.newJsonParser().encodeResourceToString(resource));
        }
      }
      return JsonTrees.readFhir(JSON, body);
    } catch (JsonProcessingException | DataFormatException e) {
      throw new FhirFetchException(UNREADABLE + " (" + e.getClass().getSimpleName() + ")", e);
    } catch (IOException e) {
      throw new FhirFetchException(connectionProblem(e), e);
    }
  }

  /** The Content-Length the server declared, or -1. */
  private static long declaredLength(IHttpResponse response) {
    List<String> values = response.getHeaders("Content-Length");
    if (values == null || values.isEmpty()) {
      return -1;
    }
    try {
      return Long.parseLong(values.get(0).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** What went wrong on the wire, in words (never data). */
  private static String connectionProblem(IOException e) {
    if (e instanceof CappedInputStream.TooLarge) {
      return "the FHIR server's response was larger than " + MAX_RESPONSE_BYTES + " bytes";
    }
    if (e instanceof ByteBudget.Exhausted exhausted) {
      return exhausted.getMessage() + ": larger than the service may hold";
    }
    String kind = e.getClass().getSimpleName();
    if (kind.contains("Timeout") && !(e instanceof ConnectTimeoutException)) {
      return "the FHIR server did not answer in time (" + kind + ")";
    }
    return "could not connect to the FHIR server (" + kind + ")";
  }

  /** True when {@code url} is under the fhirServer base: "base/...", "base?..." or "base". */
  static boolean sameServer(String fhirServer, String url) {
    String base =
        fhirServer.endsWith("/") ? fhirServer.substring(0, fhirServer.length() - 1) : fhirServer;
    String b = base.toLowerCase(Locale.ROOT);
    String u = url.toLowerCase(Locale.ROOT);
    return u.equals(b) || u.startsWith(b + "/") || u.startsWith(b + "?");
  }

  private static String base(String fhirServer) {
    return fhirServer.endsWith("/") ? fhirServer : fhirServer + "/";
  }
}
