package org.mineralcds.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.IRestfulClientFactory;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.exceptions.FhirClientConnectionException;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpEntity;
import org.apache.http.HttpResponseInterceptor;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.mineralcds.hook.HookJson;
import org.mineralcds.observability.Metrics;

/**
 * {@link FhirFetcher} on HAPI's generic client: no capability-statement round trip, bounded connect
 * and read timeouts, pooled connections reused across calls, and the bearer token attached per
 * call.
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

  private final FhirContext fhir;
  private final Metrics metrics;

  /**
   * @param fhir a context of its own: its client factory is configured here
   */
  public HapiFhirFetcher(
      FhirContext fhir, Duration connectTimeout, Duration readTimeout, Metrics metrics) {
    this.fhir = fhir;
    this.metrics = metrics;
    IRestfulClientFactory factory = fhir.getRestfulClientFactory();
    factory.setServerValidationMode(ServerValidationModeEnum.NEVER);
    factory.setConnectTimeout((int) connectTimeout.toMillis());
    factory.setConnectionRequestTimeout((int) connectTimeout.toMillis());
    factory.setSocketTimeout((int) readTimeout.toMillis());
    factory.setHttpClient(httpClient(connectTimeout, readTimeout));
    warmUp();
  }

  /**
   * HAPI builds its client and Bundle parsing machinery on first use, which made the first hook
   * call after start-up several times slower than the rest; do it now instead.
   */
  private void warmUp() {
    fhir.newRestfulGenericClient("http://127.0.0.1/warm-up");
    fhir.newJsonParser()
        .parseResource(
            Bundle.class,
            "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":"
                + "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{}}}]}");
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
                    throw new IOException(
                        "FHIR response larger than " + MAX_RESPONSE_BYTES + " bytes");
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
    IGenericClient client = client(fhirServer, accessToken, deadline);
    String url = base(fhirServer) + relativeUrl;
    try {
      if (!relativeUrl.contains("?")) {
        String type = relativeUrl.substring(0, relativeUrl.indexOf('/'));
        Class<? extends Resource> resourceType =
            fhir.getResourceDefinition(type).getImplementingClass().asSubclass(Resource.class);
        return List.of(json(client.fetchResourceFromUrl(resourceType, url)));
      }
      Bundle first = client.fetchResourceFromUrl(Bundle.class, url);
      List<JsonNode> pages = new ArrayList<>();
      pages.add(json(first));
      pages.addAll(follow(client, fhirServer, first, maxPages - 1));
      return pages;
    } catch (ResourceNotFoundException | ResourceGoneException e) {
      return List.of();
    } catch (RuntimeException e) {
      throw failure(e);
    }
  }

  /** A HAPI client failure as a FhirFetchException naming what happened (never data). */
  private static FhirFetchException failure(RuntimeException e) {
    if (e instanceof FhirClientConnectionException connection) {
      return new FhirFetchException(connectionProblem(connection), e);
    }
    if (e instanceof BaseServerResponseException response) {
      return new FhirFetchException("FHIR server answered HTTP " + response.getStatusCode(), e);
    }
    return new FhirFetchException("FHIR server call failed: " + e.getClass().getSimpleName(), e);
  }

  /** HAPI reports network failures as a 500 "response"; say what really happened. */
  private static String connectionProblem(FhirClientConnectionException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String kind = root.getClass().getSimpleName();
    if (root instanceof DataFormatException) {
      return "the FHIR server's response could not be read as FHIR (" + kind + ")";
    }
    if (kind.contains("Timeout")) {
      return "the FHIR server did not answer in time (" + kind + ")";
    }
    return "could not connect to the FHIR server (" + kind + ")";
  }

  @Override
  public List<JsonNode> remainingPages(
      String fhirServer, String accessToken, String nextUrl, int maxPages, long deadlineNanos) {
    // The token may only go to the server it was issued for.
    if (maxPages < 1 || !sameServer(fhirServer, nextUrl)) {
      return List.of();
    }
    try (RequestDeadline deadline = new RequestDeadline(deadlineNanos)) {
      IGenericClient client = client(fhirServer, accessToken, deadline);
      Bundle page = client.fetchResourceFromUrl(Bundle.class, nextUrl);
      List<JsonNode> pages = new ArrayList<>();
      pages.add(json(page));
      pages.addAll(follow(client, fhirServer, page, maxPages - 1));
      return pages;
    } catch (RuntimeException e) {
      throw failure(e);
    }
  }

  private List<JsonNode> follow(IGenericClient client, String fhirServer, Bundle page, int pages) {
    List<JsonNode> resources = new ArrayList<>();
    Bundle current = page;
    for (int i = 0; i < pages && current.getLink(Bundle.LINK_NEXT) != null; i++) {
      String next = current.getLink(Bundle.LINK_NEXT).getUrl();
      // The token may only go to the server it was issued for.
      if (!sameServer(fhirServer, next)) {
        break;
      }
      current = client.fetchResourceFromUrl(Bundle.class, next);
      resources.add(json(current));
    }
    return resources;
  }

  /**
   * What HAPI's client parsed (and so checked as FHIR R4), as the JSON the mapper reads on both
   * data paths: one mapping, whatever the source.
   */
  private JsonNode json(IBaseResource resource) {
    try {
      return JSON.readTree(fhir.newJsonParser().encodeResourceToString(resource));
    } catch (IOException e) {
      throw new IllegalStateException("HAPI wrote JSON that does not read back", e);
    }
  }

  private IGenericClient client(String fhirServer, String accessToken, RequestDeadline deadline) {
    IGenericClient client = fhir.newRestfulGenericClient(fhirServer);
    client.registerInterceptor(deadline);
    if (accessToken != null) {
      client.registerInterceptor(new BearerTokenAuthInterceptor(accessToken));
    }
    return client;
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
