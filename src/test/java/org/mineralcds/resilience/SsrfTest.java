package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.fhir.FhirServerPolicy;

/**
 * The service must not be usable to reach servers it was not configured for: refused fhirServer
 * URLs are decided from the text alone (no DNS, no connection), and redirects to another host are
 * not followed, so the EHR's bearer token never leaves the server it was issued for.
 */
class SsrfTest {

  private static final String TOKEN = "ssrf-token-0c7d41e2-SECRET";

  private static MineralCds service;
  private static Support.RecordingListener listener;

  @BeforeAll
  static void start() throws Exception {
    // The unconfigured default: no issuers, loopback callers only, loopback FHIR servers only.
    // A connect timeout far above the 1 s bound shows that a refusal attempted no connection.
    ServiceConfig config =
        Support.config(
            Duration.ofSeconds(5),
            Duration.ofSeconds(5),
            Duration.ofSeconds(6),
            ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS);
    assertThat(config.insecureAllowRemoteUnauthenticated()).isFalse();
    assertThat(config.authenticationRequired()).isFalse();
    service = Support.start(config);
    listener = new Support.RecordingListener("127.0.0.1");
  }

  @AfterAll
  static void stop() throws Exception {
    service.close();
    listener.close();
  }

  private static HttpResponse<String> callWith(String fhirServer) throws Exception {
    return Support.post(
        service.baseUrl() + Support.SERVICE_PATH,
        Support.hookRequest("ssrf-patient", fhirServer, TOKEN).toString());
  }

  @Test
  void refusedFhirServersGetA4xxWithoutAnyConnection() throws Exception {
    int port = listener.port();
    List<String> refused =
        List.of(
            "http://10.255.255.1:" + port + "/fhir",
            "http://169.254.169.254/latest/meta-data",
            "file:///etc/passwd",
            "ftp://127.0.0.1:" + port + "/",
            "http://user:pw@127.0.0.1:" + port + "/",
            "http://127.0.0.1.nip.io:" + port + "/",
            "http://localhost.:" + port + "/fhir",
            "gopher://127.0.0.1:" + port + "/_GET",
            "http://[::ffff:127.0.0.1]:" + port + "/fhir",
            "http://2130706433:" + port + "/fhir",
            "http://0x7f000001:" + port + "/fhir",
            "http://0.0.0.0:" + port + "/fhir",
            "http:/127.0.0.1:" + port + "/fhir",
            "//127.0.0.1:" + port + "/fhir",
            " http://127.0.0.1:" + port + "/fhir",
            "http://127.0.0.1:" + port + "\\@10.255.255.1/fhir");
    // Only URLs the policy refuses from their text are ever sent: none may reach the network.
    FhirServerPolicy policy = new FhirServerPolicy(List.of(), true);
    for (String url : refused) {
      assertThat(policy.permits(url)).as("precondition: the policy refuses %s", url).isFalse();
    }
    callWith(refused.get(0)); // warm-up: class loading must not count against the bound
    int before = listener.connections();

    for (String url : refused) {
      long started = System.nanoTime();
      HttpResponse<String> response = callWith(url);
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertThat(response.statusCode())
          .as("%s -> %s", url, response.body())
          .isBetween(400, 499)
          .isNotEqualTo(412);
      assertThat(response.statusCode()).as(url).isEqualTo(403);
      assertThat(Support.diagnostics(response)).contains("allowed").doesNotContain(TOKEN);
      assertThat(millis).as("%s answered in %d ms", url, millis).isLessThan(1_000);
    }
    assertThat(listener.connections()).isEqualTo(before);
    assertThat(listener.received()).doesNotContain(TOKEN);
  }

