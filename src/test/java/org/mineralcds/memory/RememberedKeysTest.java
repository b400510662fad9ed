package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.config.MemorySettings;

class RememberedKeysTest {

  @TempDir Path tmp;

  @Test
  void neverForgetsAKeyItWasGiven() {
    RememberedKeys bits = RememberedKeys.inMemory();
    List<String> added = IntStream.range(0, 20_000).mapToObj(i -> "p" + i).toList();
    added.forEach(p -> bits.add(p, "https://ehr-a"));
    assertThat(added).allMatch(p -> bits.mayHave(p, "https://ehr-a"));
  }

  @Test
  void answersNoForNearlyEveryoneElse() {
    RememberedKeys bits = RememberedKeys.inMemory();
    IntStream.range(0, 20_000).forEach(i -> bits.add(UUID.randomUUID().toString(), "local"));
    long maybes =
        IntStream.range(0, 100_000)
            .filter(i -> bits.mayHave(UUID.randomUUID().toString(), "local"))
            .count();
    // Two of 2^21 bits per key: 20,000 keys leave about 0.04 % false "maybe" answers.
    assertThat(maybes).isLessThan(100);
    assertThat(bits.mayHave("p", "https://ehr-a")).isFalse();
    bits.add("p", "https://ehr-a");
    assertThat(bits.mayHave("p", "https://ehr-b")).as("another caller").isFalse();
  }

  @Test
  void twoMappingsOfOneFileSeeEachOthersBits() throws Exception {
    Path file = tmp.resolve("db.remembered");
    RememberedKeys one = RememberedKeys.mapped(file);
    RememberedKeys other = RememberedKeys.mapped(file);
    one.add("p", "local");
    assertThat(other.mayHave("p", "local")).isTrue();
    assertThat(Files.size(file)).isEqualTo(RememberedKeys.BITS / 8);
    assertThat(RememberedKeys.mapped(file).mayHave("p", "local")).as("reopened").isTrue();
  }

  /**
   * The bit file is a cache of the tables: lost, it is rebuilt from them at start, so an override
   * stored before keeps its card away.
   */
  @Test
  void aLostBitFileIsRebuiltFromTheDatabase() throws Exception {
    MemorySettings settings = MemorySettings.embedded(tmp.resolve("data"));
    List<String> events = new ArrayList<>();
    PatientKey key;
    String card = UUID.randomUUID().toString();
    try (JdbcMemory memory = JdbcMemoryTest.open(settings, events)) {
      key = new PatientKey(memory.pseudonym("http://ehr/fhir", "patient-1"), "local");
      memory.log(JdbcMemoryTest.call(key, card, UUID.randomUUID().toString()));
      assertThat(memory.drain(Duration.ofSeconds(10))).isTrue();
      assertThat(
              memory
                  .store("local", List.of(JdbcMemoryTest.override(card)), JdbcMemoryTest.NOW)
                  .stored())
          .isEqualTo(1);
    }
    Path bitFile = tmp.resolve("data").resolve("mineral-cds.db.remembered");
    assertThat(bitFile).exists();
    Files.delete(bitFile);
    try (JdbcMemory memory = JdbcMemoryTest.open(settings, events)) {
      assertThat(memory.recall(key, JdbcMemoryTest.NOW).overrides())
          .extracting(PatientMemory.Override::cardUuid)
          .containsExactly(card);
    }
  }

  /**
   * Another process writing into the same embedded database (simulated here by a plain JDBC
   * connection, which does not know about the bit file) is seen after a restart; one that runs this
   * code sets the shared bits itself (ReplicatedMemoryTest, on the embedded database).
   */
  @Test
  void rowsWrittenWithoutTheBitsAreReadAtStart() throws Exception {
    MemorySettings settings = MemorySettings.embedded(tmp.resolve("data"));
    List<String> events = new ArrayList<>();
    String pseudonym;
    try (JdbcMemory memory = JdbcMemoryTest.open(settings, events)) {
      pseudonym = memory.pseudonym(null, "p");
    }
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + tmp.resolve("data").resolve("mineral-cds.db"));
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO accepted_test (suggestion_uuid, loinc, card_uuid, patient, issuer,"
                    + " lead_rule, accepted_at, until_at) VALUES ('s', '19123-9', 'c', ?, 'local',"
                    + " 'potassium-low', ?, ?)")) {
      s.setString(1, pseudonym);
      s.setLong(2, JdbcMemoryTest.NOW.toEpochMilli());
      s.setLong(3, JdbcMemoryTest.NOW.plus(Duration.ofDays(7)).toEpochMilli());
      s.executeUpdate();
    }
    try (JdbcMemory memory = JdbcMemoryTest.open(settings, events)) {
      assertThat(
              memory.recall(new PatientKey(pseudonym, "local"), JdbcMemoryTest.NOW).acceptedTests())
          .hasSize(1);
    }
  }

  /**
   * Run-ahead through two processes' worth of memory on one embedded database: what order-select
   * remembered through one is found by order-sign through the other at once (shared bits), and
   * after the bit file is lost, from the table at start.
   */
  @Test
  void runAheadIsFoundThroughAnotherInstanceAndAfterTheBitFileIsLost() throws Exception {
    MemorySettings settings = MemorySettings.embedded(tmp.resolve("data"));
    List<String> events = new ArrayList<>();
    java.util.Map<String, java.util.Set<String>> shown =
        java.util.Map.of("draft-1", java.util.Set.of("finding-a"));
    try (JdbcMemory select = JdbcMemoryTest.open(settings, events);
        JdbcMemory sign = JdbcMemoryTest.open(settings, events)) {
      assertThat(
              new JdbcRunAhead(sign)
                  .shown("scope", java.util.Set.of("draft-1"), JdbcMemoryTest.NOW))
          .isEmpty();
      new JdbcRunAhead(select).remember("scope", shown, JdbcMemoryTest.NOW);
      assertThat(
              new JdbcRunAhead(sign)
                  .shown("scope", java.util.Set.of("draft-1", "draft-2"), JdbcMemoryTest.NOW))
          .isEqualTo(shown);
      assertThat(
              new JdbcRunAhead(sign)
                  .shown("other-scope", java.util.Set.of("draft-1"), JdbcMemoryTest.NOW))
          .isEmpty();
    }
    Files.delete(tmp.resolve("data").resolve("mineral-cds.db.run-ahead"));
    try (JdbcMemory sign = JdbcMemoryTest.open(settings, events)) {
      assertThat(
              new JdbcRunAhead(sign)
                  .shown("scope", java.util.Set.of("draft-1"), JdbcMemoryTest.NOW))
          .isEqualTo(shown);
    }
  }
}
