package org.mineralcds.memory;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Patient pseudonyms: HMAC-SHA256 of the FHIR server base URL and the patient id under a secret
 * key. Without the key the id cannot be recovered or confirmed by guessing.
 */
public final class Pseudonyms {

  private final SecretKeySpec key;

  public Pseudonyms(String secret) {
    if (secret == null || secret.length() < 16) {
      throw new IllegalArgumentException("the pseudonym secret must be at least 16 characters");
    }
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  /** 32 hex characters (128 bits of the HMAC). */
  public String of(String fhirServer, String patientId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      String server = fhirServer == null ? "" : fhirServer.replaceAll("/+$", "");
      mac.update(server.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      byte[] digest = mac.doFinal(patientId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
