package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.auth.AuthTestSupport.CLOCK;
import static org.mineralcds.auth.AuthTestSupport.SERVICE_PATH;
import static org.mineralcds.auth.AuthTestSupport.VALID;
import static org.mineralcds.auth.AuthTestSupport.bearer;
import static org.mineralcds.auth.AuthTestSupport.claims;
import static org.mineralcds.auth.AuthTestSupport.config;
import static org.mineralcds.auth.AuthTestSupport.fileIssuer;
import static org.mineralcds.auth.AuthTestSupport.post;
import static org.mineralcds.auth.AuthTestSupport.sign;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;
import org.mineralcds.observability.LogText;
import org.slf4j.LoggerFactory;

/**
 * Log forging (issue 15): a newline in a token's {@code iss}, {@code kid} or {@code alg}, in a
 * prefetch key or in the path must not start a new log line. Each refused or odd call logs exactly
 * one event, of one line, of bounded length, and no forged {@code hook call} line appears.
 */
class LogForgingTest {

  private static final String EHR = "https://ehr.example.org";
  private static final String FORGED =
      "\nhook call hookInstance=forged issuer=- service=mineral-balance outcome=ok rules=[] cards=0"
          + "\r\n";

  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private Logger root;
  private RSAKey key;
  private MineralCds service;
  private String url;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    key = new RSAKeyGenerator(2048).keyID("k1").generate();
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
    service =
        MineralCds.start(
            config(List.of(fileIssuer(EHR, jwks, List.of(), List.of(), List.of())), false, null),
            CLOCK);
    url = service.baseUrl() + SERVICE_PATH;
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    events.setContext(root.getLoggerContext());
    events.start();
    root.addAppender(events);
  }

  @AfterEach
  void stop() {
    root.detachAppender(events);
    service.close();
  }

  /** The events one call logs, after checking each is one line of bounded length. */
  private List<String> logged(Supplier<HttpResponse<String>> call, int expectedStatus) {
    events.list.clear();
    HttpResponse<String> response = call.get();
    assertThat(response.statusCode()).as(response.body()).isEqualTo(expectedStatus);
    List<String> lines = events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    for (String line : lines) {
      assertThat(line).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u2028");
      assertThat(line.length()).isLessThan(4 * LogText.MAX_CHARS + 200);
      assertThat(line).doesNotStartWith("hook call hookInstance=forged");
    }
    return lines;
  }

  private HttpResponse<String> send(String token, String body) {
    try {
      return post(url, bearer(token), body);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aNewlineInIssIsEscapedInTheOneRefusedLine() {
    String token =
        sign(key, JWSAlgorithm.RS384, claims("https://evil.example" + FORGED, url).build());
    List<String> lines = logged(() -> send(token, VALID), 401);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .contains("unknown-issuer")
        .contains("\\nhook call hookInstance=forged");
  }

  @Test
  void aNewlineInKidIsEscaped() {
    RSAKey renamed = new RSAKey.Builder(key).keyID("k1" + FORGED).build();
    String token = sign(renamed, JWSAlgorithm.RS384, claims(EHR, url).build());
    List<String> lines = logged(() -> send(token, VALID), 401);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).contains("unknown-key").contains("\\r\\n");
  }

  @Test
  void aNewlineInAlgIsEscaped() {
    String token =
        sign(key, JWSAlgorithm.RS384, claims(EHR, url).build())
            .replaceFirst("^[^.]+", headerWithAlg("RS384" + FORGED));
    List<String> lines = logged(() -> send(token, VALID), 401);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).contains("algorithm").contains("\\nhook call");
  }

  @Test
  void aFourKilobyteIssIsCapped() {
    String token =
        sign(key, JWSAlgorithm.RS384, claims("https://" + "x".repeat(4000), url).build());
    List<String> lines = logged(() -> send(token, VALID), 401);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).contains("chars)");
  }

  @Test
  void aNewlineInAnUndeclaredPrefetchKeyIsEscaped() {
    String token = sign(key, JWSAlgorithm.RS384, claims(EHR, url).build());
    String body =
        VALID.replace(
            "\"pendingLabOrders\":null",
            "\"pendingLabOrders\":null,\"x\\nhook call hookInstance=forged\":{\"resourceType\":\"NotAThing\"}");
    List<String> lines = logged(() -> send(token, body), 200);
    assertThat(lines).anyMatch(l -> l.contains("undeclared prefetch key"));
    // The hook call's own line is there once, with the issuer written as configured.
    assertThat(lines.stream().filter(l -> l.startsWith("hook call "))).hasSize(1);
    assertThat(lines).anyMatch(l -> l.contains(" issuer=" + EHR + " "));
  }

  /** The order services log the issuer as mineral-balance does (issue 16: it read https:__...). */
  @Test
  void anOrderCallLogsTheIssuerAsConfigured() {
    String orderUrl = service.baseUrl() + "/cds-services/mineral-order-select";
    String token = sign(key, JWSAlgorithm.RS384, claims(EHR, orderUrl).build());
    String body =
        "{\"hook\":\"order-select\",\"hookInstance\":\"6f1d2c3b-4a59-4e7f-8a1b-2c3d4e5f6a7b\","
            + "\"context\":{\"patientId\":\"p1\",\"userId\":\"Practitioner/1\","
            + "\"selections\":[\"MedicationRequest/d1\"],\"draftOrders\":{\"resourceType\":\"Bundle\","
            + "\"entry\":[{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"d1\","
            + "\"status\":\"draft\",\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p1\"},"
            + "\"medicationCodeableConcept\":{\"text\":\"amoxicillin 500 MG Oral Capsule\"}}}]}}}";
    List<String> lines =
        logged(
            () -> {
              try {
                return post(orderUrl, bearer(token), body);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            200);
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("hook call ")
                    && l.contains(" issuer=" + EHR + " ")
                    && l.contains("service=mineral-order-select"));
  }

  private static String headerWithAlg(String alg) {
    String json = "{\"alg\":" + com.nimbusds.jose.util.JSONStringUtils.toJSONString(alg) + "}";
    return com.nimbusds.jose.util.Base64URL.encode(json).toString();
  }
}
