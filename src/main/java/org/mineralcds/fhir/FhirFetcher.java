package org.mineralcds.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;

/**
 * Reads from the EHR's FHIR server with the token the EHR granted. Implementations are thread-safe.
 */
public interface FhirFetcher {

  /**
   * Runs a relative read ("Patient/1") or search ("Observation?..."), following {@code next} links
   * on the same server up to {@code maxPages}. Returns the resource read, or each page of the
   * search as a Bundle, as FHIR R4 JSON; a read that finds nothing returns an empty list.
   *
   * @param call the hook call's deadline and byte budget: requests still running at the deadline
   *     are aborted, answers beyond the budget fail the query
   * @throws FhirFetchException when the server cannot be reached or answers with an error
   */
  List<JsonNode> fetch(
      String fhirServer, String accessToken, String relativeUrl, int maxPages, FhirCall call);

  /**
   * Follows a {@code next} link of a bundle the EHR sent, and the pages' own {@code next} links, on
   * the same server only; returns each page as a Bundle.
   */
  List<JsonNode> remainingPages(
      String fhirServer, String accessToken, String nextUrl, int maxPages, FhirCall call);

  /**
   * Optional search parameters this server has refused (a 400 naming them): they are left out of
   * its queries from then on.
   */
  default Set<String> refusedParameters(String fhirServer) {
    return Set.of();
  }
}
