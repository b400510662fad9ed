package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The (issuer, jti) memory that stops a captured JWT from being used twice. */
class InProcessReplayCacheTest {

  private static final Instant T0 = Instant.parse("2026-11-20T12:00:00Z");
  private static final String ISS = "https://ehr.example.org";

  @Test
  void theFirstUseIsAcceptedAndAReplayRefused() {
    InProcessReplayCache cache = new InProcessReplayCache(10);
    Instant until = T0.plusSeconds(360);
    assertThat(cache.firstUse(ISS, "jti-1", until, T0)).isTrue();
    assertThat(cache.firstUse(ISS, "jti-1", until, T0)).isFalse();
    assertThat(cache.firstUse(ISS, "jti-1", until, T0.plusSeconds(359))).isFalse();
    assertThat(cache.firstUse(ISS, "jti-1", until, until)).isFalse();
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void theSameJtiFromAnotherIssuerIsAnotherToken() {
    InProcessReplayCache cache = new InProcessReplayCache(10);
    Instant until = T0.plusSeconds(360);
    assertThat(cache.firstUse(ISS, "jti-1", until, T0)).isTrue();
    assertThat(cache.firstUse("https://other.example.org", "jti-1", until, T0)).isTrue();
    assertThat(cache.firstUse(ISS, "jti-2", until, T0)).isTrue();
    assertThat(cache.size()).isEqualTo(3);
  }

  @Test
  void issuerAndJtiCannotBeShiftedIntoEachOther() {
    InProcessReplayCache cache = new InProcessReplayCache(10);
    Instant until = T0.plusSeconds(360);
    assertThat(cache.firstUse("https://a.example/x", "y", until, T0)).isTrue();
    assertThat(cache.firstUse("https://a.example/", "xy", until, T0)).isTrue();
    assertThat(cache.firstUse("https://a.example/xy", "", until, T0)).isTrue();
  }

  @Test
  void anExpiredEntryMayBeReused() {
    InProcessReplayCache cache = new InProcessReplayCache(10);
    assertThat(cache.firstUse(ISS, "jti-1", T0.plusSeconds(60), T0)).isTrue();
    Instant later = T0.plusSeconds(61);
    assertThat(cache.firstUse(ISS, "jti-1", later.plusSeconds(60), later)).isTrue();
    // ... and is then remembered again, until the new time.
    assertThat(cache.firstUse(ISS, "jti-1", later.plusSeconds(60), later.plusSeconds(30)))
        .isFalse();
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void whenFullOfLiveEntriesNewTokensAreRefusedUntilSomeExpire() {
    InProcessReplayCache cache = new InProcessReplayCache(3);
    assertThat(cache.firstUse(ISS, "a", T0.plusSeconds(60), T0)).isTrue();
    assertThat(cache.firstUse(ISS, "b", T0.plusSeconds(120), T0)).isTrue();
    assertThat(cache.firstUse(ISS, "c", T0.plusSeconds(300), T0)).isTrue();

    // Full of live entries: refused rather than forgetting one that could still be replayed.
    assertThat(cache.firstUse(ISS, "d", T0.plusSeconds(300), T0.plusSeconds(10))).isFalse();
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.firstUse(ISS, "a", T0.plusSeconds(60), T0.plusSeconds(10))).isFalse();

    // "a" has expired: the sweep makes room for one, and only one, new entry.
    Instant t90 = T0.plusSeconds(90);
    assertThat(cache.firstUse(ISS, "d", t90.plusSeconds(300), t90)).isTrue();
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.firstUse(ISS, "e", t90.plusSeconds(300), t90)).isFalse();
    assertThat(cache.firstUse(ISS, "b", T0.plusSeconds(120), t90)).isFalse();

    // "b" has expired too; "c" and "d" are live.
    Instant t200 = T0.plusSeconds(200);
    assertThat(cache.firstUse(ISS, "e", t200.plusSeconds(60), t200)).isTrue();
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.firstUse(ISS, "f", t200.plusSeconds(60), t200)).isFalse();

