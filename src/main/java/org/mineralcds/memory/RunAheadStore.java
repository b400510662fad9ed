package org.mineralcds.memory;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * What order-select showed for each draft order, for order-sign (run-ahead). Keys are digests the
 * caller makes: {@code scope} stands for the patient and caller, a draft key for a draft's id and
 * content, a finding for what one card said.
 */
public interface RunAheadStore {

  /** Records that these findings were shown for these drafts, now. */
  void remember(String scope, Map<String, Set<String>> findingsByDraft, Instant now);

  /**
   * The findings shown for each of these drafts within the expiry; drafts with none are absent.
   *
   * @throws MemoryUnavailableException when the database cannot be read now
   */
  Map<String, Set<String>> shown(String scope, Set<String> draftKeys, Instant now);

  /** Run-ahead off: nothing is remembered, everything is shown. */
  static RunAheadStore none() {
    return new RunAheadStore() {
      @Override
      public void remember(String scope, Map<String, Set<String>> findingsByDraft, Instant now) {}

      @Override
      public Map<String, Set<String>> shown(String scope, Set<String> draftKeys, Instant now) {
        return Map.of();
      }
    };
  }
}
