package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.auth.AuthTestSupport.CLOCK;
import static org.mineralcds.auth.AuthTestSupport.SERVICE_PATH;
import static org.mineralcds.auth.AuthTestSupport.VALID;
import static org.mineralcds.auth.AuthTestSupport.bearer;
import static org.mineralcds.auth.AuthTestSupport.claims;
import static org.mineralcds.auth.AuthTestSupport.config;
import static org.mineralcds.auth.AuthTestSupport.fileIssuer;
import static org.mineralcds.auth.AuthTestSupport.get;
import static org.mineralcds.auth.AuthTestSupport.post;
import static org.mineralcds.auth.AuthTestSupport.sign;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;
import org.mineralcds.config.TrustedIssuer;

/**
 * The issue-15 probe: an issuer whose JWKS URL dribbles one byte at a time, and a flood of
 * unauthenticated calls naming it (random kids: no valid token needed), must not hold the HTTP
 * threads. While the flood is in flight and the slow key fetch is still under way, another issuer's
 * valid call and {@code /health/ready} are answered. Asserted on outcomes and ordering; timings go
 * to BENCHMARKS.md.
 */
class JwksFloodTest {

  private static final String SLOW = "https://slow-ehr.example.org";
  private static final String GOOD = "https://good-ehr.example.org";
  private static final int FLOOD = 200;

  @Test
  void aFloodNamingAnIssuerWithASlowJwksEndpointDelaysNeitherOtherIssuersNorHealth(
      @TempDir Path dir) throws Exception {
    RSAKey goodKey = new RSAKeyGenerator(2048).keyID("good-1").generate();
    RSAKey attackerKey = new RSAKeyGenerator(2048).keyID("attacker").generate();
    Path goodJwks = dir.resolve("good.json");
    Files.writeString(goodJwks, new JWKSet(goodKey.toPublicJWK()).toString());

    // 600 bytes at one per 200 ms: two minutes, far beyond the fetch deadline.
    try (SlowJwksServer slow = new SlowJwksServer(200)) {
      MineralCds service =
          MineralCds.start(
              config(
                  List.of(
                      // Keys found through an allowlisted jku: fetched first when the flood
                      // arrives.
                      new TrustedIssuer(
                          SLOW, null, null, List.of(slow.url()), List.of(), List.of()),
                      fileIssuer(GOOD, goodJwks, List.of(), List.of(), List.of())),
                  false,
                  null),
              CLOCK);
      try {
        String url = service.baseUrl() + SERVICE_PATH;
        HttpClient flood =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
          RSAKey forged = new RSAKey.Builder(attackerKey).keyID("kid-" + i).build();
          tokens.add(
              sign(
                  forged,
                  JWSAlgorithm.RS384,
                  claims(SLOW, url).build(),
                  h -> h.jwkURL(URI.create(slow.url()))));
        }
        List<CompletableFuture<HttpResponse<String>>> floodCalls = new ArrayList<>();
        long floodStarted = System.nanoTime();
        for (String token : tokens) {
          floodCalls.add(
              flood.sendAsync(
                  HttpRequest.newBuilder(URI.create(url))
                      .timeout(Duration.ofSeconds(60))
                      .header("Content-Type", "application/json")
                      .header("Authorization", bearer(token))
                      .POST(HttpRequest.BodyPublishers.ofString(VALID))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }

        // The flood is being answered (before the fix, none was answered until the fetch ended).
        CompletableFuture.anyOf(floodCalls.toArray(CompletableFuture[]::new))
            .get(60, TimeUnit.SECONDS);

        long started = System.nanoTime();
        HttpResponse<String> health = get(service.baseUrl() + "/health/ready", null);
        long healthMs = (System.nanoTime() - started) / 1_000_000;
        started = System.nanoTime();
        HttpResponse<String> valid =
            post(url, bearer(sign(goodKey, JWSAlgorithm.RS384, claims(GOOD, url).build())), VALID);
        long validMs = (System.nanoTime() - started) / 1_000_000;
        boolean slowFetchStillRunning = slow.open.get() > 0 && slow.cutOff.get() == 0;
        System.err.printf(
            "JwksFloodTest: first flood answer after %d ms; then health %d ms, other issuer's valid"
                + " call %d ms; slow JWKS connections open %d, cut off %d, requests %d%n",
            (started - floodStarted) / 1_000_000,
            healthMs,
            validMs,
            slow.open.get(),
            slow.cutOff.get(),
            slow.requests.get());

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(valid.statusCode()).as(valid.body()).isEqualTo(200);
        assertThat(valid.body()).isEqualTo("{\"cards\":[]}");
        // Ordering: both were answered while the slow issuer's first key fetch was still
        // dribbling (it is cut off only at its deadline, seconds later).
        assertThat(slowFetchStillRunning).isTrue();

        for (CompletableFuture<HttpResponse<String>> call : floodCalls) {
          HttpResponse<String> refused = call.get(60, TimeUnit.SECONDS);
          assertThat(refused.statusCode()).isEqualTo(401);
          assertThat(refused.body()).isEmpty();
        }
        long floodMs = (System.nanoTime() - floodStarted) / 1_000_000;
        // The slow fetch is cut off at its overall deadline, not when the dribble ends (2 min).
        assertThat(slow.firstCutOff.await(60, TimeUnit.SECONDS)).isTrue();
        // One fetch at a time: the flood caused no extra connections to the slow endpoint beyond
        // the retries its back-off allows (one per deadline + back-off period).
        assertThat(slow.requests.get()).isLessThanOrEqualTo(1 + (int) (floodMs / 10_000) + 1);
        System.err.printf(
            "JwksFloodTest: health %d ms, other issuer's valid call %d ms, %d flood calls all"
                + " refused in %d ms, %d fetches of the slow JWKS%n",
            healthMs, validMs, FLOOD, floodMs, slow.requests.get());
      } finally {
        service.close();
      }
    }
  }
}
