package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The key cache against a real JWKS server that dribbles its answer: the fetch is cut off at its
 * deadline, runs once at a time, never holds a caller longer than the wait bound, and cached keys
 * keep serving while the endpoint is slow or failing. Assertions are on outcomes and ordering.
 */
class RemoteJwksTest {

  /** A deadline of 1 s, refresh on every lookup, 30 s back-off, callers wait at most 200 ms. */
  private static final RemoteJwks.Settings FAST = settings(Duration.ofMillis(200));

  /** As {@link #FAST}, callers waiting at most {@code maxWait}. */
  private static RemoteJwks.Settings settings(Duration maxWait) {
    return new RemoteJwks.Settings(
        Duration.ofSeconds(1),
        Duration.ZERO,
        Duration.ZERO,
        Duration.ofSeconds(30),
        maxWait,
        2,
        512 * 1024);
  }

  private static RSAKey key;
  private static String keySet;

  private final ScheduledExecutorService watchdog = RemoteJwks.newWatchdog();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void keys() throws Exception {
    key = new RSAKeyGenerator(2048).keyID("k1").generate();
    keySet = new JWKSet(key.toPublicJWK()).toString();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    watchdog.shutdownNow();
  }

  private SlowJwksServer server(long dribbleMillis) throws Exception {
    SlowJwksServer server = new SlowJwksServer(dribbleMillis);
    closing.add(server);
    return server;
  }

  private RemoteJwks source(String url, RemoteJwks.Settings settings) {
    RemoteJwks source = new RemoteJwks(url, settings, new Semaphore(16), watchdog);
    closing.add(source::close);
    return source;
  }

  @Test
  void aDribblingServerIsCutOffAtTheFetchDeadlineAndTheCallerIsNotHeld() throws Exception {
    // 600+ bytes at one per 100 ms would take over a minute.
    SlowJwksServer slow = server(100);
    slow.body.set(keySet);
    RemoteJwks source = source(slow.url(), FAST);

    RemoteJwks.Lookup lookup = source.keys("k1");

    // The caller got its answer (no keys yet) while the fetch was still dribbling...
    assertThat(lookup.outcome()).isEqualTo(RemoteJwks.Outcome.NO_KEYS);
    assertThat(slow.cutOff.get()).isZero();
    // ...and the fetch was then cut off by its deadline, long before the body could complete.
    assertThat(slow.firstCutOff.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(slow.requests.get()).isEqualTo(1);
  }

  @Test
  void oneFetchAtATimeHowEverManyCallersAsk() throws Exception {
    SlowJwksServer slow = server(100);
    RemoteJwks source = source(slow.url(), FAST);
    ExecutorService callers = Executors.newFixedThreadPool(32);
    try {
      List<Future<RemoteJwks.Lookup>> lookups = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String kid = "kid-" + i;
        lookups.add(callers.submit(() -> source.keys(kid)));
      }
      for (Future<RemoteJwks.Lookup> f : lookups) {
        assertThat(f.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(RemoteJwks.Outcome.NO_KEYS);
      }
    } finally {
      callers.shutdownNow();
    }
    // All 200 callers have their answer while the one fetch is still under way (or was cut off);
    // on a busy machine that fetch may reach the server only now.
    for (long deadline = System.nanoTime() + 10_000_000_000L;
        slow.requests.get() == 0 && System.nanoTime() < deadline; ) {
      Thread.sleep(10);
    }
    assertThat(slow.requests.get()).isEqualTo(1);
  }

  @Test
  void aFailedFetchIsNotRetriedWithinTheBackOff() throws Exception {
    SlowJwksServer slow = server(100);
    slow.answerFast("<html>not keys</html>");
    RemoteJwks.Settings longBackOff =
        new RemoteJwks.Settings(
            Duration.ofSeconds(1),
            Duration.ZERO,
            Duration.ZERO,
            Duration.ofMinutes(5),
            Duration.ofSeconds(2),
            2,
            512 * 1024);
    RemoteJwks source = source(slow.url(), longBackOff);
    assertThat(source.keys("k1").outcome()).isEqualTo(RemoteJwks.Outcome.NO_KEYS);
    slow.answerFast(keySet);
    for (int i = 0; i < 20; i++) {
      assertThat(source.keys("k1").outcome()).isEqualTo(RemoteJwks.Outcome.NO_KEYS);
    }
    assertThat(slow.requests.get()).isEqualTo(1);
  }

  @Test
  void cachedKeysKeepServingWhileARefreshDribblesOrFails() throws Exception {
    SlowJwksServer slow = server(100);
    slow.answerFast(keySet);
    RemoteJwks source = source(slow.url(), settings(Duration.ofSeconds(5)));
    RemoteJwks.Lookup first = source.keys("k1");
    assertThat(first.outcome()).isEqualTo(RemoteJwks.Outcome.FOUND);
    assertThat(first.keys()).extracting(k -> k.getKeyID()).containsExactly("k1");

    // From now on the endpoint dribbles: every lookup finds the keys are stale (refresh interval
    // zero) and starts a background refresh, yet is answered from the cache at once.
    slow.dribble.set(true);
    for (int i = 0; i < 50; i++) {
      assertThat(source.keys("k1").outcome()).isEqualTo(RemoteJwks.Outcome.FOUND);
    }
    // One refresh was started (it reaches the server in the background), and only one.
    for (int i = 0; i < 100 && slow.requests.get() < 2; i++) {
      Thread.sleep(50);
    }
    assertThat(slow.requests.get()).isEqualTo(2);

    // After the cut-off the cached keys are still used.
    assertThat(slow.firstCutOff.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(source.keys("k1").outcome()).isEqualTo(RemoteJwks.Outcome.FOUND);
    // An unknown kid is an unknown kid, not "no keys".
    assertThat(source.keys("other").outcome()).isEqualTo(RemoteJwks.Outcome.UNKNOWN_KID);
  }

  @Test
  void aRotatedKeyIsFoundAfterOneRefresh() throws Exception {
    SlowJwksServer server = server(100);
    server.answerFast(keySet);
    RemoteJwks.Settings settings =
        new RemoteJwks.Settings(
            Duration.ofSeconds(5),
            Duration.ofMinutes(10),
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5),
            4,
            512 * 1024);
    RemoteJwks source = source(server.url(), settings);
    assertThat(source.keys("k1").outcome()).isEqualTo(RemoteJwks.Outcome.FOUND);
    RSAKey rotated = new RSAKeyGenerator(2048).keyID("k2").generate();
    server.answerFast(new JWKSet(List.of(key.toPublicJWK(), rotated.toPublicJWK())).toString());
    assertThat(source.keys("k2").outcome()).isEqualTo(RemoteJwks.Outcome.FOUND);
    // A second unknown kid within the gap fetches nothing.
    assertThat(source.keys("k3").outcome()).isEqualTo(RemoteJwks.Outcome.UNKNOWN_KID);
    assertThat(server.requests.get()).isEqualTo(2);
  }

  @Test
  void onlyHttpUrlsAreAccepted() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new RemoteJwks("file:///etc/passwd", FAST, new Semaphore(1), watchdog))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
