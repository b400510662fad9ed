package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.config.MemorySettings;

class StoredSuggestionsTest {

  @TempDir Path tmp;

  @Test
  void readsBackWhatItStores() {
    List<CardFacts.SuggestionFacts> suggestions =
        List.of(
            new CardFacts.SuggestionFacts(
                UUID.randomUUID().toString(), List.of("19123-9", "2823-3"), 7),
            new CardFacts.SuggestionFacts(UUID.randomUUID().toString(), List.of(), 0));
    String text = StoredSuggestions.encode(suggestions);
    assertThat(StoredSuggestions.decode(text)).isEqualTo(suggestions);
    assertThat(StoredSuggestions.encode(List.of())).isEmpty();
    assertThat(StoredSuggestions.decode("")).isEmpty();
  }

  @Test
  void refusesWhatCouldNotBeReadBackOrDoesNotFit() {
    assertThat(
            StoredSuggestions.encode(
                List.of(new CardFacts.SuggestionFacts("a|b", List.of("19123-9"), 7))))
        .isNull();
    assertThat(
            StoredSuggestions.encode(
                List.of(new CardFacts.SuggestionFacts("u", List.of("1;2"), 7))))
        .isNull();
    List<CardFacts.SuggestionFacts> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(new CardFacts.SuggestionFacts(UUID.randomUUID().toString(), List.of("19123-9"), 7));
    }
    assertThat(StoredSuggestions.encode(many)).isNull();
  }

  /**
   * The card log writes suggestions into the card's row; feedback accepting one finds it there, and
   * finds those of a card logged before schema 6 (rows in card_suggestion, column NULL).
   */
  @Test
  void acceptedSuggestionsAreFoundInTheRowAndInRowsOfEarlierVersions() throws Exception {
    MemorySettings settings = MemorySettings.embedded(tmp.resolve("data"));
    List<String> events = new ArrayList<>();
    try (JdbcMemory memory = JdbcMemoryTest.open(settings, events)) {
      PatientKey key = new PatientKey(memory.pseudonym(null, "p"), "local");
      String card = UUID.randomUUID().toString();
      String suggestion = UUID.randomUUID().toString();
      memory.log(JdbcMemoryTest.call(key, card, suggestion));
      assertThat(memory.drain(Duration.ofSeconds(10))).isTrue();
      String legacyCard = UUID.randomUUID().toString();
      String legacySuggestion = UUID.randomUUID().toString();
      memory.log(JdbcMemoryTest.call(key, legacyCard, legacySuggestion));
      assertThat(memory.drain(Duration.ofSeconds(10))).isTrue();
      try (Connection c =
          DriverManager.getConnection(
              "jdbc:sqlite:" + tmp.resolve("data").resolve("mineral-cds.db"))) {
        try (PreparedStatement s =
            c.prepareStatement("SELECT suggestions FROM card_log WHERE card_uuid = ?")) {
          s.setString(1, card);
          try (ResultSet r = s.executeQuery()) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).isEqualTo(suggestion + "|19123-9|7");
          }
        }
        // The second card as schema 5 stored it.
        try (PreparedStatement s =
            c.prepareStatement("UPDATE card_log SET suggestions = NULL WHERE card_uuid = ?")) {
          s.setString(1, legacyCard);
          s.executeUpdate();
        }
        try (PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO card_suggestion (suggestion_uuid, card_uuid, created_at,"
                    + " loinc_codes, window_days) VALUES (?, ?, ?, '2601-3', 30)")) {
          s.setString(1, legacySuggestion);
          s.setString(2, legacyCard);
          s.setLong(3, JdbcMemoryTest.NOW.toEpochMilli());
          s.executeUpdate();
        }
      }
      for (String[] pair :
          List.of(new String[] {card, suggestion}, new String[] {legacyCard, legacySuggestion})) {
        assertThat(
                memory
                    .store(
                        "local",
                        List.of(
                            new FeedbackItem(
                                pair[0],
                                "accepted",
                                List.of(pair[1]),
                                null,
                                null,
                                JdbcMemoryTest.NOW)),
                        JdbcMemoryTest.NOW)
                    .stored())
            .isEqualTo(1);
      }
      assertThat(memory.recall(key, JdbcMemoryTest.NOW).acceptedTests())
          .extracting(PatientMemory.AcceptedTest::loinc)
          .containsExactlyInAnyOrder("19123-9", "2601-3");
    }
  }
}
