package org.mineralcds.auth;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A JWKS endpoint on the JDK's HttpServer that answers at once ({@link #answerFast}) or dribbles
 * its body one byte every {@code dribbleMillis} (a slow or hostile key server). Counts connections,
 * those open now, and those the client cut off before the body was complete.
 */
final class SlowJwksServer implements AutoCloseable {

  final AtomicReference<String> body = new AtomicReference<>("{\"keys\":[]}");
  final AtomicBoolean dribble = new AtomicBoolean(true);
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger open = new AtomicInteger();
  final AtomicInteger cutOff = new AtomicInteger();
  final CountDownLatch firstCutOff = new CountDownLatch(1);
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final long dribbleMillis;

  SlowJwksServer(long dribbleMillis) throws IOException {
    this.dribbleMillis = dribbleMillis;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.setExecutor(threads);
    server.start();
  }

  void answerFast(String json) {
    body.set(json);
    dribble.set(false);
  }

  private void answer(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    open.incrementAndGet();
    byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      if (!dribble.get()) {
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        return;
      }
      // A padded body, so the dribble lasts long: whitespace before the JSON is still JSON.
      byte[] padded = (" ".repeat(600) + body.get()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, padded.length);
      OutputStream out = exchange.getResponseBody();
      for (byte b : padded) {
        out.write(b);
        out.flush();
        Thread.sleep(dribbleMillis);
      }
    } catch (IOException e) {
      cutOff.incrementAndGet();
      firstCutOff.countDown();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.decrementAndGet();
    }
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json";
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
