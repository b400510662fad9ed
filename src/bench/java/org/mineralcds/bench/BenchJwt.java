package org.mineralcds.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * A test EHR issuer for the load generator ({@code load --jwt RS384|ES384}): a key of its own, its
 * public JWKS in a file and a settings file naming it as the one trusted issuer, and a fresh signed
 * token (new jti, 5 minutes) per call, as an EHR sends. The service then verifies every call and
 * records every jti in its replay cache (the memory database, or the process with --memory false).
 */
final class BenchJwt {

  static final String ISSUER = "https://ehr.bench.example.org";
  static final String PUBLIC_BASE = "https://cds.bench.example.org";

  private final JWSAlgorithm alg;
  private final JWK key;
  private final JWSSigner signer;
  final Path configFile;

  BenchJwt(String algorithm) throws JOSEException, IOException {
    alg = JWSAlgorithm.parse(algorithm);
    if (alg.equals(JWSAlgorithm.RS384) || alg.equals(JWSAlgorithm.RS256)) {
      var rsa = new RSAKeyGenerator(2048).keyID("bench-1").generate();
      key = rsa;
      signer = new RSASSASigner(rsa);
    } else if (alg.equals(JWSAlgorithm.ES384) || alg.equals(JWSAlgorithm.ES256)) {
      var ec =
          new ECKeyGenerator(alg.equals(JWSAlgorithm.ES384) ? Curve.P_384 : Curve.P_256)
              .keyID("bench-1")
              .generate();
      key = ec;
      signer = new ECDSASigner(ec);
    } else {
      throw new IllegalArgumentException("--jwt: RS256, RS384, ES256 or ES384, not " + algorithm);
    }
    Path dir = Files.createTempDirectory("mineral-cds-bench-jwt");
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(List.of(key.toPublicJWK())).toString());
    configFile = dir.resolve("config.yaml");
    Files.writeString(
        configFile,
        "publicBaseUrl: "
            + PUBLIC_BASE
            + "\ntrustedIssuers:\n  - issuer: "
            + ISSUER
            + "\n    jwksFile: "
            + jwks
            + "\n");
    dir.toFile().deleteOnExit();
    jwks.toFile().deleteOnExit();
    configFile.toFile().deleteOnExit();
  }

  /** A fresh token for the endpoint at {@code path}: the Authorization header line. */
  String authorizationHeader(String path) {
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
            new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(PUBLIC_BASE + path)
                .subject("bench-ehr")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)))
                .jwtID(UUID.randomUUID().toString())
                .build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return "Authorization: Bearer " + jwt.serialize() + "\r\n";
  }
}
