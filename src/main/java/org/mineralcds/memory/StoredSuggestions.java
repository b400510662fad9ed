package org.mineralcds.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * A card's suggestions as one text column of its card_log row (schema 6): {@code
 * uuid|loinc,loinc|window} for each, separated by {@code ;}. Suggestion uuids are the service's own
 * (name-based UUIDs) and LOINC codes are digits and a dash, so neither separator can occur in them;
 * a value that would contain one is refused rather than stored ambiguously.
 */
final class StoredSuggestions {

  /** The column's width: longer lists are not stored (never silently cut). */
  static final int MAX_LENGTH = 4000;

  private StoredSuggestions() {}

  /** The text for the column, or null when it would not fit or not read back the same. */
  static String encode(List<CardFacts.SuggestionFacts> suggestions) {
    StringBuilder s = new StringBuilder();
    for (CardFacts.SuggestionFacts f : suggestions) {
      if (!plain(f.uuid()) || f.loincCodes().stream().anyMatch(c -> !plain(c) || c.contains(","))) {
        return null;
      }
      if (s.length() > 0) {
        s.append(';');
      }
      s.append(f.uuid()).append('|').append(String.join(",", f.loincCodes()));
      s.append('|').append(f.windowDays());
    }
    return s.length() > MAX_LENGTH ? null : s.toString();
  }

  private static boolean plain(String value) {
    return !value.isEmpty() && value.indexOf('|') < 0 && value.indexOf(';') < 0;
  }

  static List<CardFacts.SuggestionFacts> decode(String text) {
    List<CardFacts.SuggestionFacts> suggestions = new ArrayList<>();
    if (text.isEmpty()) {
      return suggestions;
    }
    for (String item : text.split(";")) {
      String[] parts = item.split("\\|", -1);
      if (parts.length != 3) {
        throw new IllegalStateException("card_log.suggestions is not in the stored form");
      }
      suggestions.add(
          new CardFacts.SuggestionFacts(
              parts[0],
              parts[1].isEmpty() ? List.of() : List.of(parts[1].split(",")),
              Integer.parseInt(parts[2])));
    }
    return suggestions;
  }
}
