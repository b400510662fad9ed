package org.mineralcds.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP proxy in front of a FHIR server that records, for each GET the service sends,
 * when it started and ended (relative to {@link #mark()}), its path and query, and its size: what
 * runs in parallel inside one hook call, what waits for what. Links in the answers (Bundle next
 * pages) are rewritten to point back at the proxy, so every page is seen.
 */
final class TracingProxy implements AutoCloseable {

  /** One request as the proxy saw it: offsets in ms from the mark. */
  record Hop(String target, double startMs, double endMs, int status, int bytes) {}

  private final HttpServer server;
  private final String upstream;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final List<Hop> hops = new CopyOnWriteArrayList<>();
  private volatile long markNanos = System.nanoTime();

  /**
   * @param upstream the FHIR base, e.g. http://127.0.0.1:18090/fhir
   */
  TracingProxy(String upstream) throws IOException {
    this.upstream = upstream.replaceAll("/+$", "");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool());
    String path = URI.create(this.upstream).getPath();
    server.createContext(path.isEmpty() ? "/" : path, this::forward);
    server.start();
  }

  /** The proxy's FHIR base (same path as the upstream's). */
  String base() {
    URI u = URI.create(upstream);
    return "http://127.0.0.1:" + server.getAddress().getPort() + u.getPath();
  }

  /** Starts a new trace: offsets count from now, earlier hops are dropped. */
  void mark() {
    hops.clear();
    markNanos = System.nanoTime();
  }

  List<Hop> hops() {
    List<Hop> copy = new ArrayList<>(hops);
    copy.sort((a, b) -> Double.compare(a.startMs(), b.startMs()));
    return copy;
  }

  private void forward(HttpExchange exchange) throws IOException {
    long started = System.nanoTime();
    String target = exchange.getRequestURI().getRawPath();
    String query = exchange.getRequestURI().getRawQuery();
    String prefix = URI.create(upstream).getPath();
    String rest = target.substring(prefix.length()) + (query == null ? "" : "?" + query);
    int status;
    byte[] body;
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(upstream + rest)).timeout(Duration.ofSeconds(60));
      String accept = exchange.getRequestHeaders().getFirst("Accept");
      if (accept != null) {
        request.header("Accept", accept);
      }
      HttpResponse<byte[]> response =
          client.send(request.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      status = response.statusCode();
      body =
          new String(response.body(), StandardCharsets.UTF_8)
              .replace(upstream, base())
              .getBytes(StandardCharsets.UTF_8);
      String type = response.headers().firstValue("Content-Type").orElse("application/fhir+json");
      exchange.getResponseHeaders().set("Content-Type", type);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = 502;
      body = new byte[0];
    } catch (IOException e) {
      status = 502;
      body = new byte[0];
    }
    // Recorded before the answer is passed on: the service may answer its hook call as soon as it
    // has read this, before this thread would get to record it.
    hops.add(
        new Hop(
            rest,
            (started - markNanos) / 1e6,
            (System.nanoTime() - markNanos) / 1e6,
            status,
            body.length));
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
