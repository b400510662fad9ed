package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.auth.AuthTestSupport.CLOCK;
import static org.mineralcds.auth.AuthTestSupport.DISCOVERY_PATH;
import static org.mineralcds.auth.AuthTestSupport.FEEDBACK;
import static org.mineralcds.auth.AuthTestSupport.FEEDBACK_PATH;
import static org.mineralcds.auth.AuthTestSupport.NOW;
import static org.mineralcds.auth.AuthTestSupport.SERVICE_PATH;
import static org.mineralcds.auth.AuthTestSupport.VALID;
import static org.mineralcds.auth.AuthTestSupport.authFailures;
import static org.mineralcds.auth.AuthTestSupport.get;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.config.Operations;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.memory.TestDatabases;

/**
 * {@code --proxy-retry-header}: a JWT seen again is accepted only as the trusted proxy's retry of
 * the same client request (same proxy id, method, path and body), on another replica sharing the
 * database; a replay (another id, no id, another body) is refused as without the setting, and
 * without the setting every second sighting is refused.
 */
class ProxyRetryTest {

  private static final String HEADER = "X-Request-ID";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path keys;
  @TempDir Path tmp;
  private static ReplicaIssuer ehr;

  @BeforeAll
  static void keys() throws Exception {
    ehr = new ReplicaIssuer(keys);
  }

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  private static ServiceConfig replica(MemorySettings memory, String retryHeader) {
    return ehr.replica(memory).withOperations(new Operations("info", "text", false, retryHeader));
  }

  private static String token(String path) {
    return ehr.token(path);
  }

  private static HttpResponse<String> post(
      String url, String authorization, String body, String proxyId) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Authorization", authorization);
    if (proxyId != null) {
      b.header(HEADER, proxyId);
    }
    return HTTP.send(
        b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int discovery(String base, String authorization, String proxyId) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + DISCOVERY_PATH))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", authorization);
    if (proxyId != null) {
      b.header(HEADER, proxyId);
    }
    return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private static double proxyRetries(String base) throws Exception {
    Matcher m =
        Pattern.compile("(?m)^mineralcds_auth_proxy_retries_total (\\S+)$")
            .matcher(get(base + "/metrics", null).body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @ParameterizedTest
  @MethodSource("databases")
  void theSameRequestFromTheProxyIsAcceptedOnAnotherReplicaAndAReplayIsNot(String db)
      throws Exception {
    MemorySettings memory = TestDatabases.fresh(db, tmp);
    try (MineralCds a = MineralCds.start(replica(memory, HEADER), CLOCK);
        MineralCds b = MineralCds.start(replica(memory, HEADER), CLOCK)) {
      String token = token(SERVICE_PATH);
      HttpResponse<String> first = post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-1");
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      // The proxy's retry on another replica: same token, same id, same body.
      HttpResponse<String> retry = post(b.baseUrl() + SERVICE_PATH, token, VALID, "req-1");
      assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
      assertThat(retry.body()).isEqualTo(first.body());
      assertThat(proxyRetries(b.baseUrl())).isEqualTo(1);

      // A replay through the proxy gets a new id; straight to a replica, none; or another body.
      assertThat(post(b.baseUrl() + SERVICE_PATH, token, VALID, "req-2").statusCode())
          .isEqualTo(401);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, null).statusCode()).isEqualTo(401);
      String otherBody = VALID.replace("\"p1\"", "\"p2\"");
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, otherBody, "req-1").statusCode())
          .isEqualTo(401);
      assertThat(authFailures(a.baseUrl(), "replayed-jti")).isEqualTo(2);
      assertThat(authFailures(b.baseUrl(), "replayed-jti")).isEqualTo(1);
      assertThat(proxyRetries(a.baseUrl())).isZero();

      // Feedback and discovery: the same rule.
      String fb = token(FEEDBACK_PATH);
      assertThat(post(a.baseUrl() + FEEDBACK_PATH, fb, FEEDBACK, "req-3").statusCode())
          .isEqualTo(200);
      assertThat(post(b.baseUrl() + FEEDBACK_PATH, fb, FEEDBACK, "req-3").statusCode())
          .isEqualTo(200);
      assertThat(post(b.baseUrl() + FEEDBACK_PATH, fb, FEEDBACK, "req-4").statusCode())
          .isEqualTo(401);
      String d = token(DISCOVERY_PATH);
      assertThat(discovery(a.baseUrl(), d, "req-5")).isEqualTo(200);
      assertThat(discovery(b.baseUrl(), d, "req-5")).isEqualTo(200);
      assertThat(discovery(b.baseUrl(), d, "req-6")).isEqualTo(401);
      assertThat(discovery(b.baseUrl(), d, null)).isEqualTo(401);

      // A token first used without a proxy id cannot be "retried" with one.
      String direct = token(SERVICE_PATH);
      assertThat(post(a.baseUrl() + SERVICE_PATH, direct, VALID, null).statusCode()).isEqualTo(200);
      assertThat(post(b.baseUrl() + SERVICE_PATH, direct, VALID, "req-7").statusCode())
          .isEqualTo(401);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void withoutTheSettingTheSameRequestSeenAgainIsAReplay(String db) throws Exception {
    MemorySettings memory = TestDatabases.fresh(db, tmp);
    try (MineralCds a = MineralCds.start(replica(memory, null), CLOCK);
        MineralCds b = MineralCds.start(replica(memory, null), CLOCK)) {
      String token = token(SERVICE_PATH);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(200);
      assertThat(post(b.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(401);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(401);
      assertThat(authFailures(b.baseUrl(), "replayed-jti")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aRetryAfterTheTokenExpiredIsRefused(String db) throws Exception {
    MemorySettings memory = TestDatabases.fresh(db, tmp);
    String token = token(SERVICE_PATH); // exp = NOW + 300 s, skew 60 s
    try (MineralCds a = MineralCds.start(replica(memory, HEADER), CLOCK)) {
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(200);
    }
    Clock late = Clock.fixed(NOW.plusSeconds(361), ZoneOffset.UTC);
    try (MineralCds b = MineralCds.start(replica(memory, HEADER), late)) {
      assertThat(post(b.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(401);
      assertThat(authFailures(b.baseUrl(), "expired")).isEqualTo(1);
      assertThat(proxyRetries(b.baseUrl())).isZero();
    }
  }

  @Test
  void withoutAMemoryTheRetryIsToldApartInTheProcess() throws Exception {
    try (MineralCds a = MineralCds.start(replica(MemorySettings.disabled(), HEADER), CLOCK)) {
      String token = token(SERVICE_PATH);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(200);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-1").statusCode())
          .isEqualTo(200);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-2").statusCode())
          .isEqualTo(401);
    }
  }

  @Test
  void aRequestRefusedBeforeItsBodyWasReadLeavesTheTokenUnused() throws Exception {
    try (MineralCds a = MineralCds.start(replica(MemorySettings.disabled(), HEADER), CLOCK)) {
      String token = token(SERVICE_PATH);
      HttpResponse<String> wrongType =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(a.baseUrl() + SERVICE_PATH))
                  .header("Content-Type", "text/plain")
                  .header("Authorization", token)
                  .header(HEADER, "req-1")
                  .POST(HttpRequest.BodyPublishers.ofString(VALID))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wrongType.statusCode()).isEqualTo(415);
      // Its jti was not recorded: the corrected request (a new proxy id) is accepted once.
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-2").statusCode())
          .isEqualTo(200);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID, "req-3").statusCode())
          .isEqualTo(401);
    }
  }
}
