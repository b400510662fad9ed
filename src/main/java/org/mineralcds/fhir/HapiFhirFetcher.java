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
import java.io.OutputStream;
import java.io.Reader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpEntity;
import org.apache.http.HttpResponseInterceptor;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.mineralcds.hook.HookJson;
import org.mineralcds.io.CappedInputStream;
import org.mineralcds.observability.Metrics;

/**
 * {@link FhirFetcher} on HAPI's client transport: no capability-statement round trip, bounded
 * connect and read timeouts, pooled connections reused across calls, the bearer token attached per
 * call, and answers read as JSON for the one mapper both data paths share.
 */
public final class HapiFhirFetcher implements FhirFetcher {

  /** No FHIR response may be larger than this, whatever the server sends. */
  public static final long MAX_RESPONSE_BYTES = 32L * 1024 * 1024;

  /**
   * FHIR queries in flight at once to one server: a hook call sends its 15 prefetch queries in
   * parallel, so 32 made a ninth concurrent call on the FHIR path wait a whole server round trip
   * (BENCHMARKS.md); 128 lets 8 calls run side by side.
   */
  public static final int MAX_CONNECTIONS_PER_SERVER = 128;

  private static final ObjectMapper JSON = HookJson.newMapper();

  private static final String UNREADABLE = "the FHIR server's response could not be read as FHIR";

  private final FhirContext fhir;
  private final Set<String> resourceTypes;
  private final Metrics metrics;

  /**
   * @param fhir a context of its own: its client factory is configured here
   */
  public HapiFhirFetcher(
      FhirContext fhir, Duration connectTimeout, Duration readTimeout, Metrics metrics) {
    this.fhir = fhir;
    this.metrics = metrics;
    // Requests are made with HAPI's transport on this client, which carries the timeouts; no
    // generic client is built, so no capability statement is ever fetched.
    fhir.getRestfulClientFactory().setHttpClient(httpClient(connectTimeout, readTimeout));
    this.resourceTypes = Set.copyOf(fhir.getResourceTypes());
  }

