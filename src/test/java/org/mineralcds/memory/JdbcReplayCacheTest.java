package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.auth.ProxyRetry;
import org.mineralcds.auth.ReplayCache;
import org.mineralcds.auth.ReplayCache.Use;
import org.mineralcds.config.MemorySettings;

/**
 * The JWT replay cache in the memory database: one use per (issuer, jti) across every memory
 * instance on the database (replicas), across restarts, and under a race; expired rows purged.
 */
class JdbcReplayCacheTest {

  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  private static final String ISS = "https://ehr.example.org";

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  private static JdbcMemory open(MemorySettings settings) {
    JdbcMemory memory =
        new JdbcMemory(settings, e -> {}, Clock.fixed(NOW, ZoneOffset.UTC), "test", "k1");
    memory.start();
    return memory;
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aJtiIsUsedOnceAcrossReplicasAndRestartsUntilItExpires(String db) {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    Instant until = NOW.plusSeconds(360);
    try (JdbcMemory a = open(settings);
        JdbcMemory b = open(settings)) {
      assertThat(a.replayCache().record(ISS, "jti-1", until, NOW)).isEqualTo(Use.FIRST);
      assertThat(b.replayCache().record(ISS, "jti-1", until, NOW)).isEqualTo(Use.REPLAYED);
      assertThat(a.replayCache().record(ISS, "jti-1", until, NOW)).isEqualTo(Use.REPLAYED);
      // Another issuer's token with the same jti is another token; issuer and jti do not shift.
      assertThat(b.replayCache().record("https://other.example.org", "jti-1", until, NOW))
          .isEqualTo(Use.FIRST);
      assertThat(b.replayCache().record(ISS + "/x", "y", until, NOW)).isEqualTo(Use.FIRST);
      assertThat(b.replayCache().record(ISS + "/", "xy", until, NOW)).isEqualTo(Use.FIRST);
    }
    try (JdbcMemory restarted = open(settings)) {
      assertThat(restarted.replayCache().record(ISS, "jti-1", until, NOW.plusSeconds(359)))
          .isEqualTo(Use.REPLAYED);
      // Once the remembered time has passed the token is refused as expired anyway; the row may
      // be taken over (and is then remembered again).
      Instant later = until.plusSeconds(1);
      assertThat(restarted.replayCache().record(ISS, "jti-1", later.plusSeconds(60), later))
          .isEqualTo(Use.FIRST);
      assertThat(restarted.replayCache().record(ISS, "jti-1", later.plusSeconds(60), later))
          .isEqualTo(Use.REPLAYED);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aSecondSightingOnAnyReplicaIsAcceptedOnlyAsTheProxysRetryOfTheSameRequest(String db) {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    Instant until = NOW.plusSeconds(360);
    String r1 = ProxyRetry.requestKey("proxy-id-1", "POST", "/p", "{}".getBytes());
    String r2 = ProxyRetry.requestKey("proxy-id-2", "POST", "/p", "{}".getBytes());
    try (JdbcMemory a = open(settings);
        JdbcMemory b = open(settings)) {
      assertThat(a.replayCache().record(ISS, "jti-1", r1, until, NOW)).isEqualTo(Use.FIRST);
      // The proxy sends the same request (same id, same bytes) to another replica: accepted.
      assertThat(b.replayCache().record(ISS, "jti-1", r1, until, NOW.plusSeconds(1)))
          .isEqualTo(Use.RETRY);
      assertThat(a.replayCache().record(ISS, "jti-1", r1, until, NOW.plusSeconds(2)))
          .isEqualTo(Use.RETRY);
      // Another proxy id (a replay through the proxy), or none (straight to a replica): refused.
      assertThat(b.replayCache().record(ISS, "jti-1", r2, until, NOW)).isEqualTo(Use.REPLAYED);
      assertThat(b.replayCache().record(ISS, "jti-1", null, until, NOW)).isEqualTo(Use.REPLAYED);
      // First seen without a proxy id: nothing can be a retry of it.
      assertThat(a.replayCache().record(ISS, "jti-2", null, until, NOW)).isEqualTo(Use.FIRST);
      assertThat(b.replayCache().record(ISS, "jti-2", r1, until, NOW)).isEqualTo(Use.REPLAYED);
    }
    try (JdbcMemory restarted = open(settings)) {
      assertThat(restarted.replayCache().record(ISS, "jti-1", r1, until, NOW.plusSeconds(300)))
          .isEqualTo(Use.RETRY);
      // Expired: taken over by the next sighting; the first request's id counts no more.
      Instant later = until.plusSeconds(1);
      assertThat(restarted.replayCache().record(ISS, "jti-1", r2, later.plusSeconds(60), later))
          .isEqualTo(Use.FIRST);
      assertThat(restarted.replayCache().record(ISS, "jti-1", r1, later.plusSeconds(60), later))
          .isEqualTo(Use.REPLAYED);
      assertThat(restarted.replayCache().record(ISS, "jti-1", r2, later.plusSeconds(60), later))
          .isEqualTo(Use.RETRY);
      // A live row whose own time has passed is not a retry either.
      assertThat(
              restarted
                  .replayCache()
                  .record(ISS, "jti-1", r2, later.plusSeconds(120), later.plusSeconds(61)))
          .isEqualTo(Use.FIRST);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void replicasRacingOnTheSameTokensAcceptEachExactlyOnce(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    int tokens = 150;
    int threadsPerReplica = 6;
    Instant until = NOW.plusSeconds(300);
    try (JdbcMemory a = open(settings);
        JdbcMemory b = open(settings)) {
      // The pre-existing expired row is raced on too: the take-over must also be single.
      a.replayCache().record(ISS, "jti-0", NOW.minusSeconds(1), NOW.minusSeconds(60));
      Map<String, AtomicInteger> firsts = new ConcurrentHashMap<>();
      List<String> jtis = new ArrayList<>();
      for (int i = 0; i < tokens; i++) {
        jtis.add("jti-" + i);
        firsts.put("jti-" + i, new AtomicInteger());
      }
      ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerReplica);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      try {
        for (int t = 0; t < 2 * threadsPerReplica; t++) {
          ReplayCache cache = (t % 2 == 0 ? a : b).replayCache();
          List<String> order = new ArrayList<>(jtis);
          Collections.shuffle(order, new java.util.Random(t));
          done.add(
              pool.submit(
                  () -> {
                    go.await();
                    for (String jti : order) {
                      if (cache.record(ISS, jti, until, NOW) == Use.FIRST) {
                        firsts.get(jti).incrementAndGet();
                      }
                    }
                    return null;
                  }));
        }
        go.countDown();
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(firsts.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void expiredRowsArePurgedInBatchesAndLiveOnesKept(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    try (JdbcMemory memory = open(settings)) {
      JdbcReplayCache cache = (JdbcReplayCache) memory.replayCache();
      int expired = JdbcReplayCache.PURGE_BATCH * 2 + 7;
      Instant past = NOW.minusSeconds(3600);
      for (int i = 0; i < expired; i++) {
        cache.record(ISS, "old-" + i, NOW.minusSeconds(1), past);
      }
      cache.record(ISS, "live", NOW.plusSeconds(60), NOW);
      assertThat(rows(settings)).isEqualTo(expired + 1);

      assertThat(cache.purgeExpired()).isEqualTo(expired);
      assertThat(rows(settings)).isEqualTo(1);
      assertThat(cache.record(ISS, "live", NOW.plusSeconds(60), NOW)).isEqualTo(Use.REPLAYED);
      assertThat(cache.purgeExpired()).isZero();
    }
  }

  @Test
  void withTheDatabaseDownTheCacheRefusesToAnswer() {
    MemorySettings down = MemorySettings.postgres("jdbc:postgresql://127.0.0.1:9/none", "u", "p");
    try (JdbcMemory memory = open(down)) {
      assertThatThrownBy(() -> memory.replayCache().record(ISS, "jti-1", NOW.plusSeconds(60), NOW))
          .isInstanceOf(ReplayCache.Unavailable.class);
    }
  }

  @Test
  void theStoredKeyIsAHashOfIssuerAndJtiOnly() {
    String key = JdbcReplayCache.key(ISS, "jti-1");
    assertThat(key).matches("[0-9a-f]{64}").doesNotContain("jti");
    assertThat(JdbcReplayCache.key(ISS, "jti-1")).isEqualTo(key);
    assertThat(JdbcReplayCache.key(ISS + "j", "ti-1")).isNotEqualTo(key);
  }

  private static int rows(MemorySettings settings) throws Exception {
    try (Connection c =
            java.sql.DriverManager.getConnection(
                JdbcMemory.jdbcUrl(settings),
                settings.databaseUser(),
                settings.databasePassword());
        PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM jwt_replay");
        ResultSet r = s.executeQuery()) {
      r.next();
      return r.getInt(1);
    }
  }
}
