package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.config.MemorySettings;

/** The JDBC memory itself, on the embedded database and PostgreSQL. */
class JdbcMemoryTest {

  static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  static JdbcMemory open(MemorySettings settings, List<String> events) {
    JdbcMemory memory =
        new JdbcMemory(
            settings,
            events::add,
            java.time.Clock.fixed(NOW, java.time.ZoneOffset.UTC),
            "test",
            "k1");
    memory.start();
    return memory;
  }

  static CallRecord call(PatientKey key, String cardUuid, String suggestionUuid) {
    CardFacts facts =
        new CardFacts(
            cardUuid,
            "potassium-low",
            1,
            "potassium-low",
            List.of("potassium-low"),
            "Observation/k1",
            "3.1 mmol/L",
            0.4,
            false,
            List.of(new CardFacts.SuggestionFacts(suggestionUuid, List.of("19123-9"), 7)));
    return new CallRecord(
        UUID.randomUUID().toString(),
        key,
        "hook-1",
        NOW,
        List.of(new CallRecord.LoggedCard(facts, false)),
        List.of());
  }

  static FeedbackItem override(String card) {
    return new FeedbackItem(card, "overridden", List.of(), "already-addressed", null, NOW);
  }

  @ParameterizedTest
  @MethodSource("databases")
  void feedbackFindsCardsStillQueuedAndRefusesAnotherIssuersCards(String db) throws Exception {
    List<String> events = new ArrayList<>();
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    try (JdbcMemory memory = open(settings, events)) {
      String pseudonym = memory.pseudonym("http://ehr/fhir", "patient-1");
      assertThat(pseudonym).matches("[0-9a-f]{32}");
      PatientKey key = new PatientKey(pseudonym, "https://ehr-a");
      String card = UUID.randomUUID().toString();
      memory.log(call(key, card, UUID.randomUUID().toString()));
      // Straight away, whether or not the writer has reached it.
      assertThat(memory.store("https://ehr-a", List.of(override(card)), NOW).stored()).isEqualTo(1);
      assertThat(memory.store("https://ehr-a", List.of(override(card)), NOW).duplicates())
          .isEqualTo(1);

      String other = UUID.randomUUID().toString();
      memory.log(call(key, other, UUID.randomUUID().toString()));
      assertThat(memory.drain(Duration.ofSeconds(10))).isTrue();
      assertThatThrownBy(() -> memory.store("https://ehr-b", List.of(override(other)), NOW))
          .isInstanceOfSatisfying(
              FeedbackRejectedException.class, e -> assertThat(e.forbidden()).isTrue());
      assertThat(memory.recall(key, NOW).overrides())
          .extracting(PatientMemory.Override::cardUuid)
          .containsExactly(card);
      assertThat(memory.recall(new PatientKey(pseudonym, "https://ehr-b"), NOW).overrides())
          .isEmpty();
      assertThat(memory.store("https://ehr-a", List.of(override("no-such-card")), NOW))
          .isEqualTo(new Memory.FeedbackResult(0, 0, 1));
    }
    // The generated pseudonym key is kept: the same patient, the same pseudonym after a restart.
    try (JdbcMemory again = open(settings, events)) {
      try (JdbcMemory first = open(settings, events)) {
        assertThat(again.pseudonym("http://ehr/fhir", "patient-1"))
            .isEqualTo(first.pseudonym("http://ehr/fhir", "patient-1"));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void acceptedTestsAreRememberedWithTheirWindowAndResultTime(String db) throws Exception {
    List<String> events = new ArrayList<>();
    try (JdbcMemory memory = open(TestDatabases.fresh(db, tmp), events)) {
      PatientKey key = new PatientKey(memory.pseudonym(null, "p"), "local");
      String card = UUID.randomUUID().toString();
      String suggestion = UUID.randomUUID().toString();
      memory.log(call(key, card, suggestion));
      memory.store(
          "local",
          List.of(new FeedbackItem(card, "accepted", List.of(suggestion), null, null, NOW)),
          NOW);
      List<PatientMemory.AcceptedTest> accepted = memory.recall(key, NOW).acceptedTests();
      assertThat(accepted).hasSize(1);
      assertThat(accepted.get(0).loinc()).isEqualTo("19123-9");
      assertThat(accepted.get(0).until()).isEqualTo(NOW.plus(Duration.ofDays(7)));

      // A result arrives two hours later: recorded with the next call, counted in analytics.
      PatientMemory.AcceptedTest resulted =
          Suppressor.resulted(accepted, loinc -> NOW.plus(Duration.ofHours(2))).get(0);
      memory.log(
          new CallRecord(
              UUID.randomUUID().toString(), key, "hook-2", NOW, List.of(), List.of(resulted)));
      assertThat(memory.drain(Duration.ofSeconds(10))).isTrue();
      assertThat(memory.recall(key, NOW).acceptedTests().get(0).resultedAt())
          .isEqualTo(NOW.plus(Duration.ofHours(2)));
      AnalyticsReport report =
          memory.analytics(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)), null);
      assertThat(report.chartOpenings()).isEqualTo(2);
      assertThat(report.rules().get(0).accepted()).isEqualTo(1);
      assertThat(report.rules().get(0).medianHoursToResult()).isEqualTo(2.0);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void anOverrideWithoutAReasonSuppressesForTheDefaultDuration(String db) throws Exception {
    // CDS Hooks makes overrideReason optional: an EHR may send a bare "overridden".
    try (JdbcMemory memory = open(TestDatabases.fresh(db, tmp), new ArrayList<>())) {
      PatientKey key = new PatientKey(memory.pseudonym(null, "p"), "local");
      String card = UUID.randomUUID().toString();
      memory.log(call(key, card, UUID.randomUUID().toString()));
      FeedbackItem bare = new FeedbackItem(card, "overridden", List.of(), null, null, NOW);
      assertThat(memory.store("local", List.of(bare), NOW).stored()).isEqualTo(1);
      assertThat(memory.recall(key, NOW).overrides())
          .singleElement()
          .satisfies(o -> assertThat(o.until()).isEqualTo(NOW.plus(Duration.ofDays(30))));
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void concurrentFeedbackIsCommittedInSharedTransactionsEachAnsweredForItsOwnItems(String db)
      throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    int threads = 12;
    int perThread = 15;
    try (JdbcMemory memory = open(settings, new ArrayList<>())) {
      PatientKey key = new PatientKey(memory.pseudonym("http://ehr/fhir", "p-group"), "https://a");
      List<String> cards = new ArrayList<>();
      for (int i = 0; i < threads * perThread; i++) {
        String card = UUID.randomUUID().toString();
        cards.add(card);
        memory.log(call(key, card, UUID.randomUUID().toString()));
      }
      assertThat(memory.drain(Duration.ofSeconds(30))).isTrue();
      String unknownCard = UUID.randomUUID().toString();
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(threads);
      List<java.util.concurrent.Future<List<Memory.FeedbackResult>>> answers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int from = t * perThread;
        answers.add(
            pool.submit(
                () -> {
                  start.await();
                  List<Memory.FeedbackResult> results = new ArrayList<>();
                  for (int i = from; i < from + perThread; i++) {
                    // Each request: its own card, a card another thread also answers (stored
                    // once between them), and a card nobody logged.
                    String shared = cards.get((i + perThread) % cards.size());
                    results.add(
                        memory.store(
                            "https://a",
                            List.of(
                                override(cards.get(i)), override(shared), override(unknownCard)),
                            NOW));
                  }
                  return results;
                }));
      }
      int stored = 0;
      int duplicates = 0;
      for (var answer : answers) {
        for (Memory.FeedbackResult r : answer.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
          assertThat(r.unknownCards()).isEqualTo(1);
          assertThat(r.stored() + r.duplicates()).isEqualTo(2);
          stored += r.stored();
          duplicates += r.duplicates();
        }
      }
      pool.shutdown();
      int requests = threads * perThread;
      // Every card answered twice (its own request and a neighbour's): stored once, one duplicate.
      assertThat(stored).isEqualTo(requests);
      assertThat(duplicates).isEqualTo(requests);
      // Every override in force, and counted once in the daily roll-ups.
      assertThat(memory.recall(key, NOW).overrides()).hasSize(requests);
      assertThat(
              memory
                  .analytics(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)), null)
                  .rules()
                  .stream()
                  .mapToLong(AnalyticsReport.Row::overridden)
                  .sum())
          .isEqualTo(requests);
      // Requests that arrived while another transaction committed shared the next one.
      assertThat(memory.feedbackTransactions()).isLessThan(requests);
    }
  }

  @org.junit.jupiter.api.Test
  void aRequestTheDatabaseRefusesFailsAloneNotTheOthersInItsTransaction() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(TestDatabases.postgresUrl() != null);
    MemorySettings settings = TestDatabases.fresh("postgresql", tmp);
    int threads = 8;
    try (JdbcMemory memory = open(settings, new ArrayList<>())) {
      PatientKey key = new PatientKey(memory.pseudonym("http://ehr/fhir", "p-bad"), "https://a");
      List<String> cards = new ArrayList<>();
      for (int i = 0; i < threads * 10; i++) {
        String card = UUID.randomUUID().toString();
        cards.add(card);
        memory.log(call(key, card, UUID.randomUUID().toString()));
      }
      assertThat(memory.drain(Duration.ofSeconds(30))).isTrue();
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(threads);
      List<java.util.concurrent.Future<Integer>> answers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int from = t * 10;
        boolean bad = t == 0;
        answers.add(
            pool.submit(
                () -> {
                  start.await();
                  int refused = 0;
                  for (int i = from; i < from + 10; i++) {
                    // An outcome longer than its column (the HTTP layer never sends one): the
                    // database refuses that request's rows.
                    FeedbackItem item =
                        bad
                            ? new FeedbackItem(
                                cards.get(i), "o".repeat(40), List.of(), null, null, NOW)
                            : override(cards.get(i));
                    try {
                      assertThat(memory.store("https://a", List.of(item), NOW).stored())
                          .isEqualTo(1);
                    } catch (MemoryUnavailableException e) {
                      refused++;
                    }
                  }
                  return refused;
                }));
      }
      assertThat(answers.get(0).get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(10);
      for (int t = 1; t < threads; t++) {
        assertThat(answers.get(t).get(60, java.util.concurrent.TimeUnit.SECONDS)).isZero();
      }
      pool.shutdown();
    }
  }
}