  @Test
  void aTrailingDotLocalhostIsNotLoopbackAndIsNeverContacted() throws Exception {
    int before = listener.connections();
    HttpResponse<String> response = callWith("http://localhost.:" + listener.port() + "/fhir");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
    assertThat(Support.diagnostics(response)).contains("made no call");
    assertThat(listener.connections()).isEqualTo(before);

    // The listener does count connections: the zero above is not vacuous.
    try (Socket probe = new Socket("127.0.0.1", listener.port())) {
      probe.getOutputStream().write("probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (listener.connections() == before && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(listener.connections()).isEqualTo(before + 1);
  }

  /** A FHIR server on 127.0.0.1 that redirects every request to {@code elsewhere}. */
  private static Support.StubFhir redirectingTo(String elsewhere) throws Exception {
    return new Support.StubFhir(
        (stub, request, response, callback) -> {
          String target = Support.target(request);
          String rest = target.startsWith("/fhir") ? target.substring(5) : target;
          response.setStatus(302);
          response.getHeaders().put(HttpHeader.LOCATION, elsewhere + "/fhir" + rest);
          response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
          callback.succeeded();
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.2", "127.0.0.1"})
  void aRedirectToAnotherServerIsNotFollowedAndTheTokenStaysHome(String otherHost)
      throws Exception {
    // 127.0.0.2 is another host; 127.0.0.1 on another port is another server all the same.
    try (Support.RecordingListener elsewhere = new Support.RecordingListener(otherHost);
        Support.StubFhir redirecting =
            redirectingTo("http://" + otherHost + ":" + elsewhere.port())) {
      long started = System.nanoTime();
      HttpResponse<String> response = callWith(redirecting.base());
      long millis = (System.nanoTime() - started) / 1_000_000;

      assertThat(response.statusCode()).as(response.body()).isEqualTo(412);
      assertThat(Support.diagnostics(response)).contains("labs").doesNotContain(TOKEN);
      // The stub was asked (with the token: it is the fhirServer) but nothing went on: one
      // request per key of the query plan's first round (labs, the Patient with its statements,
      // dispenses and conditions, current medication orders, ended orders within the lookback),
      // none repeated.
      assertThat(redirecting.requests.get()).isEqualTo(4);
      assertThat(redirecting.authorizations).allMatch(("Bearer " + TOKEN)::equals);
      assertThat(elsewhere.connections()).isZero();
      assertThat(elsewhere.received()).doesNotContain(TOKEN);
      assertThat(millis).isLessThan(5_000);
    }
  }

  @Test
  void nextLinksToAnotherServerAreNotFollowed() throws Exception {
    try (Support.RecordingListener elsewhere = new Support.RecordingListener("127.0.0.2")) {
      String next = "http://127.0.0.2:" + elsewhere.port() + "/fhir/Observation?_getpages=x&page=2";
      String pageWithForeignNext =
          "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":40,"
              + "\"link\":[{\"relation\":\"next\",\"url\":\""
              + next
              + "\"}]}";
      try (Support.StubFhir fhir = Support.answering(200, pageWithForeignNext)) {
        // Pages of the service's own FHIR queries.
        HttpResponse<String> fetched = callWith(fhir.base());
        assertThat(fetched.statusCode()).as(fetched.body()).isIn(200, 412);

        // Pages of a prefetched searchset, with a fhirServer to follow them on.
        ObjectNode request = Support.exampleRequest("hypokalemia-on-furosemide");
        request.put("fhirServer", fhir.base());
        request
            .putObject("fhirAuthorization")
            .put("access_token", TOKEN)
            .put("token_type", "Bearer");
        ((ObjectNode) request.path("prefetch").path("labs"))
            .putArray("link")
            .addObject()
            .put("relation", "next")
            .put("url", next);
        HttpResponse<String> prefetched =
            Support.post(service.baseUrl() + Support.SERVICE_PATH, request.toString());
        assertThat(prefetched.statusCode()).as(prefetched.body()).isEqualTo(200);
        assertThat(prefetched.body()).contains("potassium-low");
      }
      assertThat(elsewhere.connections()).isZero();
      assertThat(elsewhere.received()).doesNotContain(TOKEN);
    }
  }
}
