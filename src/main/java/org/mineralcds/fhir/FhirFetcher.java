package org.mineralcds.fhir;

import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

/**
 * Reads from the EHR's FHIR server with the token the EHR granted. Implementations are thread-safe.
 */
public interface FhirFetcher {

  /**
   * Runs a relative read ("Patient/1") or search ("Observation?..."), following {@code next} links
   * on the same server up to {@code maxPages}. A read that finds nothing returns an empty list.
   *
   * @param deadlineNanos a {@link System#nanoTime()} value: requests still running then are aborted
   * @throws FhirFetchException when the server cannot be reached or answers with an error
   */
  List<Resource> fetch(
      String fhirServer, String accessToken, String relativeUrl, int maxPages, long deadlineNanos);

  /** Follows the {@code next} links of a bundle the EHR sent, on the same server only. */
  List<Resource> remainingPages(
      String fhirServer, String accessToken, Bundle firstPage, int maxPages, long deadlineNanos);
}
