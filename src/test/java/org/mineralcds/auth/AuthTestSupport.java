package org.mineralcds.auth;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.config.TestServiceConfigs;
import org.mineralcds.config.TrustedIssuer;
import org.slf4j.LoggerFactory;

/** Shared parts of the EHR authentication tests: config, tokens, HTTP, metrics, log capture. */
final class AuthTestSupport {

  static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final String SERVICE_PATH = "/cds-services/mineral-balance";
  static final String FEEDBACK_PATH = SERVICE_PATH + "/feedback";
  static final String DISCOVERY_PATH = "/cds-services";

  /** A patient-view call with every prefetch key present and null: no FHIR server needed. */
  static final String VALID =
      "{\"hook\":\"patient-view\",\"hookInstance\":\"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\","
          + "\"context\":{\"userId\":\"Practitioner/1\",\"patientId\":\"p1\"},"
          + "\"prefetch\":{\"patient\":null,\"labs\":null,\"medicationRequests\":null,"
          + "\"medicationStatements\":null,\"conditions\":null,\"pendingLabOrders\":null}}";

  static final String FEEDBACK =
      "{\"feedback\":[{\"card\":\"9368d37b-283f-44a0-93ea-547cebab93ed\",\"outcome\":\"overridden\","
          + "\"overrideReason\":{\"reason\":{\"code\":\"already-addressed\",\"system\":\"x\"}},"
          + "\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}]}";

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private AuthTestSupport() {}

  /** Trusted issuers, no global FHIR servers, no demo, port 0, the default clock skew. */
  static ServiceConfig config(
      List<TrustedIssuer> issuers, boolean allowSandbox, String publicBaseUrl) {
    return TestServiceConfigs.of("127.0.0.1", publicBaseUrl, issuers, allowSandbox);
  }

  static TrustedIssuer fileIssuer(
      String issuer, Path jwksFile, List<String> jku, List<String> tenants, List<String> fhir) {
    return new TrustedIssuer(issuer, null, jwksFile, jku, tenants, fhir);
  }

  static TrustedIssuer urlIssuer(String issuer, String jwksUrl) {
    return new TrustedIssuer(issuer, jwksUrl, null, List.of(), List.of(), List.of());
  }

  // --- tokens ---------------------------------------------------------------------------------

  /** Claims valid at {@link #NOW} for 5 minutes, with a fresh jti. */
  static JWTClaimsSet.Builder claims(String issuer, String audience) {
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(audience)
        .subject("ehr-client")
        .issueTime(Date.from(NOW))
        .expirationTime(Date.from(NOW.plusSeconds(300)))
        .jwtID(UUID.randomUUID().toString());
  }

  static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
    return sign(key, alg, claims, h -> h);
  }

  /** Signs with {@code key}; the header names the key's kid and typ JWT, then {@code header}. */
  static String sign(
      JWK key,
      JWSAlgorithm alg,
      JWTClaimsSet claims,
      Function<JWSHeader.Builder, JWSHeader.Builder> header) {
    try {
      JWSSigner signer;
      if (key instanceof RSAKey rsa) {
        signer = new RSASSASigner(rsa);
      } else if (key instanceof ECKey ec) {
        signer = new ECDSASigner(ec);
      } else {
        throw new IllegalArgumentException("no signer for " + key.getKeyType());
      }
      JWSHeader.Builder builder =
          new JWSHeader.Builder(alg)
              .keyID(key.getKeyID())
              .type(com.nimbusds.jose.JOSEObjectType.JWT);
      SignedJWT jwt = new SignedJWT(header.apply(builder).build(), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- HTTP -----------------------------------------------------------------------------------

  static HttpResponse<String> get(String url, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String url, String authorization, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json");
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(
        b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String bearer(String token) {
    return "Bearer " + token;
  }

  /** The value of mineralcds_auth_failures_total{reason=...} at GET /metrics, 0 when absent. */
  static double authFailures(String base, String reason) throws Exception {
    HttpResponse<String> metrics = get(base + "/metrics", null);
    if (metrics.statusCode() != 200) {
      throw new IllegalStateException("GET /metrics -> " + metrics.statusCode());
    }
    Matcher m =
        Pattern.compile(
                "(?m)^mineralcds_auth_failures_total\\{reason=\""
                    + Pattern.quote(reason)
                    + "\"\\} (\\S+)$")
            .matcher(metrics.body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  // --- log capture ----------------------------------------------------------------------------

  /** Collects the formatted messages of one logback logger. */
  static final class LogCapture extends AppenderBase<ILoggingEvent> {
    final List<String> messages = new CopyOnWriteArrayList<>();
    private final Logger logger;

    private LogCapture(Logger logger) {
      this.logger = logger;
    }

    static LogCapture attach(String loggerName) {
      Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
      LogCapture capture = new LogCapture(logger);
      capture.setContext(logger.getLoggerContext());
      capture.start();
      logger.addAppender(capture);
      return capture;
    }

    @Override
    protected void append(ILoggingEvent event) {
      messages.add(event.getFormattedMessage());
    }

    void detach() {
      logger.detachAppender(this);
      stop();
    }
  }

  // --- a small Jetty server answering GETs with a swappable body --------------------------------

  /** Answers every request with the current body; counts and records the requests. */
  static final class StubServer implements AutoCloseable {
    final AtomicReference<String> body = new AtomicReference<>("");
    final AtomicInteger requests = new AtomicInteger();
    final List<String> paths = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final Server server = new Server();
    private final Function<String, String> bodyForPath;
    private final String contentType;
    private int port;

    /**
     * @param bodyForPath the body for a path, or null to answer with {@link #body}
     */
    StubServer(String contentType, Function<String, String> bodyForPath) throws Exception {
      this.contentType = contentType;
      this.bodyForPath = bodyForPath;
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      server.setHandler(
          new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
              return answer(request, response, callback);
            }
          });
      server.start();
    }

    private boolean answer(Request request, Response response, Callback callback) {
      requests.incrementAndGet();
      String path = Request.getPathInContext(request);
      String query = request.getHttpURI().getQuery();
      paths.add(query == null ? path : path + "?" + query);
      String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
      authorizations.add(auth == null ? "" : auth);
      String text = bodyForPath == null ? null : bodyForPath.apply(path);
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType + "; charset=utf-8");
      Content.Sink.write(response, true, text == null ? body.get() : text, callback);
      return true;
    }

    int port() {
      return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /** Stops listening; {@link #restart()} listens again on the same port. */
    void stopListening() throws Exception {
      port = port();
      server.stop();
    }

    void restart() throws Exception {
      ((ServerConnector) server.getConnectors()[0]).setPort(port);
      server.start();
    }

    String url(String path) {
      return "http://127.0.0.1:" + (server.isStarted() ? port() : port) + path;
    }

    @Override
    public void close() {
      try {
        server.stop();
      } catch (Exception e) {
        throw new IllegalStateException("stub server did not stop", e);
      }
    }
  }
}
