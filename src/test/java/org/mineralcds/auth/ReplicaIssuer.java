package org.mineralcds.auth;

import static org.mineralcds.auth.AuthTestSupport.bearer;
import static org.mineralcds.auth.AuthTestSupport.claims;
import static org.mineralcds.auth.AuthTestSupport.config;
import static org.mineralcds.auth.AuthTestSupport.fileIssuer;
import static org.mineralcds.auth.AuthTestSupport.sign;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.config.ServiceConfig;

/**
 * The fixture of the tests that run several replicas on one memory database: an EHR ({@link #EHR})
 * signing with an RSA key whose public half is in a JWKS file, and the replicas, published at
 * {@link #PUBLIC_BASE}, that trust it.
 */
final class ReplicaIssuer {

  static final String EHR = "https://ehr.example.org";
  static final String PUBLIC_BASE = "https://cds.example.org";

  private final RSAKey rsa;
  private final Path jwks;

  /** A new RSA key, its public half written to {@code dir}/jwks.json. */
  ReplicaIssuer(Path dir) throws Exception {
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(List.of(rsa.toPublicJWK())).toString());
  }

  /** A replica that trusts the EHR, with {@code memory}. */
  ServiceConfig replica(MemorySettings memory) {
    return config(
            List.of(fileIssuer(EHR, jwks, List.of(), List.of(), List.of())), false, PUBLIC_BASE)
        .withMemory(memory);
  }

  /** A new token of the EHR (a fresh jti), signed RS384, for a call to {@code path}. */
  String token(String path) {
    return bearer(sign(rsa, JWSAlgorithm.RS384, claims(EHR, PUBLIC_BASE + path).build()));
  }
}
