package org.mineralcds.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import org.mineralcds.config.TrustedIssuer;
import org.mineralcds.observability.LogText;

/**
 * Verifies the CDS Hooks JWT an EHR sends with every call (spec 2.0 §Trusting CDS Clients): the
 * signature against the issuer's keys (RS256/RS384/ES256/ES384 only: never {@code none} or HMAC),
 * {@code iss} on the trusted list, {@code aud} equal to the URL called, {@code exp}, {@code iat}
 * and {@code nbf} with bounded skew, a bounded lifetime, {@code jti} not seen before, and the
 * tenant allowlist. Thread-safe.
 */
public final class EhrAuthenticator {

  /**
   * The public CDS Hooks sandbox: its private key is published, so it is trusted only on request.
   */
  public static final String SANDBOX_ISSUER = "https://sandbox.cds-hooks.org";

  private static final String SANDBOX_JWKS = "auth/cds-hooks-sandbox-jwks.json";
  private static final Set<JWSAlgorithm> ALGORITHMS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.ES256, JWSAlgorithm.ES384);

  /** Longer-lived tokens are refused, which bounds how long jti values must be remembered. */
  static final Duration MAX_LIFETIME = Duration.ofHours(1);

  private final Map<String, Issuer> issuers = new LinkedHashMap<>();
  private final Map<String, RemoteJwks> jkuSources = new ConcurrentHashMap<>();
  private final RemoteJwks.Settings keySettings;

  /** Request threads that may wait for a key fetch at once, all issuers together. */
  private final Semaphore keyWaiters = new Semaphore(16);

  private final ScheduledExecutorService keyWatchdog = RemoteJwks.newWatchdog();
  private final ReplayCache replays;
  private final Duration skew;
  private final Clock clock;

  /** An issuer with its keys: a fixed set (file, sandbox), a JWKS URL, or neither (jku only). */
  private record Issuer(TrustedIssuer config, JWKSet fixedKeys, RemoteJwks remoteKeys) {}

  /** With a replay cache in this process only (tests, the check command). */
  public EhrAuthenticator(
      List<TrustedIssuer> trusted, boolean allowSandbox, Duration skew, Clock clock) {
    this(trusted, allowSandbox, skew, clock, ReplayCache.inProcess(200_000));
  }

  /**
   * @param replays where used jti values are remembered (the database one is shared by replicas)
   */
  public EhrAuthenticator(
      List<TrustedIssuer> trusted,
      boolean allowSandbox,
      Duration skew,
      Clock clock,
      ReplayCache replays) {
    this(trusted, allowSandbox, skew, clock, replays, RemoteJwks.Settings.DEFAULT);
  }

  EhrAuthenticator(
      List<TrustedIssuer> trusted,
      boolean allowSandbox,
      Duration skew,
      Clock clock,
      ReplayCache replays,
      RemoteJwks.Settings keySettings) {
    this.replays = replays;
    this.skew = skew;
    this.clock = clock;
    this.keySettings = keySettings;
    for (TrustedIssuer issuer : trusted) {
      JWKSet fixed = fileKeys(issuer);
      RemoteJwks remote =
          fixed == null && issuer.jwksUrl() != null ? remoteSource(issuer.jwksUrl()) : null;
      issuers.put(issuer.issuer(), new Issuer(issuer, fixed, remote));
      if (remote != null) {
        remote.prefetch();
      }
    }
    if (allowSandbox && !issuers.containsKey(SANDBOX_ISSUER)) {
      TrustedIssuer sandbox =
          new TrustedIssuer(
              SANDBOX_ISSUER,
              null,
              null,
              List.of(SANDBOX_ISSUER + "/.well-known/jwks.json"),
              List.of(),
              List.of());
      issuers.put(SANDBOX_ISSUER, new Issuer(sandbox, sandboxKeys(), null));
    }
  }

  public boolean enabled() {
    return !issuers.isEmpty();
  }

  /**
   * A token whose signature and claims were checked, and whose jti is still to be recorded ({@link
   * #accept}). Only this class makes them.
   */
  public static final class Verified {
    private final Caller caller;
    private final String issuer;
    private final String jti;
    private final Instant rememberUntil;

    private Verified(Caller caller, String issuer, String jti, Instant rememberUntil) {
      this.caller = caller;
      this.issuer = issuer;
      this.jti = jti;
      this.rememberUntil = rememberUntil;
    }

    /** The caller the token names, for logs while its jti is not yet recorded. */
    public Caller caller() {
      return caller;
    }
  }

  /**
   * Verifies the token and records its jti: {@link #verify} then {@link #accept} without a request
   * key (every second sighting of the jti is a replay).
   *
   * @param authorization the Authorization header, or null
   * @param audience the URL of the endpoint called (public base URL + path)
   */
  public Caller authenticate(String authorization, String audience) throws AuthenticationFailure {
    return accept(verify(authorization, audience), null);
  }

  /**
   * Checks the token's signature and claims; its jti is not recorded yet.
   *
   * @param authorization the Authorization header, or null
   * @param audience the URL of the endpoint called (public base URL + path)
   */
  public Verified verify(String authorization, String audience) throws AuthenticationFailure {
    if (authorization == null || authorization.isBlank()) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.MISSING, "no Authorization header");
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new AuthenticationFailure(AuthenticationFailure.Reason.MALFORMED, "not a Bearer token");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(authorization.substring(7).trim());
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new AuthenticationFailure(AuthenticationFailure.Reason.MALFORMED, "not a signed JWT");
    }
    JWSHeader header = jwt.getHeader();
    if (!ALGORITHMS.contains(header.getAlgorithm())) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.ALGORITHM,
          "alg " + LogText.quoted(header.getAlgorithm()) + " not accepted");
    }
    Issuer issuer = claims.getIssuer() == null ? null : issuers.get(claims.getIssuer());
    if (issuer == null) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.UNKNOWN_ISSUER,
          "iss not trusted: " + LogText.quoted(claims.getIssuer()));
    }
    verifySignature(jwt, header, issuer);
    Caller caller = checkClaims(claims, issuer, audience);
    return new Verified(
        caller,
        claims.getIssuer(),
        claims.getJWTID(),
        claims.getExpirationTime().toInstant().plus(skew));
  }

  /**
   * Records the verified token's jti: the first sighting is accepted, a later one only as the
   * proxy's retry of the same request ({@link ProxyRetry}: the same non-null {@code requestKey}).
   *
   * @param requestKey {@link ProxyRetry#requestKey} of this request, or null
   * @return the caller, or {@link AuthenticationFailure} for a replay (or a full or unavailable
   *     cache)
   */
  public Caller accept(Verified token, String requestKey) throws AuthenticationFailure {
    ReplayCache.Use use;
    try {
      use =
          replays.record(token.issuer, token.jti, requestKey, token.rememberUntil, clock.instant());
    } catch (ReplayCache.Unavailable e) {
      // Fail closed: a token whose jti cannot be checked against every replica is not accepted.
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.REPLAY_CACHE_UNAVAILABLE,
          "the jti store (memory database) is unavailable; refusing JWT calls until it is back");
    }
    switch (use) {
      case FIRST -> {}
      case RETRY -> {
        return token.caller.asProxyRetry();
      }
      case FULL ->
          throw new AuthenticationFailure(
              AuthenticationFailure.Reason.REPLAY_CACHE_FULL,
              "jti cache is full; refusing new tokens");
      case REPLAYED ->
          throw new AuthenticationFailure(
              AuthenticationFailure.Reason.REPLAYED,
              "jti already used for iss " + LogText.quoted(token.issuer));
    }
    return token.caller;
  }

  private void verifySignature(SignedJWT jwt, JWSHeader header, Issuer issuer)
      throws AuthenticationFailure {
    JWKSet fixed = issuer.fixedKeys();
    RemoteJwks remote = issuer.remoteKeys();
    if (header.getJWKURL() != null) {
      String jku = header.getJWKURL().toString();
      if (!issuer.config().jkuAllowlist().contains(jku)) {
        throw new AuthenticationFailure(
            AuthenticationFailure.Reason.JKU_NOT_ALLOWED,
            "jku not on the allowlist of " + LogText.quoted(issuer.config().issuer()));
      }
      if (fixed == null && remote == null) {
        // Bounded: only allowlisted jku values get a source.
        remote = jkuSources.computeIfAbsent(jku, this::remoteSource);
      }
    }
    if (fixed == null && remote == null) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.UNKNOWN_KEY,
          "token has no jku and the issuer has no configured keys");
    }
    if (header.getKeyID() == null) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.MALFORMED, "no kid in the header");
    }
    List<JWK> keys;
    if (fixed != null) {
      keys =
          new JWKSelector(new JWKMatcher.Builder().keyID(header.getKeyID()).build()).select(fixed);
    } else {
      RemoteJwks.Lookup lookup = remote.keys(header.getKeyID());
      if (lookup.outcome() == RemoteJwks.Outcome.NO_KEYS) {
        throw new AuthenticationFailure(
            AuthenticationFailure.Reason.KEYS_UNAVAILABLE,
            "issuer keys could not be loaded from " + LogText.safe(remote.url()));
      }
      keys = lookup.keys();
    }
    if (keys.isEmpty()) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.UNKNOWN_KEY,
          "no key with kid " + LogText.quoted(header.getKeyID()));
    }
    for (JWK key : keys) {
      JWSVerifier verifier = verifierFor(key, header.getAlgorithm());
      try {
        if (verifier != null && jwt.verify(verifier)) {
          return;
        }
      } catch (JOSEException e) {
        // Try the next key with this kid; none verifying is a bad signature.
      }
    }
    throw new AuthenticationFailure(
        AuthenticationFailure.Reason.BAD_SIGNATURE, "signature does not verify");
  }

  private static JWSVerifier verifierFor(JWK key, JWSAlgorithm alg) {
    try {
      if (key instanceof RSAKey rsa && JWSAlgorithm.Family.RSA.contains(alg)) {
        return new RSASSAVerifier(rsa);
      }
      if (key instanceof ECKey ec && JWSAlgorithm.Family.EC.contains(alg)) {
        return new ECDSAVerifier(ec);
      }
    } catch (JOSEException e) {
      return null;
    }
    return null;
  }

  private Caller checkClaims(JWTClaimsSet claims, Issuer issuer, String audience)
      throws AuthenticationFailure {
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    Date iat = claims.getIssueTime();
    if (exp == null || iat == null || claims.getJWTID() == null || claims.getJWTID().isBlank()) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.MISSING_CLAIM, "exp, iat and jti are required");
    }
    if (now.isAfter(exp.toInstant().plus(skew))) {
      throw new AuthenticationFailure(AuthenticationFailure.Reason.EXPIRED, "expired");
    }
    if (iat.toInstant().isAfter(now.plus(skew))) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.ISSUED_IN_FUTURE, "iat in the future");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.toInstant().isAfter(now.plus(skew))) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.NOT_YET_VALID, "nbf in the future");
    }
    if (Duration.between(iat.toInstant(), exp.toInstant()).compareTo(MAX_LIFETIME) > 0) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.LIFETIME, "exp - iat exceeds " + MAX_LIFETIME);
    }
    List<String> audiences = claims.getAudience() == null ? List.of() : claims.getAudience();
    String expected = normalise(audience);
    if (audiences.stream().map(EhrAuthenticator::normalise).noneMatch(expected::equals)) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.AUDIENCE, "aud does not name " + LogText.quoted(audience));
    }
    String tenant = null;
    try {
      tenant = claims.getStringClaim("tenant");
    } catch (ParseException e) {
      throw new AuthenticationFailure(
          AuthenticationFailure.Reason.TENANT, "tenant is not a string");
    }
    List<String> tenants = issuer.config().tenants();
    if (!tenants.isEmpty() && (tenant == null || !tenants.contains(tenant))) {
      throw new AuthenticationFailure(AuthenticationFailure.Reason.TENANT, "tenant not allowed");
    }
    return new Caller(issuer.config().issuer(), tenant, issuer.config().fhirServers(), false);
  }

  private static String normalise(String url) {
    String u = url.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    int scheme = u.indexOf("://");
    if (scheme > 0) {
      int hostEnd = u.indexOf('/', scheme + 3);
      String head = (hostEnd < 0 ? u : u.substring(0, hostEnd)).toLowerCase(Locale.ROOT);
      u = head + (hostEnd < 0 ? "" : u.substring(hostEnd));
    }
    return u;
  }

  private static JWKSet fileKeys(TrustedIssuer issuer) {
    if (issuer.jwksFile() == null) {
      return null;
    }
    try {
      return JWKSet.parse(Files.readString(issuer.jwksFile())).toPublicJWKSet();
    } catch (IOException | ParseException e) {
      throw new IllegalArgumentException(
          "cannot read the JWKS of "
              + issuer.issuer()
              + " from "
              + issuer.jwksFile()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Cached keys, fetched off the request threads (see {@link RemoteJwks}). */
  private RemoteJwks remoteSource(String url) {
    return new RemoteJwks(url, keySettings, keyWaiters, keyWatchdog);
  }

  /** Stops the key-fetch threads. */
  public void close() {
    issuers.values().stream()
        .map(Issuer::remoteKeys)
        .filter(r -> r != null)
        .forEach(RemoteJwks::close);
    jkuSources.values().forEach(RemoteJwks::close);
    keyWatchdog.shutdownNow();
  }

  private static JWKSet sandboxKeys() {
    try (InputStream in =
        EhrAuthenticator.class.getClassLoader().getResourceAsStream(SANDBOX_JWKS)) {
      if (in == null) {
        throw new IllegalStateException("missing on the classpath: " + SANDBOX_JWKS);
      }
      return JWKSet.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | ParseException e) {
      throw new IllegalStateException("bundled sandbox JWKS is unreadable", e);
    }
  }

  /**
   * Issuers with a {@code jwksUrl} whose keys could not be fetched yet (the last attempt failed):
   * their calls are refused until a fetch succeeds. For readiness.
   */
  public List<String> issuersWithoutKeys() {
    return issuers.values().stream()
        .filter(i -> i.remoteKeys() != null && i.remoteKeys().unavailable())
        .map(i -> i.config().issuer())
        .toList();
  }

  /** Issuer names, for start-up logging. */
  public List<String> issuerNames() {
    return new ArrayList<>(issuers.keySet());
  }
}
