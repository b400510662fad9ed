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
import static org.mineralcds.auth.AuthTestSupport.bearer;
import static org.mineralcds.auth.AuthTestSupport.claims;
import static org.mineralcds.auth.AuthTestSupport.config;
import static org.mineralcds.auth.AuthTestSupport.fileIssuer;
import static org.mineralcds.auth.AuthTestSupport.get;
import static org.mineralcds.auth.AuthTestSupport.post;
import static org.mineralcds.auth.AuthTestSupport.sign;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;

/**
 * EHR authentication through HTTP against the real service: which CDS Hooks JWTs are accepted on
 * discovery, service and feedback calls, and that every refusal is a 401 with an empty body whose
 * reason is logged and counted in {@code mineralcds_auth_failures_total}.
 */
class JwtAuthenticationTest {

  private static final String EHR = "https://ehr.example.org";
  private static final String TENANT_EHR = "https://tenant-ehr.example.org";
  private static final String JKU = "https://ehr.example.org/.well-known/jwks.json";
  private static final String PUBLIC_BASE = "https://cds.example.org";
  private static final String SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f";
  private static final String PATIENT =
      "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\","
          + "\"birthDate\":\"1960-01-01\"}";
  private static final String EMPTY_SEARCHSET =
      "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}";

  @TempDir static Path dir;

  private static RSAKey rsa;
  private static RSAKey impostor;
  private static ECKey ec384;
  private static ECKey ec256;
  private static ECKey stranger384;
  private static AuthTestSupport.StubServer fhir;
  private static AuthTestSupport.LogCapture log;
  private static MineralCds service;
  private static MineralCds publicService;
  private static MineralCds sandboxService;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    impostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    ec384 = new ECKeyGenerator(Curve.P_384).keyID("ec-384").generate();
    ec256 = new ECKeyGenerator(Curve.P_256).keyID("ec-256").generate();
    stranger384 = new ECKeyGenerator(Curve.P_384).keyID("stranger").generate();
    Path jwks = dir.resolve("ehr-jwks.json");
    Files.writeString(
        jwks,
        new JWKSet(List.of(rsa.toPublicJWK(), ec384.toPublicJWK(), ec256.toPublicJWK()))
            .toString());

    fhir =
        new AuthTestSupport.StubServer(
            "application/fhir+json",
            path -> path.matches("/fhir/Patient/[^/]+") ? PATIENT : EMPTY_SEARCHSET);
    String fhirBase = fhir.url("/fhir");

