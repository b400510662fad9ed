package org.mineralcds.service;

import java.util.List;
import java.util.regex.Pattern;
import org.mineralcds.auth.Caller;
import org.mineralcds.fhir.FhirServerPolicy;
import org.mineralcds.fhir.PatientData;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.Feedback;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.ServiceDescriptor;
import org.mineralcds.knowledge.ServiceDefinition;
import org.mineralcds.observability.Metrics;
import org.slf4j.Logger;

/**
 * What every CDS service of mineral-cds (mineral-balance, mineral-order-select, mineral-order-sign)
 * does alike around a hook call: its discovery entry, the checks of the request's hook and patient
 * (one wording and one status for all), which FHIR servers the caller may name, the counts after a
 * call and the feedback log line. The wire-level checks (a JSON object, {@code hook}, {@code
 * hookInstance}, {@code context}, {@code prefetch}, {@code fhirAuthorization}) are {@link
 * HookRequest#fromJson}'s; the service-specific context ({@code draftOrders}, {@code selections})
 * is the service's own.
 */
public final class HookCalls {

  /** A FHIR id (R4 {@code id} datatype): what a patientId must be before it goes into a query. */
  static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

  private HookCalls() {}

  /** The discovery entry of a service defined in the knowledge. */
  static ServiceDescriptor descriptor(ServiceDefinition definition) {
    return new ServiceDescriptor(
        definition.hook(),
        definition.title(),
        definition.description(),
        definition.id(),
        definition.prefetch(),
        definition.usageRequirements());
  }

  /**
   * Checks that {@code request} is a call of the service's hook about one patient and returns the
   * patient's id.
   *
   * @throws HookError 400 for another hook, a missing, blank or non-string {@code
   *     context.patientId}, or one that is not a FHIR id (it would go into FHIR queries)
   */
  public static String patientId(ServiceDefinition definition, HookRequest request) {
    if (!definition.hook().equals(request.hook())) {
      throw HookError.badRequest(
          "Service '"
              + definition.id()
              + "' answers the '"
              + definition.hook()
              + "' hook, not '"
              + request.hook()
              + "'.");
    }
    String patientId = request.contextString("patientId");
    if (patientId == null || patientId.isBlank()) {
      throw HookError.badRequest("'context.patientId' is required for " + definition.hook() + ".");
    }
    if (!FHIR_ID.matcher(patientId).matches()) {
      throw HookError.badRequest(
          "'context.patientId' must be a FHIR id: letters, digits, '-' and '.', at most 64"
              + " characters.");
    }
    return patientId;
  }

  /**
   * Which FHIR servers a call may name. A local caller of an unconfigured service: loopback and the
   * global list. An authenticated EHR: its issuer's own {@code fhirServers} when it lists any,
   * which are then the boundary (the global list does not widen them); the global list only for an
   * issuer that lists none. Never loopback.
   */
  static FhirServerPolicy policyFor(Caller caller, List<String> allowedFhirServers) {
    if (caller.local()) {
      return new FhirServerPolicy(allowedFhirServers, true);
    }
    return new FhirServerPolicy(
        caller.fhirServers().isEmpty() ? allowedFhirServers : caller.fhirServers(), false);
  }

  /** The counts every answered call adds to the metrics: cards shown, data missing, bytes read. */
  static void count(Metrics metrics, List<Card> shown, PatientData data) {
    shown.forEach(c -> metrics.card(c.source().topic().code(), c.indicator()));
    data.failures().keySet().forEach(metrics::dataUnavailable);
    metrics.fhirBytes(data.fhirBytes());
  }

  /** One log line per feedback item: the card, the outcome and counts, never the comment. */
  static void logFeedback(Logger log, String serviceId, Feedback feedback) {
    for (Feedback.Item item : feedback.items()) {
      log.info(
          "feedback service={} card={} outcome={} acceptedSuggestions={} overrideReason={}",
          serviceId,
          loggable(item.card()),
          item.outcome(),
          item.acceptedSuggestions().size(),
          item.overrideReason() == null || item.overrideReason().code() == null
              ? "-"
              : loggable(item.overrideReason().code()));
    }
  }

  /** The caller chose this text: keep it to one short line of safe characters in the log. */
  static String loggable(String callerText) {
    // Nearly always a UUID already: then as it is, without the regex (compiled on every call).
    String safe =
        onlyLoggable(callerText) ? callerText : UNLOGGABLE.matcher(callerText).replaceAll("_");
    return safe.length() > 64 ? safe.substring(0, 64) : safe;
  }

  private static final Pattern UNLOGGABLE = Pattern.compile("[^A-Za-z0-9._:-]");

  private static boolean onlyLoggable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean allowed =
          c >= 'a' && c <= 'z'
              || c >= 'A' && c <= 'Z'
              || c >= '0' && c <= '9'
              || c == '.'
              || c == '_'
              || c == ':'
              || c == '-';
      if (!allowed) {
        return false;
      }
    }
    return true;
  }
}
