package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.memory.JdbcMemoryTest.NOW;
import static org.mineralcds.memory.JdbcMemoryTest.call;
import static org.mineralcds.memory.JdbcMemoryTest.open;
import static org.mineralcds.memory.JdbcMemoryTest.override;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.config.MemorySettings;

/**
 * Two memory instances on one database, as two replicas behind a load balancer: what one stores the
 * other recalls, analytics count both, and both writing the same cards at once loses nothing and
 * fails nothing.
 */
class ReplicatedMemoryTest {

  private static final String EHR = "https://ehr-a";

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  @ParameterizedTest
  @MethodSource("databases")
  void feedbackThroughOneReplicaSuppressesInTheOtherAndAnalyticsCountBoth(String db)
      throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    List<String> eventsA = new ArrayList<>();
    List<String> eventsB = new ArrayList<>();
    try (JdbcMemory a = open(settings, eventsA);
        JdbcMemory b = open(settings, eventsB)) {
      // The same patient gets the same pseudonym on both (one key, kept in the database).
      String pseudonym = a.pseudonym("http://ehr/fhir", "patient-1");
      assertThat(b.pseudonym("http://ehr/fhir", "patient-1")).isEqualTo(pseudonym);
      PatientKey key = new PatientKey(pseudonym, EHR);

      String cardOfA = UUID.randomUUID().toString();
      String cardOfB = UUID.randomUUID().toString();
      a.log(call(key, cardOfA, UUID.randomUUID().toString()));
      b.log(call(key, cardOfB, UUID.randomUUID().toString()));
      assertThat(a.drain(Duration.ofSeconds(10))).isTrue();
      assertThat(b.drain(Duration.ofSeconds(10))).isTrue();

      // Feedback for A's card arrives at B.
      assertThat(b.store(EHR, List.of(override(cardOfA)), NOW).stored()).isEqualTo(1);
      assertThat(a.recall(key, NOW).overrides())
          .extracting(PatientMemory.Override::cardUuid)
          .containsExactly(cardOfA);
      // The same feedback again at A (an EHR retry through the proxy): a duplicate, no error.
      assertThat(a.store(EHR, List.of(override(cardOfA)), NOW).duplicates()).isEqualTo(1);

      AnalyticsReport report =
          b.analytics(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)), null);
      assertThat(report.chartOpenings()).isEqualTo(2);
      assertThat(report.topics()).hasSize(1);
      assertThat(report.topics().get(0).shown()).isEqualTo(2);
      assertThat(report.topics().get(0).overridden()).isEqualTo(1);
      assertThat(eventsA).doesNotContain("card-log-retry");
      assertThat(eventsB).doesNotContain("card-log-retry");
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void replicasLoggingAndOverridingTheSameCardsAtOnceNeverFail(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    try (JdbcMemory a = open(settings, events);
        JdbcMemory b = open(settings, events)) {
      PatientKey key = new PatientKey(a.pseudonym(null, "p"), EHR);
      // A proxy retry answered by both replicas: the same card uuids logged by both, in batches.
      List<String> cards = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        cards.add(UUID.randomUUID().toString());
      }
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (JdbcMemory m : List.of(a, b)) {
          done.add(
              pool.submit(
                  () -> {
                    go.await();
                    for (String card : cards) {
                      m.log(call(key, card, UUID.randomUUID().toString()));
                    }
                    return null;
                  }));
        }
        go.countDown();
        for (Future<?> f : done) {
          f.get();
        }
        assertThat(a.drain(Duration.ofSeconds(30))).isTrue();
        assertThat(b.drain(Duration.ofSeconds(30))).isTrue();
        assertThat(events).doesNotContain("card-log-retry");

        // Both replicas store overrides of the same cards at once (different outcome times, so
        // each is a new feedback row and both write the card's suppression).
        CountDownLatch go2 = new CountDownLatch(1);
        List<Future<Memory.FeedbackResult>> stores = new ArrayList<>();
        int n = 0;
        for (JdbcMemory m : List.of(a, b)) {
          java.time.Instant at = NOW.plusSeconds(++n);
          stores.add(
              pool.submit(
                  () -> {
                    go2.await();
                    int stored = 0;
                    for (String card : cards.subList(0, 60)) {
                      stored +=
                          m.store(
                                  EHR,
                                  List.of(
                                      new FeedbackItem(
                                          card,
                                          "overridden",
                                          List.of(),
                                          "already-addressed",
                                          null,
                                          at)),
                                  NOW)
                              .stored();
                    }
                    return new Memory.FeedbackResult(stored, 0, 0);
                  }));
        }
        go2.countDown();
        for (Future<Memory.FeedbackResult> f : stores) {
          assertThat(f.get().stored()).isEqualTo(60);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(b.recall(key, NOW).overrides()).hasSize(60);
      AnalyticsReport report =
          a.analytics(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)), null);
      assertThat(report.chartOpenings()).isEqualTo(600); // every call, each card once
      assertThat(report.topics().get(0).shown()).isEqualTo(300);
    }
  }

  @Test
  void feedbackNamingTheSameCardsInOppositeOrdersAtOnceNeverDeadlocks() throws Exception {
    Assumptions.assumeTrue(TestDatabases.postgresUrl() != null, "PostgreSQL only (replicas)");
    MemorySettings settings = TestDatabases.fresh("postgresql", tmp);
    int sets = 20;
    int cardsPerSet = 40;
    int threadsPerReplica = 4;
    try (JdbcMemory a = open(settings, new ArrayList<>());
        JdbcMemory b = open(settings, new ArrayList<>())) {
      PatientKey key = new PatientKey(a.pseudonym(null, "p-sets"), EHR);
      List<List<FeedbackItem>> forward = new ArrayList<>();
      for (int s = 0; s < sets; s++) {
        List<FeedbackItem> set = new ArrayList<>();
        for (int i = 0; i < cardsPerSet; i++) {
          String card = UUID.randomUUID().toString();
          a.log(call(key, card, UUID.randomUUID().toString()));
          set.add(override(card));
        }
        forward.add(set);
      }
      assertThat(a.drain(Duration.ofSeconds(30))).isTrue();
      // Each request names a set of cards, and the same set arrives at the other replica (and on
      // other threads of the same one) in the opposite order, at the same moment: before the rows
      // were written in key order, PostgreSQL found deadlocks here and failed requests.
      ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerReplica);
      try {
        java.util.concurrent.CyclicBarrier start =
            new java.util.concurrent.CyclicBarrier(2 * threadsPerReplica);
        List<Future<int[]>> answers = new ArrayList<>();
        for (int t = 0; t < 2 * threadsPerReplica; t++) {
          JdbcMemory replica = t % 2 == 0 ? a : b;
          boolean reversed = (t / 2) % 2 == 1 ^ t % 2 == 1;
          answers.add(
              pool.submit(
                  () -> {
                    int stored = 0;
                    int duplicates = 0;
                    for (List<FeedbackItem> set : forward) {
                      List<FeedbackItem> items = new ArrayList<>(set);
                      if (reversed) {
                        java.util.Collections.reverse(items);
                      }
                      start.await(30, TimeUnit.SECONDS); // every thread on the same set at once
                      Memory.FeedbackResult r = replica.store(EHR, items, NOW);
                      stored += r.stored();
                      duplicates += r.duplicates();
                    }
                    return new int[] {stored, duplicates};
                  }));
        }
        int stored = 0;
        int duplicates = 0;
        for (Future<int[]> answer : answers) {
          int[] counts = answer.get(120, TimeUnit.SECONDS);
          stored += counts[0];
          duplicates += counts[1];
        }
        // Every card stored once, every other mention of it a duplicate, none failed.
        int cards = sets * cardsPerSet;
        assertThat(stored).isEqualTo(cards);
        assertThat(duplicates).isEqualTo(cards * (2 * threadsPerReplica - 1));
        assertThat(a.recall(key, NOW).overrides()).hasSize(cards);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void feedbackForACardAnotherReplicaHasNotWrittenYetWaitsForIt() throws Exception {
    Assumptions.assumeTrue(TestDatabases.postgresUrl() != null, "PostgreSQL only (replicas)");
    MemorySettings settings = TestDatabases.fresh("postgresql", tmp);
    try (JdbcMemory a = open(settings, new ArrayList<>());
        JdbcMemory b = open(settings, new ArrayList<>())) {
      PatientKey key = new PatientKey(a.pseudonym(null, "p"), EHR);
      String card = UUID.randomUUID().toString();
      // B receives the feedback before A has logged (and so written) the card.
      CompletableFuture<Memory.FeedbackResult> stored =
          CompletableFuture.supplyAsync(() -> b.store(EHR, List.of(override(card)), NOW));
      Thread.sleep(300);
      assertThat(stored).isNotDone();
      a.log(call(key, card, UUID.randomUUID().toString()));
      assertThat(stored.get(10, TimeUnit.SECONDS).stored()).isEqualTo(1);
      assertThat(a.recall(key, NOW).overrides()).hasSize(1);

      // A card no replica ever returned: unknown after the bounded wait.
      long started = System.nanoTime();
      assertThat(b.store(EHR, List.of(override("never-returned")), NOW).unknownCards())
          .isEqualTo(1);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(JdbcMemory.FEEDBACK_WAIT);
    }
  }
}
