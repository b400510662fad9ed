package org.mineralcds.hook;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A hook invocation, parsed leniently: unknown members and {@code extension} are ignored.
 *
 * @param fhirServer base URL, or null
 * @param fhirAuthorization null when the EHR granted no token
 * @param context the hook context object as sent
 * @param prefetch key to value; a key present with JSON null maps to {@code NullNode} (no data), an
 *     absent key is not in the map (fetch it)
 */
public record HookRequest(
    String hook,
    String hookInstance,
    String fhirServer,
    FhirAuthorization fhirAuthorization,
    JsonNode context,
    Map<String, JsonNode> prefetch) {

  public HookRequest {
    prefetch = Collections.unmodifiableMap(new LinkedHashMap<>(prefetch));
  }

  /** A context member as text, or null when absent or not a string. */
  public String contextString(String name) {
    JsonNode value = context.get(name);
    return value != null && value.isTextual() ? value.asText() : null;
  }

  /**
   * Reads a request body. Throws {@link HookError} (400) naming the first problem: wrong shape,
   * missing {@code hook}, {@code hookInstance} or {@code context}, or pre-1.0 wrapped prefetch.
   */
  public static HookRequest fromJson(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw HookError.badRequest("The request body must be a JSON object.");
    }
    String hook = requiredString(body, "hook");
    String hookInstance = requiredString(body, "hookInstance");
    JsonNode context = body.get("context");
    if (context == null || !context.isObject()) {
      throw HookError.badRequest("'context' is required and must be an object.");
    }
    String fhirServer = optionalString(body, "fhirServer");
    FhirAuthorization auth = null;
    JsonNode a = body.get("fhirAuthorization");
    if (a != null && !a.isNull()) {
      if (!a.isObject()) {
        throw HookError.badRequest("'fhirAuthorization' must be an object.");
      }
      String token = optionalString(a, "access_token");
      if (token == null || token.isBlank()) {
        throw HookError.badRequest("'fhirAuthorization.access_token' is required.");
      }
      if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
        // Some 1.0-era clients put the scheme into the token (cqf-ruler#678); send it once.
        token = token.substring(7).trim();
      }
      JsonNode expires = a.get("expires_in");
      auth =
          new FhirAuthorization(
              token,
              optionalString(a, "token_type"),
              expires != null && expires.canConvertToLong() ? expires.asLong() : null,
              optionalString(a, "scope"),
              optionalString(a, "subject"),
              optionalString(a, "patient"));
    }
    Map<String, JsonNode> prefetch = new LinkedHashMap<>();
    JsonNode p = body.get("prefetch");
    if (p != null && !p.isNull()) {
      if (!p.isObject()) {
        throw HookError.badRequest("'prefetch' must be an object of key to FHIR resource.");
      }
      for (Map.Entry<String, JsonNode> e : p.properties()) {
        JsonNode value = e.getValue();
        if (!value.isNull() && !value.isObject()) {
          throw HookError.badRequest(
              "'prefetch." + e.getKey() + "' must be a FHIR resource object or null.");
        }
        if (value.isObject() && !value.has("resourceType")) {
          throw HookError.badRequest(
              "'prefetch."
                  + e.getKey()
                  + "' has no resourceType (pre-1.0 wrapped prefetch is not supported).");
        }
        prefetch.put(e.getKey(), value);
      }
    }
    return new HookRequest(hook, hookInstance, fhirServer, auth, context, prefetch);
  }

  private static String requiredString(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw HookError.badRequest("'" + field + "' is required and must be a non-empty string.");
    }
    return value.asText();
  }

  private static String optionalString(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw HookError.badRequest("'" + field + "' must be a string.");
    }
    return value.asText();
  }
}
