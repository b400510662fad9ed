package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.config.MemorySettings;

/**
 * The analytics' daily roll-ups give the same report as counting the card log itself: for whole
 * days, partial days, one issuer, after cards are logged again under the same uuid, after duplicate
 * calls and feedback, and for what was logged before the roll-ups existed (the migration's
 * back-fill).
 */
class DailyRollupsTest {

  /** The service's clock: mid-day, so periods ending now have a partial last day. */
  static final Instant NOW = Instant.parse("2026-11-20T13:30:00Z");

  static final String[] ISSUERS = {"https://ehr-a", "https://ehr-b", "local"};
  static final String[] RULES = {"potassium-low", "calcium-high", "tsh-high", "magnesium-low"};
  static final String[] REASONS = {"already-addressed", "not-relevant", null};

  @TempDir Path tmp;

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  static Connection connect(MemorySettings settings) throws SQLException {
    return settings.databaseUrl() == null
        ? DriverManager.getConnection(JdbcMemory.jdbcUrl(settings))
        : DriverManager.getConnection(
            settings.databaseUrl(), settings.databaseUser(), settings.databasePassword());
  }

  /** Periods that cut days in every way: whole days, partial edges, within one day, empty. */
  static List<Instant[]> periods() {
    Instant midnight = Instant.parse("2026-11-20T00:00:00Z");
    return List.of(
        new Instant[] {midnight.minus(Duration.ofDays(12)), midnight},
        new Instant[] {NOW.minus(Duration.ofDays(12)), NOW},
        new Instant[] {NOW.minus(Duration.ofDays(12)), NOW.plus(Duration.ofDays(1))},
        new Instant[] {midnight.minus(Duration.ofHours(30)), midnight.minus(Duration.ofHours(2))},
        new Instant[] {midnight.minus(Duration.ofHours(5)), midnight.minus(Duration.ofHours(1))},
        new Instant[] {midnight.minus(Duration.ofDays(3)), midnight.minus(Duration.ofDays(2))},
        new Instant[] {midnight.plus(Duration.ofDays(5)), midnight.plus(Duration.ofDays(9))});
  }