    // Once all have expired the cache empties and accepts again.
    Instant t1000 = T0.plusSeconds(1000);
    assertThat(cache.firstUse(ISS, "f", t1000.plusSeconds(60), t1000)).isTrue();
    assertThat(cache.firstUse(ISS, "g", t1000.plusSeconds(60), t1000)).isTrue();
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void aSecondSightingIsAcceptedOnlyAsTheProxysRetryOfTheSameRequest() {
    InProcessReplayCache cache = new InProcessReplayCache(10);
    Instant until = T0.plusSeconds(360);
    String r1 = ProxyRetry.requestKey("proxy-id-1", "POST", "/p", "{}".getBytes());
    String r2 = ProxyRetry.requestKey("proxy-id-2", "POST", "/p", "{}".getBytes());
    assertThat(cache.record(ISS, "jti-1", r1, until, T0)).isEqualTo(ReplayCache.Use.FIRST);
    assertThat(cache.record(ISS, "jti-1", r1, until, T0.plusSeconds(1)))
        .isEqualTo(ReplayCache.Use.RETRY);
    assertThat(cache.record(ISS, "jti-1", r1, until, T0.plusSeconds(2)))
        .isEqualTo(ReplayCache.Use.RETRY);
    assertThat(cache.record(ISS, "jti-1", r2, until, T0)).isEqualTo(ReplayCache.Use.REPLAYED);
    assertThat(cache.record(ISS, "jti-1", null, until, T0)).isEqualTo(ReplayCache.Use.REPLAYED);
    // Another issuer's jti is another token, whatever the request key.
    assertThat(cache.record("https://other.example.org", "jti-1", r1, until, T0))
        .isEqualTo(ReplayCache.Use.FIRST);
    // First seen without a key (no proxy id): every later sighting is a replay.
    assertThat(cache.record(ISS, "jti-2", null, until, T0)).isEqualTo(ReplayCache.Use.FIRST);
    assertThat(cache.record(ISS, "jti-2", r1, until, T0)).isEqualTo(ReplayCache.Use.REPLAYED);
    assertThat(cache.record(ISS, "jti-2", null, until, T0)).isEqualTo(ReplayCache.Use.REPLAYED);
  }

  @Test
  void afterExpiryTheOldRequestKeyNoLongerCounts() {
    InProcessReplayCache cache = new InProcessReplayCache(10);
    String r1 = ProxyRetry.requestKey("proxy-id-1", "POST", "/p", "{}".getBytes());
    String r2 = ProxyRetry.requestKey("proxy-id-2", "POST", "/p", "{}".getBytes());
    assertThat(cache.record(ISS, "jti-1", r1, T0.plusSeconds(60), T0))
        .isEqualTo(ReplayCache.Use.FIRST);
    Instant later = T0.plusSeconds(61);
    // The entry expired: taken over (the token is refused as expired before this anyway) ...
    assertThat(cache.record(ISS, "jti-1", r2, later.plusSeconds(60), later))
        .isEqualTo(ReplayCache.Use.FIRST);
    // ... and the first request's key is no longer a retry of anything.
    assertThat(cache.record(ISS, "jti-1", r1, later.plusSeconds(60), later))
        .isEqualTo(ReplayCache.Use.REPLAYED);
    assertThat(cache.record(ISS, "jti-1", r2, later.plusSeconds(60), later))
        .isEqualTo(ReplayCache.Use.RETRY);
  }

  @Test
  void aRetryIsToldApartEvenWhenTheCacheIsFull() {
    InProcessReplayCache cache = new InProcessReplayCache(2);
    String r1 = ProxyRetry.requestKey("proxy-id-1", "POST", "/p", "{}".getBytes());
    Instant until = T0.plusSeconds(300);
    assertThat(cache.record(ISS, "a", r1, until, T0)).isEqualTo(ReplayCache.Use.FIRST);
    assertThat(cache.record(ISS, "b", null, until, T0)).isEqualTo(ReplayCache.Use.FIRST);
    assertThat(cache.record(ISS, "c", r1, until, T0)).isEqualTo(ReplayCache.Use.FULL);
    assertThat(cache.record(ISS, "a", r1, until, T0)).isEqualTo(ReplayCache.Use.RETRY);
    assertThat(cache.record(ISS, "a", null, until, T0)).isEqualTo(ReplayCache.Use.FULL);
  }

  @Test
  void theRequestKeyCoversTheProxyIdMethodPathAndBodyWithoutShifting() {
    byte[] body = "{\"a\":1}".getBytes();
    String key = ProxyRetry.requestKey("id", "POST", "/p", body);
    assertThat(key).matches("[0-9a-f]{64}");
    assertThat(ProxyRetry.requestKey("id", "POST", "/p", body.clone())).isEqualTo(key);
    assertThat(ProxyRetry.requestKey("id2", "POST", "/p", body)).isNotEqualTo(key);
    assertThat(ProxyRetry.requestKey("id", "GET", "/p", body)).isNotEqualTo(key);
    assertThat(ProxyRetry.requestKey("id", "POST", "/q", body)).isNotEqualTo(key);
    assertThat(ProxyRetry.requestKey("id", "POST", "/p", "{\"a\":2}".getBytes())).isNotEqualTo(key);
    assertThat(ProxyRetry.requestKey("i", "dPOST", "/p", body))
        .isNotEqualTo(ProxyRetry.requestKey("id", "POST", "/p", body));
    assertThat(ProxyRetry.requestKey(null, "POST", "/p", body)).isNull();
    assertThat(ProxyRetry.requestKey(" ", "POST", "/p", body)).isNull();
  }
}
