package org.mineralcds.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.http.HttpEntity;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.NoConnectionReuseStrategy;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.mineralcds.observability.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys published at one JWKS URL, fetched off the request threads.
 *
 * <ul>
 *   <li>One fetch at a time (single flight), on a thread of this source's own, under one overall
 *       deadline (connect, headers and body together: a server dribbling bytes is cut off).
 *   <li>Stale while revalidate: keys older than the refresh interval are still used while a refresh
 *       runs in the background, and kept for as long as the endpoint is down or slow; a successful
 *       fetch replaces them (a key the issuer removed is gone after the next one).
 *   <li>A token naming a kid the cached keys lack starts a refresh (at most one per {@code
 *       minRefreshGap} of unknown-kid refreshes) and waits for it at most {@code maxWait}; at most
 *       {@code maxWaiters} request threads wait on one source, and at most the shared {@code
 *       waiters} on all sources together. Anyone else is answered at once from the cache.
 *   <li>A failed fetch is remembered for {@code failureBackoff}: no fetch and no waiting meanwhile.
 * </ul>
 *
 * Thread-safe.
 */
final class RemoteJwks {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteJwks.class);

  /** Deadlines and intervals of the key cache. */
  record Settings(
      Duration fetchDeadline,
      Duration refreshInterval,
      Duration minRefreshGap,
      Duration failureBackoff,
      Duration maxWait,
      int maxWaiters,
      int maxBytes) {

    /** The production values (docs/registering.md, "How keys are fetched"). */
    static final Settings DEFAULT =
        new Settings(
            Duration.ofSeconds(5),
            Duration.ofMinutes(10),
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            Duration.ofSeconds(2),
            4,
            512 * 1024);
  }

  /** What the source has, for the caller to tell "no keys at all" from "no such kid". */
  enum Outcome {
    FOUND,
    UNKNOWN_KID,
    NO_KEYS
  }

  /** Keys selected for a kid, with the outcome. */
  record Lookup(Outcome outcome, List<JWK> keys) {}

  private record Snapshot(JWKSet keys, long fetchedAtNanos) {}

  private final URI url;
  private final Settings settings;
  private final Semaphore sharedWaiters;
  private final Semaphore waiters;
  private final ThreadPoolExecutor fetcher;
  private final ScheduledExecutorService watchdog;
  private final CloseableHttpClient client =
      HttpClients.custom()
          .disableRedirectHandling()
          .disableAutomaticRetries()
          .disableCookieManagement()
          .disableAuthCaching()
          .setConnectionReuseStrategy(NoConnectionReuseStrategy.INSTANCE)
          .setMaxConnTotal(2)
          .setMaxConnPerRoute(2)
          .useSystemProperties()
          .build();

  private volatile Snapshot snapshot;
  private long lastAttemptNanos;
  private long lastUnknownKidNanos;
  private long lastFailureNanos;
  private boolean failed;
  private CompletableFuture<Void> inFlight;

  /**
   * @param sharedWaiters request threads that may wait on any source at once
   * @param watchdog closes connections that pass their deadline
   */
  RemoteJwks(
      String url, Settings settings, Semaphore sharedWaiters, ScheduledExecutorService watchdog) {
    this.url = URI.create(url);
    String scheme = this.url.getScheme() == null ? "" : this.url.getScheme();
    if (!scheme.equalsIgnoreCase("https") && !scheme.equalsIgnoreCase("http")
        || this.url.getHost() == null) {
      throw new IllegalArgumentException("not an http(s) URL: " + url);
    }
    this.settings = settings;
    this.sharedWaiters = sharedWaiters;
    this.waiters = new Semaphore(settings.maxWaiters());
    this.watchdog = watchdog;
    this.fetcher =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "jwks-" + this.url.getHost());
              t.setDaemon(true);
              return t;
            });
    fetcher.allowCoreThreadTimeOut(true);
  }

  /** A watchdog for {@link #RemoteJwks}: one daemon thread, shared by all sources. */
  static ScheduledExecutorService newWatchdog() {
    ScheduledThreadPoolExecutor watchdog =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "jwks-deadline");
              t.setDaemon(true);
              return t;
            });
    watchdog.setRemoveOnCancelPolicy(true);
    return watchdog;
  }

  String url() {
    return url.toString();
  }

  /** No keys could be fetched yet and the last attempt failed (readiness). */
  synchronized boolean unavailable() {
    return snapshot == null && failed;
  }

  /** Starts a fetch in the background (at start-up, so the first call finds the keys). */
  void prefetch() {
    refresh(false);
  }

  /** The keys with this kid: from the cache, or after waiting briefly for a refresh. */
  Lookup keys(String kid) {
    JWKSelector selector = new JWKSelector(new JWKMatcher.Builder().keyID(kid).build());
    Snapshot snap = snapshot;
    if (snap != null) {
      if (System.nanoTime() - snap.fetchedAtNanos() > settings.refreshInterval().toNanos()) {
        refresh(false);
      }
      List<JWK> found = selector.select(snap.keys());
      if (!found.isEmpty()) {
        return new Lookup(Outcome.FOUND, found);
      }
    }
    CompletableFuture<Void> refresh = refresh(true);
    if (refresh != null && waiters.tryAcquire()) {
      try {
        if (sharedWaiters.tryAcquire()) {
          try {
            refresh.get(settings.maxWait().toMillis(), TimeUnit.MILLISECONDS);
          } catch (TimeoutException | ExecutionException e) {
            // Answered from what the cache holds now; the fetch carries on in the background.
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            sharedWaiters.release();
          }
        }
      } finally {
        waiters.release();
      }
    }
    snap = snapshot;
    if (snap == null) {
      return new Lookup(Outcome.NO_KEYS, List.of());
    }
    List<JWK> found = selector.select(snap.keys());
    return new Lookup(found.isEmpty() ? Outcome.UNKNOWN_KID : Outcome.FOUND, found);
  }

  /**
   * The fetch in flight, a new one, or null when none may start now: the last one failed less than
   * the back-off ago, or (for an unknown kid with keys cached) one was tried less than the minimum
   * gap ago.
   */
  private synchronized CompletableFuture<Void> refresh(boolean unknownKid) {
    if (inFlight != null && !inFlight.isDone()) {
      return inFlight;
    }
    long now = System.nanoTime();
    if (failed && now - lastFailureNanos < settings.failureBackoff().toNanos()) {
      return null;
    }
    if (snapshot != null) {
      long last = unknownKid ? lastUnknownKidNanos : lastAttemptNanos;
      Duration gap = unknownKid ? settings.minRefreshGap() : settings.refreshInterval();
      if (last != 0 && now - last < gap.toNanos()) {
        return null;
      }
    }
    lastAttemptNanos = now;
    if (unknownKid && snapshot != null) {
      lastUnknownKidNanos = now;
    }
    inFlight = CompletableFuture.runAsync(this::fetch, fetcher);
    return inFlight;
  }

  private void fetch() {
    long started = System.nanoTime();
    try {
      JWKSet keys = JWKSet.parse(download());
      snapshot = new Snapshot(keys.toPublicJWKSet(), System.nanoTime());
      synchronized (this) {
        failed = false;
      }
      LOG.debug(
          "JWKS {}: {} keys in {} ms",
          LogText.safe(url),
          keys.getKeys().size(),
          (System.nanoTime() - started) / 1_000_000);
    } catch (IOException | ParseException | RuntimeException e) {
      synchronized (this) {
        failed = true;
        lastFailureNanos = System.nanoTime();
      }
      LOG.warn(
          "JWKS {} could not be fetched ({}: {}); {}",
          LogText.safe(url),
          e.getClass().getSimpleName(),
          LogText.safe(e.getMessage()),
          snapshot == null
              ? "no keys yet: its tokens are refused until a fetch succeeds"
              : "the cached keys stay in use");
    }
  }

  /** The body, read under one overall deadline; no redirects, no connection reuse, capped. */
  private String download() throws IOException {
    long deadline = System.nanoTime() + settings.fetchDeadline().toNanos();
    int timeout = (int) Math.max(1, settings.fetchDeadline().toMillis());
    HttpGet get = new HttpGet(url);
    get.setConfig(
        RequestConfig.custom()
            .setConnectTimeout(timeout)
            .setConnectionRequestTimeout(timeout)
            .setSocketTimeout(timeout)
            .setRedirectsEnabled(false)
            .build());
    get.setHeader("Accept", "application/json, application/jwk-set+json");
    // Aborting the request closes its socket: it ends a read blocked on a dribbling server.
    ScheduledFuture<?> cutOff =
        watchdog.schedule(get::abort, settings.fetchDeadline().toMillis(), TimeUnit.MILLISECONDS);
    try (CloseableHttpResponse response = client.execute(get)) {
      int status = response.getStatusLine().getStatusCode();
      if (status != 200) {
        throw new IOException("HTTP " + status);
      }
      HttpEntity entity = response.getEntity();
      if (entity == null) {
        throw new IOException("no body");
      }
      String type = entity.getContentType() == null ? null : entity.getContentType().getValue();
      if (type != null && !type.toLowerCase(Locale.ROOT).contains("json")) {
        throw new IOException("content type " + LogText.safe(type));
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      try (InputStream in = entity.getContent()) {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          body.write(buffer, 0, n);
          if (body.size() > settings.maxBytes()) {
            throw new IOException("larger than " + settings.maxBytes() + " bytes");
          }
          if (System.nanoTime() > deadline) {
            break;
          }
        }
      }
      if (System.nanoTime() > deadline || get.isAborted()) {
        throw new IOException("deadline of " + settings.fetchDeadline().toMillis() + " ms passed");
      }
      return body.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      if (System.nanoTime() > deadline || get.isAborted()) {
        throw new IOException(
            "deadline of " + settings.fetchDeadline().toMillis() + " ms passed", e);
      }
      throw e;
    } finally {
      cutOff.cancel(false);
      // Closes the connection whatever happened (it is never reused).
      get.abort();
    }
  }

  /** Stops the fetch thread. */
  void close() {
    fetcher.shutdownNow();
    try {
      client.close();
    } catch (IOException e) {
      // Nothing to do: the process is stopping.
    }
  }
}
