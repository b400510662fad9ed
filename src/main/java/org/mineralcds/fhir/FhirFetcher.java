package org.mineralcds.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Reads from the EHR's FHIR server with the token the EHR granted. Implementations are thread-safe.
 */
public interface FhirFetcher {

  /**
   * Runs a relative read ("Patient/1") or search ("Observation?..."), following {@code next} links
   * on the same server up to {@code maxPages}. Returns the resource read, or each page of the
   * search as a Bundle, as FHIR R4 JSON; a read that finds nothing returns an empty list.
   *
   * @param deadlineNanos a {@link System#nanoTime()} value: requests still running then are aborted
   * @throws FhirFetchException when the server cannot be reached or answers with an error
   */
  List<JsonNode> fetch(
      String fhirServer, String accessToken, String relativeUrl, int maxPages, long deadlineNanos);

  /**
   * Follows a {@code next} link of a bundle the EHR sent, and the pages' own {@code next} links, on
   * the same server only; returns each page as a Bundle.
   */
  List<JsonNode> remainingPages(
      String fhirServer, String accessToken, String nextUrl, int maxPages, long deadlineNanos);
}
