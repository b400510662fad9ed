package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.auth.AuthTestSupport.CLOCK;
import static org.mineralcds.auth.AuthTestSupport.SERVICE_PATH;
import static org.mineralcds.auth.AuthTestSupport.VALID;
import static org.mineralcds.auth.AuthTestSupport.authFailures;
import static org.mineralcds.auth.AuthTestSupport.bearer;
import static org.mineralcds.auth.AuthTestSupport.claims;
import static org.mineralcds.auth.AuthTestSupport.config;
import static org.mineralcds.auth.AuthTestSupport.get;
import static org.mineralcds.auth.AuthTestSupport.post;
import static org.mineralcds.auth.AuthTestSupport.sign;
import static org.mineralcds.auth.AuthTestSupport.urlIssuer;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.mineralcds.config.TrustedIssuer;

/**
 * Issuer keys from a {@code jwksUrl}: fetched once and cached, refetched once when a token names a
 * kid the cache does not hold (key rotation), and a clear refusal when the keys cannot be fetched.
 * Each test starts its own service, so each has a fresh key cache.
 */
class JwksRefreshTest {

  private static final String EHR = "https://ehr.example.org";

  private static RSAKey first;
  private static ECKey second;
  private static ECKey stranger;

  private AuthTestSupport.StubServer jwks;
  private MineralCds service;

  @BeforeAll
  static void keys() throws Exception {
    first = new RSAKeyGenerator(2048).keyID("key-2026-1").generate();
    second = new ECKeyGenerator(Curve.P_384).keyID("key-2026-2").generate();
    stranger = new ECKeyGenerator(Curve.P_384).keyID("key-never-published").generate();
  }

  @BeforeEach
  void startJwksServer() throws Exception {
    jwks = new AuthTestSupport.StubServer("application/json", null);
    publish(first);
  }

  @AfterEach
  void stop() throws Exception {
    if (service != null) {
      service.close();
    }
    jwks.close();
  }

  private void publish(JWK... keys) {
    jwks.body.set(
        new JWKSet(java.util.Arrays.stream(keys).map(JWK::toPublicJWK).toList()).toString());
  }

  private MineralCds start(TrustedIssuer issuer) {
    service = MineralCds.start(config(List.of(issuer), false, null), CLOCK);
    return service;
  }

  private String serviceUrl() {
    return service.baseUrl() + SERVICE_PATH;
  }

  private HttpResponse<String> call(JWK key, JWSAlgorithm alg) throws Exception {
    return post(serviceUrl(), bearer(sign(key, alg, claims(EHR, serviceUrl()).build())), VALID);
  }

