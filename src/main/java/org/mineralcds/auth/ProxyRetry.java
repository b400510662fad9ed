package org.mineralcds.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Telling a proxy's retry from a replay (issue 15). A proxy in front of several replicas sends a
 * call whose replica died with it in flight to another replica, with the same JWT; the replay cache
 * would refuse that second sighting of the {@code jti}. With {@code --proxy-retry-header} the
 * trusted proxy stamps every client request with an id of its own (nginx {@code $request_id},
 * HAProxy {@code unique-id}), the same across its retries of that request, overwriting whatever the
 * client sent. The replay cache stores, with the jti, a hash of that id and of the request (method,
 * path, body): a second sighting is accepted only as the same request with the same proxy id.
 *
 * <p>A replay through the proxy gets a new id, and a client cannot choose the id the proxy sends:
 * refused. What this trusts: the replicas are reachable only through the proxy (else a caller could
 * send a captured token with the header of its choice: but even then only the very request it
 * captured, with the id the proxy gave it).
 */
public final class ProxyRetry {

  private ProxyRetry() {}

  /**
   * The hex SHA-256 of the proxy's request id, the method, the path and the body, each length-
   * prefixed (no field can be shifted into another); null when there is no single id to go by.
   */
  public static String requestKey(String proxyRequestId, String method, String path, byte[] body) {
    if (proxyRequestId == null || proxyRequestId.isBlank()) {
      return null;
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      field(sha, proxyRequestId.getBytes(StandardCharsets.UTF_8));
      field(sha, method.getBytes(StandardCharsets.UTF_8));
      field(sha, path.getBytes(StandardCharsets.UTF_8));
      field(sha, body);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void field(MessageDigest sha, byte[] bytes) {
    int n = bytes.length;
    sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    sha.update(bytes);
  }
}
