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

  private static final HexFormat HEX = HexFormat.of();

  private final SecretKeySpec key;

  /**
   * One initialised MAC per thread: looking the algorithm up and keying it cost more than hashing
   * the few bytes of a patient reference, on every hook call.
   */
  private final ThreadLocal<Mac> macs;

  public Pseudonyms(String secret) {
    if (secret == null || secret.length() < 16) {
      throw new IllegalArgumentException("the pseudonym secret must be at least 16 characters");
    }
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
    newMac(); // fail at start-up, not at the first hook call, when HmacSHA256 is missing
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** 32 hex characters (128 bits of the HMAC). */
  public String of(String fhirServer, String patientId) {
    Mac mac = macs.get();
    mac.reset(); // whatever an interrupted earlier call on this thread left behind
    mac.update(withoutTrailingSlashes(fhirServer).getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    byte[] digest = mac.doFinal(patientId.getBytes(StandardCharsets.UTF_8));
    return HEX.formatHex(digest, 0, 16);
  }

  /** The same server written with or without its trailing slash is one server. */
  static String withoutTrailingSlashes(String fhirServer) {
    if (fhirServer == null) {
      return "";
    }
    int end = fhirServer.length();
    while (end > 0 && fhirServer.charAt(end - 1) == '/') {
      end--;
    }
    return fhirServer.substring(0, end);
  }
}