  static void assertRollupsMatchTheCardLog(MemorySettings settings) throws SQLException {
    try (Connection c = connect(settings)) {
      for (Instant[] period : periods()) {
        for (String issuer : new String[] {null, "https://ehr-b"}) {
          AnalyticsReport counted =
              new AnalyticsQuery(c, period[0], period[1], issuer, 50).run(false);
          AnalyticsReport rolledUp =
              new AnalyticsQuery(c, period[0], period[1], issuer, 50).run(true);
          assertThat(rolledUp)
              .as("period %s .. %s, issuer %s", period[0], period[1], issuer)
              .isEqualTo(counted);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void rollupsGiveTheSameReportAsTheCardLog(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    Random random = new Random(7);
    long cards = 0;
    try (JdbcMemory memory =
        new JdbcMemory(settings, e -> {}, Clock.fixed(NOW, ZoneOffset.UTC), "test", "k1")) {
      memory.start();
      List<CallRecord> logged = new ArrayList<>();
      java.util.Set<String> replaced = new java.util.HashSet<>();
      for (int n = 0; n < 600; n++) {
        String issuer = ISSUERS[random.nextInt(ISSUERS.length)];
        PatientKey key = new PatientKey(memory.pseudonym(null, "p" + random.nextInt(40)), issuer);
        Instant at = NOW.minusSeconds(random.nextInt(12 * 86_400));
        List<CallRecord.LoggedCard> callCards = new ArrayList<>();
        for (int k = random.nextInt(3); k > 0; k--) {
          callCards.add(card(random, UUID.randomUUID().toString(), random.nextInt(8) == 0));
          cards++;
        }
        CallRecord call =
            new CallRecord(
                UUID.randomUUID().toString(), key, "hook-" + n, at, callCards, List.of());
        memory.log(call);
        logged.add(call);
        if (n % 97 == 5) {
          // The same call logged again (a batch retried): one chart opening, cards once.
          memory.log(call);
        }
        if (n % 150 == 0) {
          assertThat(memory.drain(Duration.ofSeconds(20))).isTrue();
        }
      }
      assertThat(memory.drain(Duration.ofSeconds(20))).isTrue();
      for (int n = 7; n < logged.size(); n += 53) {
        // An EHR reusing a hookInstance: a card uuid already in the card log comes back with
        // another rule and day; the latest replaces the first.
        CallRecord first = logged.get(n);
        if (first.cards().isEmpty()) {
          continue;
        }
        String uuid = first.cards().get(0).facts().cardUuid();
        replaced.add(uuid);
        memory.log(
            new CallRecord(
                UUID.randomUUID().toString(),
                first.patient(),
                first.hookInstance(),
                first.at().plus(Duration.ofHours(30)),
                List.of(card(random, uuid, false)),
                List.of()));
      }
      assertThat(replaced).hasSizeGreaterThan(5);
      assertThat(memory.drain(Duration.ofSeconds(20))).isTrue();
      int feedback = 0;
      for (CallRecord call : logged) {
        for (CallRecord.LoggedCard card : call.cards()) {
          if (card.silent()
              || replaced.contains(card.facts().cardUuid())
              || random.nextInt(3) != 0) {
            continue;
          }
          String uuid = card.facts().cardUuid();
          FeedbackItem item =
              random.nextBoolean()
                  ? new FeedbackItem(
                      uuid,
                      "accepted",
                      List.of(card.facts().suggestions().get(0).uuid()),
                      null,
                      null,
                      NOW)
                  : new FeedbackItem(
                      uuid,
                      "overridden",
                      List.of(),
                      REASONS[random.nextInt(REASONS.length)],
                      null,
                      NOW);
          String issuer = call.patient().issuer();
          memory.store(issuer, List.of(item), NOW);
          feedback++;
          if (random.nextInt(5) == 0) {
            // The EHR sends it again (same outcome time): stored once, counted once.
            memory.store(issuer, List.of(item), NOW);
          }
          if (random.nextInt(7) == 0) {
            // Another override of the same card later, with a reason of its own.
            memory.store(
                issuer,
                List.of(
                    new FeedbackItem(
                        uuid, "overridden", List.of(), "not-relevant", null, NOW.plusSeconds(60))),
                NOW);
          }
        }
      }
      assertThat(cards).isGreaterThan(400);
      assertThat(feedback).isGreaterThan(80);
    }
    assertRollupsMatchTheCardLog(settings);

    // The card log's retention purge leaves the roll-ups: whole days keep their counts.
    AnalyticsReport before;
    Instant from = Instant.parse("2026-11-08T00:00:00Z");
    Instant to = Instant.parse("2026-11-20T00:00:00Z");
    try (Connection c = connect(settings)) {
      before = new AnalyticsQuery(c, from, to, null, 50).run(true);
      try (Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM card_log");
        s.executeUpdate("DELETE FROM call_log");
        s.executeUpdate("DELETE FROM feedback");
      }
      AnalyticsReport after = new AnalyticsQuery(c, from, to, null, 50).run(true);
      assertThat(after.chartOpenings()).isEqualTo(before.chartOpenings()).isPositive();
      assertThat(after.rules())
          .extracting(
              AnalyticsReport.Row::key, AnalyticsReport.Row::shown, AnalyticsReport.Row::overridden)
          .isEqualTo(
              before.rules().stream()
                  .map(r -> org.assertj.core.groups.Tuple.tuple(r.key(), r.shown(), r.overridden()))
                  .toList());
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void theMigrationBackFillsWhatWasLoggedBefore(String db) throws Exception {
    MemorySettings settings = TestDatabases.fresh(db, tmp);
    if (settings.databaseUrl() == null) {
      java.nio.file.Files.createDirectories(settings.dataDir());
    }
    // A database at schema 1 with cards, calls and feedback, as an earlier release left it.
    Flyway.configure()
        .dataSource(
            settings.databaseUrl() == null ? JdbcMemory.jdbcUrl(settings) : settings.databaseUrl(),
            settings.databaseUser(),
            settings.databasePassword())
        .locations("classpath:db/migration")
        .target("1")
        .load()
        .migrate();
    Random random = new Random(11);
    try (Connection c = connect(settings);
        PreparedStatement call =
            c.prepareStatement(
                "INSERT INTO call_log (call_id, issuer, created_at, cards_shown, cards_silent)"
                    + " VALUES (?, ?, ?, 1, 0)");
        PreparedStatement card =
            c.prepareStatement(
                "INSERT INTO card_log (card_uuid, call_id, issuer, patient, hook_instance,"
                    + " created_at, topic, indicator, lead_rule, rule_ids, critical, silent,"
                    + " service_version, knowledge_version)"
                    + " VALUES (?, ?, ?, 'p', 'h', ?, ?, 1, ?, ?, FALSE, ?, 't', 'k')");
        PreparedStatement feedback =
            c.prepareStatement(
                "INSERT INTO feedback (card_uuid, outcome, outcome_at, received_at, issuer,"
                    + " override_reason) VALUES (?, ?, ?, ?, ?, ?)")) {
      for (int n = 0; n < 300; n++) {
        String issuer = ISSUERS[n % ISSUERS.length];
        String callId = UUID.randomUUID().toString();
        String cardUuid = UUID.randomUUID().toString();
        long at = NOW.minusSeconds(random.nextInt(12 * 86_400)).toEpochMilli();
        String rule = RULES[random.nextInt(RULES.length)];
        call.setString(1, callId);
        call.setString(2, issuer);
        call.setLong(3, at);
        call.executeUpdate();
        card.setString(1, cardUuid);
        card.setString(2, callId);
        card.setString(3, issuer);
        card.setLong(4, at);
        card.setString(5, rule);
        card.setString(6, rule);
        card.setString(7, rule);
        card.setBoolean(8, n % 9 == 0);
        card.executeUpdate();
        for (int k = random.nextInt(4) - 1; k > 0; k--) {
          boolean accepted = random.nextBoolean();
          feedback.setString(1, cardUuid);
          feedback.setString(2, accepted ? "accepted" : "overridden");
          feedback.setLong(3, at + k);
          feedback.setLong(4, at + k);
          feedback.setString(5, issuer);
          feedback.setString(6, accepted ? null : REASONS[random.nextInt(REASONS.length)]);
          feedback.executeUpdate();
        }
      }
    }
    try (JdbcMemory memory =
        new JdbcMemory(settings, e -> {}, Clock.fixed(NOW, ZoneOffset.UTC), "test", "k1")) {
      memory.start(); // migrates to the latest schema, back-filling the roll-ups
      assertThat(memory.ready()).isTrue();
    }
    assertRollupsMatchTheCardLog(settings);
  }

  static CallRecord.LoggedCard card(Random random, String uuid, boolean silent) {
    String rule = RULES[random.nextInt(RULES.length)];
    return new CallRecord.LoggedCard(
        new CardFacts(
            uuid,
            rule,
            random.nextInt(3),
            rule,
            List.of(rule),
            "Observation/o" + random.nextInt(1000),
            "3.1 mmol/L",
            0.2,
            false,
            List.of(
                new CardFacts.SuggestionFacts(
                    UUID.randomUUID().toString(), List.of("19123-9"), 7))),
        silent);
  }
}
