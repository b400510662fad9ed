package org.mineralcds.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.clinical.PendingOrder;
import org.mineralcds.hook.HookError;

/**
 * The orders of an order-select or order-sign call ({@code context.draftOrders}, a Bundle), read
 * into plain values: the medication orders to check, every medication order being written (they
 * count as therapy the patient is about to take), and the lab tests ordered with them (they count
 * as ordered). Other entry types are ignored; an order whose drug cannot be recognised has no
 * ingredients (and so no implication).
 *
 * @param considered the orders the hook is about: the selected ones at order-select, all at
 *     order-sign
 * @param all every MedicationRequest of the bundle
 * @param orderedTests ServiceRequests of the bundle with a LOINC code
 */
public record DraftOrders(
    List<DraftOrder> considered, List<DraftOrder> all, List<PendingOrder> orderedTests) {

  public DraftOrders {
    considered = List.copyOf(considered);
    all = List.copyOf(all);
    orderedTests = List.copyOf(orderedTests);
  }

  /**
   * MedicationRequest statuses that say an entry is not an order being written (R4
   * medicationrequest-status): it is not checked and does not count as therapy about to start. Any
   * other status (draft, as the spec asks; active or on-hold as some EHRs send; unknown or absent)
   * is checked.
   */
  static final Set<String> NOT_BEING_ORDERED =
      Set.of("entered-in-error", "cancelled", "completed", "stopped");

  /**
   * Entries a Bundle may have (orders signed together are few; this bounds the work): more is a
   * 400, never a silent cut that would leave an order unchecked.
   */
  static final int MAX_ENTRIES = 500;

  /**
   * Reads {@code context.draftOrders} (and {@code context.selections} when {@code selectedOnly}).
   *
   * @throws HookError 400 when draftOrders is missing, not a Bundle or has more than {@link
   *     #MAX_ENTRIES} entries, or selections is not an array of references into draftOrders
   */
  public static DraftOrders read(JsonNode context, boolean selectedOnly, R4Mapper mapper) {
    JsonNode bundle = context.get("draftOrders");
    if (bundle == null || bundle.isNull()) {
      throw HookError.badRequest(
          "'context.draftOrders' is required (a FHIR Bundle of the orders).");
    }
    if (!bundle.isObject() || !"Bundle".equals(FhirJson.resourceType(bundle))) {
      throw HookError.badRequest("'context.draftOrders' must be a FHIR Bundle.");
    }
    JsonNode entries = bundle.get("entry");
    if (entries != null && !entries.isNull() && !entries.isArray()) {
      throw HookError.badRequest("'context.draftOrders.entry' must be an array.");
    }
    List<JsonNode> resources = new ArrayList<>();
    if (entries != null && entries.isArray()) {
      if (entries.size() > MAX_ENTRIES) {
        // Reading only some would leave a drug unchecked without a word: refuse the call instead.
        throw HookError.badRequest(
            "'context.draftOrders' has "
                + entries.size()
                + " entries; at most "
                + MAX_ENTRIES
                + " orders are checked in one call.");
      }
      for (JsonNode entry : entries) {
        JsonNode resource = entry.isObject() ? entry.get("resource") : null;
        if (resource != null && resource.isObject()) {
          resources.add(resource);
        }
      }
    }
    Map<String, JsonNode> medications = new LinkedHashMap<>();
    Set<String> references = new LinkedHashSet<>();
    for (JsonNode r : resources) {
      String type = FhirJson.resourceType(r);
      String id = FhirJson.id(r);
      if (type != null && id != null) {
        references.add(type + "/" + id);
        if ("Medication".equals(type)) {
          medications.put("Medication/" + id, r);
        }
      }
    }
    Set<String> selected = selectedOnly ? selections(context, references) : null;
    List<DraftOrder> all = new ArrayList<>();
    List<DraftOrder> considered = new ArrayList<>();
    List<PendingOrder> tests = new ArrayList<>();
    for (JsonNode r : resources) {
      String type = FhirJson.resourceType(r);
      try {
        if ("MedicationRequest".equals(type)) {
          DraftOrder order = mapper.draftOrder(r, medications);
          String status = FhirJson.text(r, "status");
          if (status != null && NOT_BEING_ORDERED.contains(status)) {
            // Sent among the drafts but withdrawn or done: not an order being written.
            continue;
          }
          all.add(order);
          if (selected == null || selected.contains(order.reference())) {
            considered.add(order);
          }
        } else if ("ServiceRequest".equals(type)) {
          mapper.pendingOrder(r).ifPresent(tests::add);
        }
      } catch (FhirJson.Malformed e) {
        throw HookError.badRequest(
            "'context.draftOrders' has a "
                + type
                + " that is not valid FHIR R4: "
                + e.getMessage());
      }
    }
    return new DraftOrders(considered, all, tests);
  }

  /** The selected orders, as "Type/id"; each must be an entry of draftOrders. */
  private static Set<String> selections(JsonNode context, Set<String> references) {
    JsonNode selections = context.get("selections");
    if (selections == null || selections.isNull()) {
      throw HookError.badRequest(
          "'context.selections' is required for order-select (references into draftOrders).");
    }
    if (!selections.isArray()) {
      throw HookError.badRequest("'context.selections' must be an array of references.");
    }
    Set<String> selected = new LinkedHashSet<>();
    for (JsonNode s : selections) {
      if (!s.isTextual() || s.asText().isBlank()) {
        throw HookError.badRequest("'context.selections' must be an array of references.");
      }
      String reference = s.asText().trim();
      if (!reference.contains("/")) {
        // A bare id: the one entry with that id, whatever its type.
        String bare = reference;
        reference =
            references.stream().filter(r -> r.endsWith("/" + bare)).findFirst().orElse(reference);
      }
      if (!references.contains(reference)) {
        throw HookError.badRequest(
            "'context.selections' names '"
                + shortened(reference)
                + "', which is not an entry of 'context.draftOrders'.");
      }
      selected.add(reference);
    }
    return selected;
  }

  /** The caller's text, echoed in an error: short and of safe characters. */
  private static String shortened(String text) {
    String safe = text.replaceAll("[^A-Za-z0-9._/-]", "_");
    return safe.length() > 80 ? safe.substring(0, 80) : safe;
  }
}