    service =
        MineralCds.start(
            config(
                List.of(
                    fileIssuer(EHR, jwks, List.of(JKU), List.of(), List.of(fhirBase)),
                    fileIssuer(TENANT_EHR, jwks, List.of(), List.of("north"), List.of())),
                false,
                null),
            CLOCK);
    base = service.baseUrl();
    publicService =
        MineralCds.start(
            config(
                List.of(fileIssuer(EHR, jwks, List.of(), List.of(), List.of())),
                false,
                PUBLIC_BASE),
            CLOCK);
    sandboxService = MineralCds.start(config(List.of(), true, null), CLOCK);
    log = AuthTestSupport.LogCapture.attach("org.mineralcds.http.CdsHooksHandler");
  }

  @AfterAll
  static void stop() throws Exception {
    log.detach();
    service.close();
    publicService.close();
    sandboxService.close();
    fhir.close();
  }

  // --- helpers --------------------------------------------------------------------------------

  private interface Call {
    HttpResponse<String> send() throws Exception;
  }

  private static String rs384(String audience) {
    return sign(rsa, JWSAlgorithm.RS384, claims(EHR, audience).build());
  }

  private static String url(String path) {
    return base + path;
  }

  private static HttpResponse<String> callService(String authorization) throws Exception {
    return post(url(SERVICE_PATH), authorization, VALID);
  }

  private static HttpResponse<String> callService(JWTClaimsSet.Builder claims) throws Exception {
    return callService(bearer(sign(rsa, JWSAlgorithm.RS384, claims.build())));
  }

  private static void assertCards(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"cards\":[]}");
  }

  /**
   * Sends the call on {@code target} and asserts a 401 with an empty body, the metric for {@code
   * reason} up by exactly one, and the reason (never the token) in the handler's log.
   */
  private static void assertRefused(MineralCds target, String reason, Call call) throws Exception {
    String targetBase = target.baseUrl();
    double before = authFailures(targetBase, reason);
    int logMark = log.messages.size();
    HttpResponse<String> response = call.send();
    assertThat(response.statusCode()).as("status for %s", reason).isEqualTo(401);
    assertThat(response.body()).as("401 body for %s", reason).isEmpty();
    assertThat(authFailures(targetBase, reason) - before).as("metric %s", reason).isEqualTo(1.0);
    List<String> logged = log.messages.subList(logMark, log.messages.size());
    assertThat(logged).as("log for %s", reason).anyMatch(m -> m.contains("JWT " + reason + ":"));
    String authorization = response.request().headers().firstValue("Authorization").orElse("");
    String token = authorization.replaceFirst("^\\S+\\s+", "");
    if (token.length() > 10) {
      assertThat(String.join("\n", logged)).doesNotContain(token);
    }
  }

  private static void assertRefused(String reason, Call call) throws Exception {
    assertRefused(service, reason, call);
  }

  // --- accepted -------------------------------------------------------------------------------

  @Test
  void rs384IsAcceptedOnDiscoveryServiceCallAndFeedback() throws Exception {
    HttpResponse<String> discovery = get(url(DISCOVERY_PATH), bearer(rs384(url(DISCOVERY_PATH))));
    assertThat(discovery.statusCode()).isEqualTo(200);
    assertThat(discovery.body()).contains("\"id\":\"mineral-balance\"");

    assertCards(callService(bearer(rs384(url(SERVICE_PATH)))));

    HttpResponse<String> feedback =
        post(url(FEEDBACK_PATH), bearer(rs384(url(FEEDBACK_PATH))), FEEDBACK);
    assertThat(feedback.statusCode()).as(feedback.body()).isEqualTo(200);
  }

  @Test
  void es384IsAccepted() throws Exception {
    String token = sign(ec384, JWSAlgorithm.ES384, claims(EHR, url(SERVICE_PATH)).build());
    assertCards(callService(bearer(token)));
    String discovery = sign(ec384, JWSAlgorithm.ES384, claims(EHR, url(DISCOVERY_PATH)).build());
    assertThat(get(url(DISCOVERY_PATH), bearer(discovery)).statusCode()).isEqualTo(200);
  }

  @Test
  void rs256AndEs256AreAccepted() throws Exception {
    assertCards(
        callService(bearer(sign(rsa, JWSAlgorithm.RS256, claims(EHR, url(SERVICE_PATH)).build()))));
    assertCards(
        callService(
            bearer(sign(ec256, JWSAlgorithm.ES256, claims(EHR, url(SERVICE_PATH)).build()))));
  }

  @Test
  void theBearerSchemeIsCaseInsensitive() throws Exception {
    assertCards(callService("bearer " + rs384(url(SERVICE_PATH))));
    assertCards(callService("BEARER " + rs384(url(SERVICE_PATH))));
  }

  @Test
  void anAudienceArrayContainingTheUrlIsAccepted() throws Exception {
    assertCards(
        callService(
            claims(EHR, null)
                .audience(List.of("https://elsewhere.example.org", url(SERVICE_PATH)))));
  }

  @Test
  void anAudienceWithATrailingSlashIsAccepted() throws Exception {
    assertCards(callService(claims(EHR, url(SERVICE_PATH) + "/")));
  }

  @Test
  void anAudienceDifferingOnlyInHostCaseIsAccepted() throws Exception {
    assertCards(callService(claims(EHR, url(SERVICE_PATH).replace("http://", "HTTP://"))));
  }

  @Test
  void expiryWithinTheClockSkewIsAccepted() throws Exception {
    assertCards(
        callService(
            claims(EHR, url(SERVICE_PATH))
                .issueTime(Date.from(NOW.minusSeconds(600)))
                .expirationTime(Date.from(NOW.minusSeconds(30)))));
    assertCards(
        callService(
            claims(EHR, url(SERVICE_PATH))
                .issueTime(Date.from(NOW.plusSeconds(30)))
                .notBeforeTime(Date.from(NOW.plusSeconds(30)))
                .expirationTime(Date.from(NOW.plusSeconds(330)))));
  }

  @Test
  void aLifetimeOfExactlyOneHourIsAccepted() throws Exception {
    assertCards(
        callService(
            claims(EHR, url(SERVICE_PATH)).expirationTime(Date.from(NOW.plusSeconds(3600)))));
  }

  @Test
  void healthAndMetricsNeedNoToken() throws Exception {
    assertThat(get(url("/health/ready"), null).statusCode()).isEqualTo(200);
    assertThat(get(url("/health/live"), null).statusCode()).isEqualTo(200);
    assertThat(get(url("/metrics"), null).statusCode()).isEqualTo(200);
  }

  @Test
  void theRulePagesCardsLinkToNeedNoToken() throws Exception {
    // Clinicians' browsers open a card's source.url from the EHR without a CDS Hooks JWT; the
    // pages hold the published knowledge only, no patient data.
    HttpResponse<String> page = get(url("/knowledge/rules/potassium-low"), null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("potassium-low");
    assertThat(get(url("/knowledge/report"), null).statusCode()).isEqualTo(200);
  }

  // --- refused: the header --------------------------------------------------------------------

  @Test
  void noAuthorizationHeaderIsRefusedOnEveryEndpoint() throws Exception {
    assertRefused("missing", () -> get(url(DISCOVERY_PATH), null));
    assertRefused("missing", () -> callService((String) null));
    assertRefused("missing", () -> post(url(FEEDBACK_PATH), null, FEEDBACK));
  }

  @Test
  void theBasicSchemeIsRefused() throws Exception {
    assertRefused("malformed", () -> callService("Basic dXNlcjpwYXNzd29yZA=="));
  }

  @Test
  void aGarbageTokenIsRefused() throws Exception {
    assertRefused("malformed", () -> callService("Bearer not-a-jwt"));
    assertRefused("malformed", () -> callService("Bearer aaa.bbb.ccc"));
  }

  // --- refused: algorithm, issuer, key, signature ---------------------------------------------

  @Test
  void algNoneIsRefused() throws Exception {
    String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
    String payload = Base64URL.encode(claims(EHR, url(SERVICE_PATH)).build().toString()).toString();
    String unsigned = header + "." + payload + ".";
    // Nimbus refuses to parse an alg none object as a signed JWT, so this is "malformed".
    assertRefused("malformed", () -> callService(bearer(unsigned)));
  }

  @Test
  void hs256IsRefusedEvenWithAKnownKid() throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
            claims(EHR, url(SERVICE_PATH)).build());
    try {
      jwt.sign(new MACSigner("0123456789abcdef0123456789abcdef0123456789abcdef"));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    String token = jwt.serialize();
    assertRefused("algorithm", () -> callService(bearer(token)));
  }

  @Test
  void aSignatureByAnotherKeyWithTheSameKidIsRefused() throws Exception {
    String token = sign(impostor, JWSAlgorithm.RS384, claims(EHR, url(SERVICE_PATH)).build());
    assertRefused("bad-signature", () -> callService(bearer(token)));
  }

  @Test
  void aTokenSignedAsEsWithAnRsaKidIsRefused() throws Exception {
    String token =
        sign(
            ec384,
            JWSAlgorithm.ES384,
            claims(EHR, url(SERVICE_PATH)).build(),
            h -> h.keyID(rsa.getKeyID()));
    assertRefused("bad-signature", () -> callService(bearer(token)));
  }

  @Test
  void anUnknownKidIsRefused() throws Exception {
    String token = sign(stranger384, JWSAlgorithm.ES384, claims(EHR, url(SERVICE_PATH)).build());
    assertRefused("unknown-key", () -> callService(bearer(token)));
  }

  @Test
  void anUnknownIssuerIsRefused() throws Exception {
    String token =
        sign(
            rsa, JWSAlgorithm.RS384, claims("https://evil.example.org", url(SERVICE_PATH)).build());
    assertRefused("unknown-issuer", () -> callService(bearer(token)));
    String noIss = sign(rsa, JWSAlgorithm.RS384, claims(null, url(SERVICE_PATH)).build());
    assertRefused("unknown-issuer", () -> callService(bearer(noIss)));
  }

  @Test
  void aJkuOffTheAllowlistIsRefusedAndOneOnItIsAccepted() throws Exception {
    String evil =
        sign(
            rsa,
            JWSAlgorithm.RS384,
            claims(EHR, url(SERVICE_PATH)).build(),
            h -> h.jwkURL(URI.create("https://evil.example.org/jwks.json")));
    assertRefused("jku-not-allowed", () -> callService(bearer(evil)));

    String listed =
        sign(
            rsa,
            JWSAlgorithm.RS384,
            claims(EHR, url(SERVICE_PATH)).build(),
            h -> h.jwkURL(URI.create(JKU)));
    assertCards(callService(bearer(listed)));
  }

  // --- refused: claims ------------------------------------------------------------------------

  @Test
  void anotherEndpointsAudienceIsRefused() throws Exception {
    assertRefused("audience", () -> callService(bearer(rs384(url(DISCOVERY_PATH)))));
    assertRefused("audience", () -> get(url(DISCOVERY_PATH), bearer(rs384(url(SERVICE_PATH)))));
    assertRefused(
        "audience", () -> post(url(FEEDBACK_PATH), bearer(rs384(url(SERVICE_PATH))), FEEDBACK));
    assertRefused("audience", () -> callService(claims(EHR, null)));
  }

  @Test
  void anExpiredTokenIsRefused() throws Exception {
    assertRefused(
        "expired",
        () ->
            callService(
                claims(EHR, url(SERVICE_PATH))
                    .issueTime(Date.from(NOW.minusSeconds(600)))
                    .expirationTime(Date.from(NOW.minusSeconds(120)))));
  }

  @Test
  void aTokenNotYetValidIsRefused() throws Exception {
    assertRefused(
        "not-yet-valid",
        () ->
            callService(
                claims(EHR, url(SERVICE_PATH))
                    .notBeforeTime(Date.from(NOW.plusSeconds(300)))
                    .expirationTime(Date.from(NOW.plusSeconds(600)))));
  }

  @Test
  void aTokenIssuedInTheFutureIsRefused() throws Exception {
    assertRefused(
        "issued-in-future",
        () ->
            callService(
                claims(EHR, url(SERVICE_PATH))
                    .issueTime(Date.from(NOW.plusSeconds(300)))
                    .expirationTime(Date.from(NOW.plusSeconds(600)))));
  }

  @Test
  void aLifetimeOverAnHourIsRefused() throws Exception {
    assertRefused(
        "lifetime-too-long",
        () ->
            callService(
                claims(EHR, url(SERVICE_PATH)).expirationTime(Date.from(NOW.plusSeconds(3601)))));
  }

  @Test
  void expIatAndJtiAreRequired() throws Exception {
    assertRefused(
        "missing-claim", () -> callService(claims(EHR, url(SERVICE_PATH)).expirationTime(null)));
    assertRefused(
        "missing-claim", () -> callService(claims(EHR, url(SERVICE_PATH)).issueTime(null)));
    assertRefused("missing-claim", () -> callService(claims(EHR, url(SERVICE_PATH)).jwtID(null)));
    assertRefused("missing-claim", () -> callService(claims(EHR, url(SERVICE_PATH)).jwtID(" ")));
  }

  @Test
  void aReplayedJtiIsRefused() throws Exception {
    String token = rs384(url(SERVICE_PATH));
    assertCards(callService(bearer(token)));
    assertRefused("replayed-jti", () -> callService(bearer(token)));

    // The same jti in a new token (another key and algorithm) is a replay too.
    JWTClaimsSet first = claims(EHR, url(SERVICE_PATH)).build();
    assertCards(callService(bearer(sign(rsa, JWSAlgorithm.RS384, first))));
    String again = sign(ec384, JWSAlgorithm.ES384, first);
    assertRefused("replayed-jti", () -> callService(bearer(again)));
  }

  @Test
  void aRefusedTokenDoesNotUseUpItsJti() throws Exception {
    JWTClaimsSet claims = claims(EHR, url(SERVICE_PATH)).build();
    String wrongKey = sign(impostor, JWSAlgorithm.RS384, claims);
    assertRefused("bad-signature", () -> callService(bearer(wrongKey)));
    assertCards(callService(bearer(sign(rsa, JWSAlgorithm.RS384, claims))));
  }

  @Test
  void theTenantMustBeOnTheIssuersAllowlist() throws Exception {
    assertRefused(
        "tenant",
        () -> callService(claims(TENANT_EHR, url(SERVICE_PATH)).claim("tenant", "south")));
    assertRefused("tenant", () -> callService(claims(TENANT_EHR, url(SERVICE_PATH))));
    assertRefused(
        "tenant", () -> callService(claims(TENANT_EHR, url(SERVICE_PATH)).claim("tenant", 7)));
    assertCards(callService(claims(TENANT_EHR, url(SERVICE_PATH)).claim("tenant", "north")));
    // An issuer without a tenant list takes any tenant.
    assertCards(callService(claims(EHR, url(SERVICE_PATH)).claim("tenant", "anything")));
  }

  // --- public base URL ------------------------------------------------------------------------

  @Test
  void withAPublicBaseUrlTheAudienceIsThePublicUrl() throws Exception {
    String local = publicService.baseUrl() + SERVICE_PATH;
    String publicAud =
        sign(rsa, JWSAlgorithm.RS384, claims(EHR, PUBLIC_BASE + SERVICE_PATH).build());
    assertCards(post(local, bearer(publicAud), VALID));

    String discovery =
        sign(rsa, JWSAlgorithm.RS384, claims(EHR, PUBLIC_BASE + DISCOVERY_PATH).build());
    assertThat(get(publicService.baseUrl() + DISCOVERY_PATH, bearer(discovery)).statusCode())
        .isEqualTo(200);

    String localAud = sign(rsa, JWSAlgorithm.RS384, claims(EHR, local).build());
    assertRefused(publicService, "audience", () -> post(local, bearer(localAud), VALID));
  }

  // --- the FHIR servers an authenticated issuer may name --------------------------------------

  private static String fetchingCall(String fhirServer) {
    return "{\"hook\":\"patient-view\",\"hookInstance\":\"0f4a5a5e-8d7e-4e0b-9a55-0d4c1f3c9b11\","
        + "\"fhirServer\":\""
        + fhirServer
        + "\",\"fhirAuthorization\":{\"access_token\":\"fhir-access-token\","
        + "\"token_type\":\"Bearer\",\"expires_in\":300,\"scope\":\"patient/*.read\","
        + "\"subject\":\"mineral-cds\"},"
        + "\"context\":{\"userId\":\"Practitioner/1\",\"patientId\":\"p1\"}}";
  }

  @Test
  void aFhirServerNotListedForTheIssuerIsForbidden() throws Exception {
    int before = fhir.requests.get();
    HttpResponse<String> other =
        post(
            url(SERVICE_PATH),
            bearer(rs384(url(SERVICE_PATH))),
            fetchingCall("https://fhir.elsewhere.example.org/r4"));
    assertThat(other.statusCode()).as(other.body()).isEqualTo(403);
    assertThat(other.body()).contains("OperationOutcome");

    // The stub is listed for EHR only: another authenticated issuer may not name it, and an
    // authenticated caller gets no loopback exemption.
    String tenantToken =
        sign(
            rsa,
            JWSAlgorithm.RS384,
            claims(TENANT_EHR, url(SERVICE_PATH)).claim("tenant", "north").build());
    HttpResponse<String> notTheirs =
        post(url(SERVICE_PATH), bearer(tenantToken), fetchingCall(fhir.url("/fhir")));
    assertThat(notTheirs.statusCode()).as(notTheirs.body()).isEqualTo(403);
    assertThat(fhir.requests.get()).isEqualTo(before);
  }

  @Test
  void aFhirServerListedForTheIssuerIsFetchedWithTheGrantedToken() throws Exception {
    int before = fhir.requests.get();
    String token = rs384(url(SERVICE_PATH));
    HttpResponse<String> response =
        post(url(SERVICE_PATH), bearer(token), fetchingCall(fhir.url("/fhir")));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).startsWith("{\"cards\":");
    assertThat(fhir.requests.get()).isGreaterThan(before);
    List<String> paths = fhir.paths.subList(before, fhir.paths.size());
    assertThat(paths).anyMatch(p -> p.startsWith("/fhir/Patient?_id=p1"));
    assertThat(paths).anyMatch(p -> p.startsWith("/fhir/Observation?"));
    // The EHR's JWT never goes to the FHIR server; the granted access token does.
    List<String> auths = fhir.authorizations.subList(before, fhir.authorizations.size());
    assertThat(auths).containsOnly("Bearer fhir-access-token");
  }

  // --- the CDS Hooks sandbox ------------------------------------------------------------------

  @Test
  void theSandboxIssuerIsUnknownUnlessAllowed() throws Exception {
    String token =
        sign(
            stranger384,
            JWSAlgorithm.ES384,
            claims(EhrAuthenticator.SANDBOX_ISSUER, url(SERVICE_PATH)).build(),
            h -> h.keyID(SANDBOX_KID));
    assertRefused("unknown-issuer", () -> callService(bearer(token)));
  }

  @Test
  void withTheSandboxAllowedOnlyTheBundledSandboxKeyVerifies() throws Exception {
    String sandboxUrl = sandboxService.baseUrl() + SERVICE_PATH;
    String forgedWithSandboxKid =
        sign(
            stranger384,
            JWSAlgorithm.ES384,
            claims(EhrAuthenticator.SANDBOX_ISSUER, sandboxUrl).build(),
            h -> h.keyID(SANDBOX_KID));
    assertRefused(
        sandboxService,
        "bad-signature",
        () -> post(sandboxUrl, bearer(forgedWithSandboxKid), VALID));

    String otherKid =
        sign(
            stranger384,
            JWSAlgorithm.ES384,
            claims(EhrAuthenticator.SANDBOX_ISSUER, sandboxUrl).build());
    assertRefused(sandboxService, "unknown-key", () -> post(sandboxUrl, bearer(otherKid), VALID));

    // Only the sandbox is trusted there: another issuer is unknown, and a token is required.
    String ehr = sign(rsa, JWSAlgorithm.RS384, claims(EHR, sandboxUrl).build());
    assertRefused(sandboxService, "unknown-issuer", () -> post(sandboxUrl, bearer(ehr), VALID));
    assertRefused(sandboxService, "missing", () -> post(sandboxUrl, null, VALID));
  }

  @Test
  void everyRefusalReasonIsAKnownCode() {
    // The metric label values the tests above expect are the codes the authenticator uses.
    List<String> codes =
        java.util.Arrays.stream(AuthenticationFailure.Reason.values())
            .map(AuthenticationFailure.Reason::code)
            .toList();
    assertThat(codes)
        .contains(
            "missing",
            "malformed",
            "algorithm",
            "unknown-issuer",
            "jku-not-allowed",
            "unknown-key",
            "bad-signature",
            "audience",
            "expired",
            "not-yet-valid",
            "issued-in-future",
            "lifetime-too-long",
            "missing-claim",
            "replayed-jti",
            "tenant",
            "keys-unavailable");
    assertThat(codes).allMatch(c -> Pattern.matches("[a-z-]+", c));
  }
}