  /**
   * Pooled connections reused across calls; redirects followed only on the same server (a token
   * must never follow one to another host); bodies capped at {@link #MAX_RESPONSE_BYTES}.
   */
  private static CloseableHttpClient httpClient(Duration connectTimeout, Duration readTimeout) {
    PoolingHttpClientConnectionManager connections =
        new PoolingHttpClientConnectionManager(5, TimeUnit.MINUTES);
    connections.setMaxTotal(2 * MAX_CONNECTIONS_PER_SERVER);
    connections.setDefaultMaxPerRoute(MAX_CONNECTIONS_PER_SERVER);
    RequestConfig requests =
        RequestConfig.custom()
            .setConnectTimeout((int) connectTimeout.toMillis())
            .setConnectionRequestTimeout((int) connectTimeout.toMillis())
            .setSocketTimeout((int) readTimeout.toMillis())
            .setRedirectsEnabled(true)
            .setMaxRedirects(3)
            .build();
    return HttpClients.custom()
        .setConnectionManager(connections)
        .setDefaultRequestConfig(requests)
        .setRedirectStrategy(new SameServerRedirects())
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
      String fhirServer, String accessToken, String relativeUrl, int maxPages, long deadlineNanos) {
    long started = System.nanoTime();
    boolean ok = false;
    RequestDeadline deadline = new RequestDeadline(deadlineNanos);
    try {
      List<JsonNode> resources =
          fetchPages(fhirServer, accessToken, relativeUrl, maxPages, deadline);
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
      RequestDeadline deadline) {
    String url = base(fhirServer) + relativeUrl;
    // A read ("Medication/7") answers that resource; a search answers searchset pages.
    int slash = relativeUrl.indexOf('/');
    String expectedType =
        relativeUrl.contains("?") || slash < 0 ? "Bundle" : relativeUrl.substring(0, slash);
    JsonNode first = get(url, accessToken, deadline, expectedType, true);
    if (first == null) {
      return List.of();
    }
    List<JsonNode> pages = new ArrayList<>();
    pages.add(first);
    pages.addAll(follow(fhirServer, accessToken, first, maxPages - 1, deadline));
    return pages;
  }

  @Override
  public List<JsonNode> remainingPages(
      String fhirServer, String accessToken, String nextUrl, int maxPages, long deadlineNanos) {
    // The token may only go to the server it was issued for.
    if (maxPages < 1 || !sameServer(fhirServer, nextUrl)) {
      return List.of();
    }
    try (RequestDeadline deadline = new RequestDeadline(deadlineNanos)) {
      JsonNode page = get(nextUrl, accessToken, deadline, "Bundle", false);
      List<JsonNode> pages = new ArrayList<>();
      pages.add(page);
      pages.addAll(follow(fhirServer, accessToken, page, maxPages - 1, deadline));
      return pages;
    }
  }

  private List<JsonNode> follow(
      String fhirServer, String accessToken, JsonNode page, int pages, RequestDeadline deadline) {
    List<JsonNode> more = new ArrayList<>();
    String next = FhirJson.nextLink(page);
    for (int i = 0; i < pages && next != null; i++) {
      // The token may only go to the server it was issued for.
      if (!sameServer(fhirServer, next)) {
        break;
      }
      // A next page that is gone (the server let the search expire) fails the whole key: the
      // pages read so far are not the whole answer.
      JsonNode current = get(next, accessToken, deadline, "Bundle", false);
      more.add(current);
      next = FhirJson.nextLink(current);
    }
    return more;
  }

  /**
   * One GET through HAPI's client transport (the pooled HTTP client configured above: timeouts,
   * same-server redirects, size cap), read straight into a JSON tree for the mapper: parsing into
   * HAPI's object model and printing it back to JSON was most of the FHIR path's CPU
   * (BENCHMARKS.md). The tree must have the shape of an R4 resource of {@code expected} type; the
   * mapper judges the content, as for prefetch. Returns null for 404 and 410 (nothing there) when
   * {@code goneIsEmpty}.
   */
  private JsonNode get(
      String url,
      String accessToken,
      RequestDeadline deadline,
      String expected,
      boolean goneIsEmpty) {
    try {
      return exchange(url, accessToken, deadline, expected, goneIsEmpty);
    } catch (FhirFetchException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new FhirFetchException("FHIR server call failed: " + e.getClass().getSimpleName(), e);
    }
  }

  private JsonNode exchange(
      String url,
      String accessToken,
      RequestDeadline deadline,
      String expected,
      boolean goneIsEmpty) {
    IHttpRequest request =
        fhir.getRestfulClientFactory()
            .getHttpClient(new StringBuilder(url), null, null, RequestTypeEnum.GET, List.of())
            .createGetRequest(fhir, EncodingEnum.JSON);
    if (accessToken != null) {
      request.addHeader(Constants.HEADER_AUTHORIZATION, "Bearer " + accessToken);
    }
    deadline.interceptRequest(request);
    IHttpResponse response;
    try {
      response = request.execute();
    } catch (IOException e) {
      throw new FhirFetchException(connectionProblem(e), e);
    }
    try {
      int status = response.getStatus();
      if (status < 200 || status > 299) {
        discardBody(response);
        if ((status == 404 || status == 410) && goneIsEmpty) {
          return null;
        }
        throw new FhirFetchException("FHIR server answered HTTP " + status);
      }
      JsonNode resource = read(response);
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

  private JsonNode read(IHttpResponse response) {
    String mimeType = response.getMimeType();
    try {
      if (mimeType != null && mimeType.toLowerCase(Locale.ROOT).contains("xml")) {
        // Asked for JSON, a few servers answer XML all the same: HAPI reads it, the mapper reads
        // JSON, so it is printed as such.
        try (Reader body = response.createReader()) {
          IBaseResource resource = fhir.newXmlParser().parseResource(body);
          return JSON.readTree(fhir.newJsonParser().encodeResourceToString(resource));
        }
      }
      try (InputStream body = response.readEntity()) {
        return body == null ? null : JSON.readTree(body);
      }
    } catch (JsonProcessingException | DataFormatException e) {
      throw new FhirFetchException(UNREADABLE + " (" + e.getClass().getSimpleName() + ")", e);
    } catch (IOException e) {
      throw new FhirFetchException(connectionProblem(e), e);
    }
  }

  /** What went wrong on the wire, in words (never data). */
  private static String connectionProblem(IOException e) {
    if (e instanceof CappedInputStream.TooLarge) {
      return "the FHIR server's response was larger than " + MAX_RESPONSE_BYTES + " bytes";
    }
    String kind = e.getClass().getSimpleName();
    if (kind.contains("Timeout")) {
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