  private static void assertAccepted(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"cards\":[]}");
  }

  private void assertRefused(HttpResponse<String> response, String reason, double before)
      throws Exception {
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).isEmpty();
    assertThat(authFailures(service.baseUrl(), reason) - before).isEqualTo(1.0);
  }

  @Test
  void keysAreFetchedOnceAndCachedAcrossCalls() throws Exception {
    start(urlIssuer(EHR, jwks.url("/jwks.json")));
    for (int i = 0; i < 4; i++) {
      assertAccepted(call(first, JWSAlgorithm.RS384));
    }
    assertThat(jwks.requests.get()).isEqualTo(1);
    assertThat(jwks.paths).containsExactly("/jwks.json");
  }

  @Test
  void aNewKidAfterRotationTriggersExactlyOneRefetchAndIsAccepted() throws Exception {
    start(urlIssuer(EHR, jwks.url("/jwks.json")));
    assertAccepted(call(first, JWSAlgorithm.RS384));
    assertThat(jwks.requests.get()).isEqualTo(1);

    publish(first, second);
    assertAccepted(call(second, JWSAlgorithm.ES384));
    assertThat(jwks.requests.get()).isEqualTo(2);

    // Both keys are now cached: no further fetches.
    assertAccepted(call(second, JWSAlgorithm.ES384));
    assertAccepted(call(first, JWSAlgorithm.RS384));
    assertThat(jwks.requests.get()).isEqualTo(2);
  }

  @Test
  void aKidStillUnknownAfterTheRefreshIsRefusedAsUnknownKey() throws Exception {
    start(urlIssuer(EHR, jwks.url("/jwks.json")));
    assertAccepted(call(first, JWSAlgorithm.RS384));
    double before = authFailures(service.baseUrl(), "unknown-key");
    assertRefused(call(stranger, JWSAlgorithm.ES384), "unknown-key", before);
    assertThat(jwks.requests.get()).isEqualTo(2);
    // The cached key still verifies.
    assertAccepted(call(first, JWSAlgorithm.RS384));
  }

  @Test
  void refreshesForUnknownKidsAreRateLimited() throws Exception {
    start(urlIssuer(EHR, jwks.url("/jwks.json")));
    assertAccepted(call(first, JWSAlgorithm.RS384));
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response = call(stranger, JWSAlgorithm.ES384);
      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(response.body()).isEmpty();
    }
    // The initial fetch and one refresh; a flood of unknown kids causes no further fetches.
    assertThat(jwks.requests.get()).isEqualTo(2);
    assertAccepted(call(first, JWSAlgorithm.RS384));
  }

  @Test
  void aJwksServerDownAtStartGivesKeysUnavailableButTheServiceRuns() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    start(urlIssuer(EHR, "http://127.0.0.1:" + closedPort + "/jwks.json"));
    assertThat(get(service.baseUrl() + "/health/ready", null).statusCode()).isEqualTo(200);
    assertThat(get(service.baseUrl() + "/health/live", null).statusCode()).isEqualTo(200);
    // Readiness names the issuer whose keys could not be fetched (the start-up fetch failed).
    String ready = get(service.baseUrl() + "/health/ready", null).body();
    for (int i = 0; i < 50 && !ready.contains("DEGRADED"); i++) {
      Thread.sleep(100);
      ready = get(service.baseUrl() + "/health/ready", null).body();
    }
    assertThat(ready)
        .isEqualTo(
            "{\"status\":\"DEGRADED\",\"knowledge\":\"UP\",\"memory\":\"UP\","
                + "\"issuerKeys\":{\"DOWN\":[\""
                + EHR
                + "\"]}}");
    double before = authFailures(service.baseUrl(), "keys-unavailable");
    assertRefused(call(first, JWSAlgorithm.RS384), "keys-unavailable", before);
  }

  @Test
  void theServiceRecoversWhenTheJwksServerComesBack() throws Exception {
    String url = jwks.url("/jwks.json");
    jwks.stopListening();
    start(urlIssuer(EHR, url));
    double before = authFailures(service.baseUrl(), "keys-unavailable");
    assertRefused(call(first, JWSAlgorithm.RS384), "keys-unavailable", before);

    // A failed fetch is not cached as an empty key set: once its back-off (5 s) has passed, the
    // next call fetches again and is accepted.
    jwks.restart();
    HttpResponse<String> response = call(first, JWSAlgorithm.RS384);
    for (int i = 0; i < 60 && response.statusCode() == 401; i++) {
      Thread.sleep(250);
      response = call(first, JWSAlgorithm.RS384);
    }
    assertAccepted(response);
    assertThat(jwks.requests.get()).isEqualTo(1);
  }

  @Test
  void aRateLimitedRefreshForAnUnknownKidIsStillAnUnknownKey() throws Exception {
    start(urlIssuer(EHR, jwks.url("/jwks.json")));
    assertAccepted(call(first, JWSAlgorithm.RS384));
    assertThat(call(stranger, JWSAlgorithm.ES384).statusCode()).isEqualTo(401);
    double before = authFailures(service.baseUrl(), "unknown-key");
    assertRefused(call(stranger, JWSAlgorithm.ES384), "unknown-key", before);
  }

  @Test
  void aJwksUrlAnsweringGarbageGivesKeysUnavailable() throws Exception {
    jwks.body.set("<html>not a key set</html>");
    start(urlIssuer(EHR, jwks.url("/jwks.json")));
    double before = authFailures(service.baseUrl(), "keys-unavailable");
    assertRefused(call(first, JWSAlgorithm.RS384), "keys-unavailable", before);
  }

  @Test
  void anAllowlistedJkuIsFetchedWhenTheIssuerHasNoConfiguredKeys() throws Exception {
    String jku = jwks.url("/ehr/jwks.json");
    start(new TrustedIssuer(EHR, null, null, List.of(jku), List.of(), List.of()));
    String token =
        sign(
            first,
            JWSAlgorithm.RS384,
            claims(EHR, serviceUrl()).build(),
            h -> h.jwkURL(URI.create(jku)));
    assertAccepted(post(serviceUrl(), bearer(token), VALID));
    assertThat(jwks.paths).containsExactly("/ehr/jwks.json");

    // Without a jku such an issuer has no keys to check against.
    double before = authFailures(service.baseUrl(), "unknown-key");
    assertRefused(call(first, JWSAlgorithm.RS384), "unknown-key", before);
  }
}
