package org.mineralcds.memory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.observability.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory over JDBC: embedded SQLite (WAL, every commit in the log before it returns) in the
 * data directory, or PostgreSQL. Flyway migrates the schema at start; HikariCP pools connections.
 *
 * <p>The card log is written by one thread in batches, off the request thread. Cards still queued
 * are kept in memory by uuid, so feedback for a card not yet written finds it. When the database is
 * down, reads on the hook path are skipped for a few seconds at a time (the caller counts them),
 * the card log is retried and, when its queue is full, dropped (counted).
 *
 * <p>Several replicas may share one PostgreSQL database: every write is an atomic insert-if-absent
 * or upsert on a primary key (two replicas logging the same card, or storing feedback for the same
 * card, never fail on a duplicate key), the card log's rows are written in key order (no deadlock
 * between two replicas' batches), and feedback naming a card another replica has not written yet
 * waits briefly for it ({@link #FEEDBACK_WAIT}). The only state kept in the process is the queue of
 * cards not yet written; it is flushed on shutdown and lost on kill -9. The JWT replay cache lives
 * in the same database ({@link #replayCache()}).
 */
public final class JdbcMemory implements Memory {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcMemory.class);
  private static final int QUEUE_CAPACITY = 100_000;
  private static final int BATCH = 500;

  /** How long a small card-log batch waits for more calls (see {@link #gather}). */
  private static final Duration GATHER = Duration.ofMillis(10);

  private static final Duration BACKOFF = Duration.ofSeconds(2);
  private static final String RESULT_NOT_TRUSTED = "result-not-trusted";

  /**
   * How long feedback naming a card that is neither queued here nor in the database waits for it:
   * with replicas, the card may have been returned by another replica whose card log writer has not
   * written it yet (it writes as soon as a call is queued; milliseconds unless its database is
   * slow).
   */
  static final Duration FEEDBACK_WAIT = Duration.ofSeconds(2);

  private static final Duration REPLAY_PURGE_EVERY = Duration.ofMinutes(1);

  /** How long the migration at start waits for the first connection to a slow database. */
  static final Duration FIRST_CONNECTION_WAIT = Duration.ofSeconds(15);

  /** The card log's retention purge: every hour, the first a few minutes after start. */
  private static final Duration PURGE_EVERY = Duration.ofHours(1);

  private static final Duration FIRST_PURGE_AFTER = Duration.ofMinutes(3);

  private final MemorySettings settings;
  private final HikariDataSource pool;
  private final Consumer<String> events;
  private final Clock clock;
  private final String serviceVersion;

  /** Resolved when the first card row is written: the memory can start before the knowledge. */
  private final java.util.function.Supplier<String> knowledgeVersion;

  private final BlockingQueue<CallRecord> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final Map<String, Pending> pendingCards = new ConcurrentHashMap<>();
  private final Object flushed = new Object();
  private final Thread writer;
  private final JdbcReplayCache replays;
  private final java.util.concurrent.ScheduledExecutorService maintenance;
  private volatile Pseudonyms pseudonyms;
  private volatile boolean migrated;
  private volatile Migrations.Outcome schemaOutcome;
  private volatile long downUntilNanos = System.nanoTime();
  private volatile boolean closing;
  private final java.util.concurrent.atomic.AtomicLong unwritten =
      new java.util.concurrent.atomic.AtomicLong();
  // Not at start: its deletes (a whole day of rows on a large log) would compete with start-up.
  private long lastPurgeNanos =
      System.nanoTime() - PURGE_EVERY.toNanos() + FIRST_PURGE_AFTER.toNanos();

  private record Pending(CardFacts facts, CallRecord call) {}

  /**
   * Embedded database only: the patients that may have an override or accepted test, so that a call
   * for any other patient skips the two reads (see {@link RememberedKeys}: shared with every
   * process opening the same database file). Null: always read (PostgreSQL, where replicas store
   * feedback for each other, or no bit file could be mapped).
   */
  private volatile RememberedKeys remembered;

  /** The same for the run-ahead state (order_run_ahead: scope and draft), see JdbcRunAhead. */
  private volatile RememberedKeys runAheadKeys;

  /**
   * Opens the pool (without connecting); {@link #start()} migrates.
   *
   * @param events receives memory event names for metrics (card-log-dropped, ...)
   * @param clock the service's clock (retention and expiry are on its time)
   */
  public JdbcMemory(
      MemorySettings settings,
      Consumer<String> events,
      Clock clock,
      String serviceVersion,
      String knowledgeVersion) {
    this(settings, events, clock, serviceVersion, () -> knowledgeVersion);
  }

  /**
   * As above, with the knowledge version known later: start-up opens and migrates the database
   * while the knowledge is still being loaded and validated.
   */
  public JdbcMemory(
      MemorySettings settings,
      Consumer<String> events,
      Clock clock,
      String serviceVersion,
      java.util.function.Supplier<String> knowledgeVersion) {
    this.settings = settings;
    this.events = events;
    this.clock = clock;
    this.serviceVersion = serviceVersion;
    this.knowledgeVersion = knowledgeVersion;
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl(settings));
    if (settings.databaseUser() != null) {
      config.setUsername(settings.databaseUser());
    }
    if (settings.databasePassword() != null) {
      config.setPassword(settings.databasePassword());
    }
    config.setPoolName("memory");
    if (embedded(settings)) {
      // SQLite in WAL mode: a commit is in the log file before it returns, so it survives the
      // process being killed (kill -9; power loss may lose the last commits: use PostgreSQL where
      // that matters). Readers run beside the one writer; writers wait their turn (busy timeout),
      // taking the write lock when their transaction begins.
      config.addDataSourceProperty("journal_mode", "WAL");
      config.addDataSourceProperty("synchronous", "NORMAL");
      config.addDataSourceProperty("busy_timeout", "10000");
      config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
      config.setMaximumPoolSize(4);
    } else {
      config.setMaximumPoolSize(8);
    }
    config.setMinimumIdle(2);
    config.setConnectionTimeout(1000);
    config.setValidationTimeout(1000);
    config.setInitializationFailTimeout(-1); // start even when the database is down
    config.setAutoCommit(true);
    this.pool = new HikariDataSource(config);
    this.writer = new Thread(this::writeLoop, "card-log-writer");
    this.writer.setDaemon(true);
    this.replays = new JdbcReplayCache(pool, this::available, this::markDown, clock);
    this.maintenance =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "memory-maintenance");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The JWT replay cache in this database: shared by every replica using it, kept across restarts.
   * Refuses (throws) while the database is unavailable.
   */
  public org.mineralcds.auth.ReplayCache replayCache() {
    return replays;
  }

  /** The JDBC URL: PostgreSQL as configured, or the embedded SQLite file in the data directory. */
  static String jdbcUrl(MemorySettings settings) {
    if (settings.databaseUrl() != null) {
      return settings.databaseUrl();
    }
    return "jdbc:sqlite:" + settings.dataDir().toAbsolutePath().resolve("mineral-cds.db");
  }

  private static boolean embedded(MemorySettings settings) {
    return settings.databaseUrl() == null || settings.databaseUrl().startsWith("jdbc:sqlite:");
  }

  /**
   * Migrates the schema and loads (or creates) the pseudonym secret; starts the card log writer.
   * Retries in the background when the database is unreachable.
   */
  public void start() {
    writer.start();
    maintenance.scheduleWithFixedDelay(
        replays::purgeExpired,
        REPLAY_PURGE_EVERY.toMillis(),
        REPLAY_PURGE_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    try {
      migrate();
    } catch (RuntimeException e) {
      LOG.warn(
          "memory database unavailable at start ({}); hook calls answer without it, retrying",
          LogText.safe(e.getMessage()));
      markDown();
    }
  }

  private synchronized void migrate() {
    if (migrated) {
      return;
    }
    if (settings.databaseUrl() == null) {
      try {
        Files.createDirectories(settings.dataDir());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot create --data-dir " + settings.dataDir(), e);
      }
    }
    long t0 = System.nanoTime();
    Migrations.Outcome outcome = migrateWhenConnected();
    String secret = settings.pseudonymSecret();
    if (secret == null) {
      secret = storedSecret();
    }
    pseudonyms = new Pseudonyms(secret);
    // Before the memory counts as started: no feedback can be stored by this process until then.
    if (embedded(settings)) {
      remembered =
          rememberedKeys(
              ".remembered",
              List.of(
                  "SELECT patient, issuer FROM suppression",
                  "SELECT patient, issuer FROM accepted_test"));
      runAheadKeys =
          rememberedKeys(".run-ahead", List.of("SELECT scope, draft_key FROM order_run_ahead"));
    }
    schemaOutcome = outcome;
    migrated = true;
    LOG.info(
        "memory: {} database ready in {} ms (schema {})",
        settings.databaseUrl() == null ? "embedded" : "PostgreSQL",
        (System.nanoTime() - t0) / 1_000_000,
        outcome == Migrations.Outcome.CURRENT
            ? "history checked: already at this release's version"
            : "migrated and validated by Flyway");
  }

  /**
   * {@link Migrations#migrate}, waiting up to {@link #FIRST_CONNECTION_WAIT} for the pool's first
   * connection while no attempt to connect has failed: on a busy machine opening the first
   * connection (loading the driver, the server starting a backend) can take longer than the pool's
   * one-second wait, and start-up would then go on without the memory. A database that refuses or
   * fails the connection is reported at once, as before.
   */
  private Migrations.Outcome migrateWhenConnected() {
    long deadline = System.nanoTime() + FIRST_CONNECTION_WAIT.toNanos();
    while (true) {
      try {
        return Migrations.migrate(pool);
      } catch (MemoryUnavailableException e) {
        boolean slowNotDown =
            e.getCause() instanceof java.sql.SQLTransientConnectionException timeout
                && timeout.getCause() == null;
        if (!slowNotDown || System.nanoTime() - deadline >= 0 || closing) {
          throw e;
        }
        LOG.info("memory: still waiting for the first database connection");
      }
    }
  }

  private String storedSecret() {
    try (Connection c = pool.getConnection()) {
      String existing = setting(c, "pseudonym-secret");
      if (existing != null) {
        return existing;
      }
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO memory_setting (name, setting_value) VALUES (?, ?)"
                  + " ON CONFLICT DO NOTHING")) {
        s.setString(1, "pseudonym-secret");
        s.setString(2, Base64.getEncoder().encodeToString(bytes));
        s.executeUpdate();
      }
      return setting(c, "pseudonym-secret");
    } catch (SQLException e) {
      throw new MemoryUnavailableException("cannot read the pseudonym secret", e);
    }
  }

  private static String setting(Connection c, String name) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT setting_value FROM memory_setting WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? r.getString(1) : null;
      }
    }
  }

  /** How the schema was found at start (null until then): tests. */
  Migrations.Outcome schemaOutcome() {
    return schemaOutcome;
  }

  /** Usable now: migrated, and not known to be down. Retries the migration when due. */
  private boolean available() {
    if (System.nanoTime() - downUntilNanos < 0) {
      return false;
    }
    if (!migrated) {
      try {
        migrate();
      } catch (RuntimeException e) {
        markDown();
        return false;
      }
    }
    return true;
  }

  private void markDown() {
    downUntilNanos = System.nanoTime() + BACKOFF.toNanos();
  }

  @Override
  public String pseudonym(String fhirServer, String patientId) {
    Pseudonyms p = pseudonyms;
    if (p == null) {
      throw new MemoryUnavailableException("the memory database has not started", null);
    }
    return p.of(fhirServer, patientId);
  }

  /**
   * Maps the bit file {@code suffix} beside the embedded database and adds to it the key pairs each
   * query in {@code selects} returns (two columns: whoever wrote the rows, before this process
   * started); null (always read) when that fails.
   */
  private RememberedKeys rememberedKeys(String suffix, List<String> selects) {
    String url = jdbcUrl(settings);
    String file = url.substring("jdbc:sqlite:".length());
    if (file.isEmpty() || file.startsWith(":") || file.startsWith("file:") || file.contains("?")) {
      return null; // an in-memory or URI-style database: nothing to share a file with
    }
    try (Connection c = pool.getConnection()) {
      RememberedKeys bits = RememberedKeys.mapped(Path.of(file + suffix));
      for (String select : selects) {
        try (PreparedStatement s = c.prepareStatement(select);
            ResultSet r = s.executeQuery()) {
          while (r.next()) {
            bits.add(r.getString(1), r.getString(2));
          }
        }
      }
      return bits;
    } catch (java.io.IOException | SQLException | RuntimeException e) {
      LOG.warn(
          "{} file unavailable ({}): every hook call reads the memory",
          suffix,
          LogText.safe(e.getMessage()));
      return null;
    }
  }

  /**
   * The run-ahead scopes and drafts that may have rows (embedded database), or null: always read.
   */
  RememberedKeys runAheadKeys() {
    return runAheadKeys;
  }

  @Override
  public PatientMemory recall(PatientKey key, Instant now) {
    if (!available()) {
      throw new MemoryUnavailableException("the memory database is unavailable", null);
    }
    RememberedKeys bits = remembered;
    if (bits != null && !bits.mayHave(key.pseudonym(), key.issuer())) {
      return PatientMemory.EMPTY; // nothing overridden or accepted for this patient: no read
    }
    try (Connection c = pool.getConnection()) {
      List<PatientMemory.Override> overrides = new ArrayList<>();
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT card_uuid, topic, indicator, deviation, result_ref, result_only, until_at"
                  + " FROM suppression WHERE patient = ? AND issuer = ? AND until_at > ?")) {
        s.setString(1, key.pseudonym());
        s.setString(2, key.issuer());
        s.setLong(3, now.toEpochMilli());
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            String uuid = r.getString(1);
            String topic = r.getString(2);
            int indicator = r.getInt(3);
            double d = r.getDouble(4);
            Double deviation = r.wasNull() ? null : d;
            overrides.add(
                new PatientMemory.Override(
                    uuid,
                    topic,
                    indicator,
                    deviation,
                    r.getString(5),
                    r.getBoolean(6),
                    Instant.ofEpochMilli(r.getLong(7))));
          }
        }
      }
      List<PatientMemory.AcceptedTest> accepted = new ArrayList<>();
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT suggestion_uuid, loinc, accepted_at, until_at, resulted_at FROM accepted_test"
                  + " WHERE patient = ? AND issuer = ? AND until_at > ?")) {
        s.setString(1, key.pseudonym());
        s.setString(2, key.issuer());
        s.setLong(3, now.toEpochMilli());
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            long resulted = r.getLong(5);
            boolean none = r.wasNull();
            accepted.add(
                new PatientMemory.AcceptedTest(
                    r.getString(1),
                    r.getString(2),
                    Instant.ofEpochMilli(r.getLong(3)),
                    Instant.ofEpochMilli(r.getLong(4)),
                    none ? null : Instant.ofEpochMilli(resulted)));
          }
        }
      }
      return new PatientMemory(overrides, accepted);
    } catch (SQLException e) {
      markDown();
      throw new MemoryUnavailableException("the memory database failed", e);
    }
  }

  @Override
  public void log(CallRecord call) {
    if (closing) {
      return;
    }
    for (CallRecord.LoggedCard card : call.cards()) {
      pendingCards.put(card.facts().cardUuid(), new Pending(card.facts(), call));
    }
    unwritten.incrementAndGet();
    if (!queue.offer(call)) {
      unwritten.decrementAndGet();
      call.cards().forEach(card -> pendingCards.remove(card.facts().cardUuid()));
      events.accept("card-log-dropped");
    }
  }

  private void writeLoop() {
    List<CallRecord> batch = new ArrayList<>();
    while (true) {
      try {
        if (batch.isEmpty()) {
          CallRecord first = queue.poll(500, TimeUnit.MILLISECONDS);
          if (first == null) {
            if (closing) {
              return;
            }
            purgeWhenDue();
            continue;
          }
          batch.add(first);
          queue.drainTo(batch, BATCH - 1);
          gather(batch);
        }
        if (!available()) {
          events.accept("card-log-retry");
          Thread.sleep(BACKOFF.toMillis());
          continue;
        }
        write(batch);
        for (CallRecord call : batch) {
          for (CallRecord.LoggedCard card : call.cards()) {
            pendingCards.computeIfPresent(
                card.facts().cardUuid(), (k, p) -> p.call() == call ? null : p);
          }
        }
        unwritten.addAndGet(-batch.size());
        batch.clear();
        synchronized (flushed) {
          flushed.notifyAll();
        }
      } catch (InterruptedException e) {
        return;
      } catch (SQLException | RuntimeException e) {
        LOG.warn("card log write failed, retrying: {}", LogText.safe(e.getMessage()));
        events.accept("card-log-retry");
        if (connectionFailure(e)) {
          markDown();
        } else {
          // Not the database being away (a conflict or deadlock with another replica's write):
          // the rest of the service keeps using it; this batch is retried after a pause.
          try {
            Thread.sleep(BACKOFF.toMillis());
          } catch (InterruptedException interrupted) {
            return;
          }
        }
      }
    }
  }

  /**
   * Waits up to {@link #GATHER} for more calls to join a small batch: under load one transaction
   * then carries tens of calls instead of one or two, so its fixed cost (statements prepared, the
   * commit, the roll-up upserts) is shared. Nothing waits for it but the card log itself (feedback
   * finds cards still queued), and not while the service is closing.
   */
  private void gather(List<CallRecord> batch) throws InterruptedException {
    long until = System.nanoTime() + GATHER.toNanos();
    while (batch.size() < BATCH && !closing) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return;
      }
      CallRecord next = queue.poll(left, TimeUnit.NANOSECONDS);
      if (next == null) {
        return;
      }
      batch.add(next);
      queue.drainTo(batch, BATCH - batch.size());
    }
  }

  private void write(List<CallRecord> batch) throws SQLException {
    // Latest wins for a card uuid seen twice (an EHR that reuses a hookInstance).
    Map<String, CallRecord.LoggedCard> cards = new LinkedHashMap<>();
    Map<String, CallRecord> callOf = new HashMap<>();
    for (CallRecord call : batch) {
      for (CallRecord.LoggedCard card : call.cards()) {
        cards.remove(card.facts().cardUuid());
        cards.put(card.facts().cardUuid(), card);
        callOf.put(card.facts().cardUuid(), call);
      }
    }
    // Rows in key order: two replicas' batches that share a card lock it in the same order.
    cards = new java.util.TreeMap<>(cards);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO call_log (call_id, issuer, created_at, cards_shown, cards_silent)"
                    + " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
          for (CallRecord call : batch) {
            long silent = call.cards().stream().filter(CallRecord.LoggedCard::silent).count();
            s.setString(1, call.callId());
            s.setString(2, call.patient().issuer());
            s.setLong(3, call.at().toEpochMilli());
            s.setInt(4, (int) (call.cards().size() - silent));
            s.setInt(5, (int) silent);
            s.addBatch();
          }
          int[] inserted = s.executeBatch();
          Map<List<Object>, Long> openings = new HashMap<>();
          for (int i = 0; i < batch.size(); i++) {
            // A call id already logged (a retried batch) is not a second chart opening.
            if (inserted[i] != 0) {
              CallRecord call = batch.get(i);
              openings.merge(
                  List.of(dayNumber(call.at().toEpochMilli()), call.patient().issuer()),
                  1L,
                  Long::sum);
            }
          }
          DailyRollups.addOpenings(c, openings);
        }
        if (!cards.isEmpty()) {
          int[] inserted;
          try (PreparedStatement card =
                  c.prepareStatement(
                      "INSERT INTO card_log (card_uuid, call_id, issuer, patient, hook_instance,"
                          + " created_at, topic, indicator, lead_rule, rule_ids, result_ref,"
                          + " result_value, deviation, critical, silent, service_version,"
                          + " knowledge_version, suggestions) VALUES"
                          + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                          // A card already logged (an EHR that reuses a hookInstance, a proxy
                          // retry on another replica) is replaced below, once its old row is
                          // locked and counted out of the daily roll-ups.
                          + " ON CONFLICT (card_uuid) DO NOTHING");
              PreparedStatement suggestion =
                  c.prepareStatement(
                      "INSERT INTO card_suggestion (suggestion_uuid, card_uuid, created_at,"
                          + " loinc_codes, window_days) VALUES (?, ?, ?, ?, ?)"
                          + " ON CONFLICT DO NOTHING")) {
            for (Map.Entry<String, CallRecord.LoggedCard> e : cards.entrySet()) {
              CallRecord call = callOf.get(e.getKey());
              CardFacts f = e.getValue().facts();
              card.setString(1, f.cardUuid());
              card.setString(2, call.callId());
              card.setString(3, call.patient().issuer());
              card.setString(4, call.patient().pseudonym());
              card.setString(5, cap(call.hookInstance(), 128));
              card.setLong(6, call.at().toEpochMilli());
              card.setString(7, cap(f.topic(), 128));
              card.setInt(8, f.indicator());
              card.setString(9, cap(f.leadRule(), 128));
              card.setString(10, cap(String.join(",", f.ruleIds()), 2000));
              card.setString(11, cap(f.resultRef(), 300));
              card.setString(12, cap(f.resultValue(), 100));
              if (f.deviation() == null) {
                card.setNull(13, Types.DOUBLE);
              } else {
                card.setDouble(13, f.deviation());
              }
              card.setBoolean(14, f.critical());
              card.setBoolean(15, e.getValue().silent());
              card.setString(16, cap(serviceVersion, 64));
              card.setString(17, cap(knowledgeVersion.get(), 64));
              String stored = StoredSuggestions.encode(f.suggestions());
              card.setString(18, stored);
              card.addBatch();
              if (stored != null) {
                continue;
              }
              // Suggestions the column cannot hold (never ours in practice): one row each, as
              // before schema 6, so that nothing feedback needs is lost.
              for (CardFacts.SuggestionFacts s : f.suggestions()) {
                suggestion.setString(1, s.uuid());
                suggestion.setString(2, f.cardUuid());
                suggestion.setLong(3, call.at().toEpochMilli());
                suggestion.setString(4, cap(String.join(",", s.loincCodes()), 500));
                suggestion.setInt(5, s.windowDays());
                suggestion.addBatch();
              }
            }
            inserted = card.executeBatch();
            Map<List<Object>, Long> cardCounts = new HashMap<>();
            List<CallRecord.LoggedCard> again = new ArrayList<>();
            int i = 0;
            for (Map.Entry<String, CallRecord.LoggedCard> e : cards.entrySet()) {
              CallRecord call = callOf.get(e.getKey());
              CardFacts f = e.getValue().facts();
              cardCounts.merge(
                  DailyRollups.cardKey(
                      dayNumber(call.at().toEpochMilli()),
                      call.patient().issuer(),
                      cap(f.leadRule(), 128),
                      cap(f.topic(), 128),
                      e.getValue().silent()),
                  1L,
                  Long::sum);
              // 0: the card was there already (written before, or by another replica whose
              // transaction this insert waited for).
              if (inserted[i++] == 0) {
                again.add(e.getValue());
              }
            }
            if (!again.isEmpty()) {
              // A card logged again carries its latest suggestions only. A new card (the usual
              // case: a fresh hookInstance) has none to remove, so no delete is sent for it.
              try (PreparedStatement delSuggestions =
                  c.prepareStatement("DELETE FROM card_suggestion WHERE card_uuid = ?")) {
                for (CallRecord.LoggedCard l : again) {
                  delSuggestions.setString(1, l.facts().cardUuid());
                  delSuggestions.addBatch();
                }
                delSuggestions.executeBatch();
              }
            }
            suggestion.executeBatch();
            if (!again.isEmpty()) {
              List<String> uuids = again.stream().map(l -> l.facts().cardUuid()).toList();
              DailyRollups.loggedBefore(c, uuids, !embedded(settings))
                  .forEach((k, n) -> cardCounts.merge(k, n, Long::sum));
              replaceCards(c, again, callOf);
            }
            DailyRollups.addCards(c, cardCounts);
          }
        }
        if (batch.stream().anyMatch(call -> !call.resulted().isEmpty())) {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE accepted_test SET resulted_at = ? WHERE suggestion_uuid = ?"
                      + " AND loinc = ? AND resulted_at IS NULL")) {
            for (CallRecord call : batch) {
              for (PatientMemory.AcceptedTest a : call.resulted()) {
                s.setLong(1, a.resultedAt().toEpochMilli());
                s.setString(2, a.suggestionUuid());
                s.setString(3, a.loinc());
                s.addBatch();
              }
            }
            s.executeBatch();
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Replaces logged cards with their latest version (rows already locked by the caller). */
  private void replaceCards(
      Connection c, List<CallRecord.LoggedCard> cards, Map<String, CallRecord> callOf)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "UPDATE card_log SET call_id = ?, issuer = ?, patient = ?, hook_instance = ?,"
                + " created_at = ?, topic = ?, indicator = ?, lead_rule = ?, rule_ids = ?,"
                + " result_ref = ?, result_value = ?, deviation = ?, critical = ?, silent = ?,"
                + " service_version = ?, knowledge_version = ?, suggestions = ?"
                + " WHERE card_uuid = ?")) {
      for (CallRecord.LoggedCard card : cards) {
        CardFacts f = card.facts();
        CallRecord call = callOf.get(f.cardUuid());
        s.setString(1, call.callId());
        s.setString(2, call.patient().issuer());
        s.setString(3, call.patient().pseudonym());
        s.setString(4, cap(call.hookInstance(), 128));
        s.setLong(5, call.at().toEpochMilli());
        s.setString(6, cap(f.topic(), 128));
        s.setInt(7, f.indicator());
        s.setString(8, cap(f.leadRule(), 128));
        s.setString(9, cap(String.join(",", f.ruleIds()), 2000));
        s.setString(10, cap(f.resultRef(), 300));
        s.setString(11, cap(f.resultValue(), 100));
        if (f.deviation() == null) {
          s.setNull(12, Types.DOUBLE);
        } else {
          s.setDouble(12, f.deviation());
        }
        s.setBoolean(13, f.critical());
        s.setBoolean(14, card.silent());
        s.setString(15, cap(serviceVersion, 64));
        s.setString(16, cap(knowledgeVersion.get(), 64));
        s.setString(17, StoredSuggestions.encode(f.suggestions()));
        s.setString(18, f.cardUuid());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** Deletes what is past retention, at most once an hour, the first time a while after start. */
  private void purgeWhenDue() {
    if (System.nanoTime() - lastPurgeNanos < PURGE_EVERY.toNanos() || !available()) {
      return;
    }
    lastPurgeNanos = System.nanoTime();
    long now = clock.millis();
    long cutoff = now - Duration.ofDays(settings.retentionDays()).toMillis();
    try (Connection c = pool.getConnection()) {
      for (String sql :
          List.of(
              "DELETE FROM card_log WHERE created_at < ?",
              "DELETE FROM card_suggestion WHERE created_at < ?",
              "DELETE FROM call_log WHERE created_at < ?",
              "DELETE FROM feedback WHERE received_at < ?",
              "DELETE FROM feedback_counted WHERE card_created_at < ?",
              "DELETE FROM suppression WHERE until_at < ?",
              "DELETE FROM accepted_test WHERE until_at < ?")) {
        try (PreparedStatement s = c.prepareStatement(sql)) {
          s.setLong(1, sql.contains("until_at") ? now : cutoff);
          s.executeUpdate();
        }
      }
    } catch (SQLException e) {
      LOG.warn("card log retention purge failed: {}", LogText.safe(e.getMessage()));
    }
  }

  @Override
  public FeedbackResult store(String issuer, List<FeedbackItem> items, Instant now) {
    if (!available()) {
      throw new MemoryUnavailableException("the memory database is unavailable", null);
    }
    List<KnownCard> known = new ArrayList<>(java.util.Collections.nCopies(items.size(), null));
    try {
      findCards(items, known);
    } catch (SQLException e) {
      markDown();
      throw new MemoryUnavailableException("the memory database failed", e);
    }
    // Validate every item before storing any.
    for (int i = 0; i < items.size(); i++) {
      FeedbackItem item = items.get(i);
      KnownCard found = known.get(i);
      if (found == null) {
        continue;
      }
      CardFacts card = found.facts();
      if (!found.issuer().equals(issuer)) {
        throw new FeedbackRejectedException(
            "feedback[" + i + "].card was not returned to this caller.", true);
      }
      Set<String> offered =
          Set.copyOf(card.suggestions().stream().map(CardFacts.SuggestionFacts::uuid).toList());
      for (String s : item.acceptedSuggestions()) {
        if (!offered.contains(s)) {
          throw new FeedbackRejectedException(
              "feedback[" + i + "].acceptedSuggestions names a suggestion not on that card.",
              false);
        }
      }
    }
    return feedbackGroups.store(new FeedbackRequest(issuer, items, known, now));
  }

  /** One caller's validated feedback, to be stored in a transaction with others' (see below). */
  record FeedbackRequest(
      String issuer, List<FeedbackItem> items, List<KnownCard> known, Instant now) {}

  /**
   * Group commit of feedback: the requests that arrive while a transaction is being committed are
   * stored together in the next one, each still all or nothing and each answered only once that
   * transaction has committed. One request alone is committed at once (no waiting for others);
   * under concurrent feedback one commit (one flush of the database's log) and a few batched
   * statements serve many requests instead of one commit and five round trips each. If a group's
   * transaction fails on something other than the connection (a deadlock with another replica, one
   * request's rows refused), each of its requests is retried in a transaction of its own, so that
   * one request cannot fail the others.
   */
  private final FeedbackGroups feedbackGroups = new FeedbackGroups();

  private final java.util.concurrent.atomic.AtomicLong feedbackTransactions =
      new java.util.concurrent.atomic.AtomicLong();

  /** Feedback transactions committed (concurrent requests share them): tests, benchmarks. */
  public long feedbackTransactions() {
    return feedbackTransactions.get();
  }

  private final class FeedbackGroups {
    /** Requests stored in one transaction at most. */
    private static final int MAX_GROUP = 100;

    /**
     * Transactions in flight at once: while one waits for its commit to reach the disk, the next
     * group's statements run.
     */
    private static final int IN_FLIGHT = 2;

    private final java.util.ArrayDeque<Waiting> waiting = new java.util.ArrayDeque<>();
    private int committing;

    private static final class Waiting {
      final FeedbackRequest request;
      FeedbackResult result;
      RuntimeException failure;
      boolean done;

      Waiting(FeedbackRequest request) {
        this.request = request;
      }
    }

    FeedbackResult store(FeedbackRequest request) {
      Waiting mine = new Waiting(request);
      synchronized (this) {
        waiting.add(mine);
      }
      boolean interrupted = false;
      try {
        while (true) {
          List<Waiting> group = new ArrayList<>();
          synchronized (this) {
            while (!mine.done && (committing >= IN_FLIGHT || waiting.peek() != mine)) {
              try {
                wait();
              } catch (InterruptedException e) {
                if (waiting.remove(mine)) {
                  Thread.currentThread().interrupt();
                  throw new MemoryUnavailableException(
                      "interrupted before the feedback was stored", e);
                }
                interrupted = true; // being stored: wait for the outcome
              }
            }
            if (mine.done) {
              if (mine.failure != null) {
                throw mine.failure;
              }
              return mine.result;
            }
            committing++;
            while (!waiting.isEmpty() && group.size() < MAX_GROUP) {
              group.add(waiting.poll());
            }
          }
          try {
            commit(group);
          } finally {
            synchronized (this) {
              committing--;
              notifyAll();
            }
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    private void commit(List<Waiting> group) {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          List<FeedbackResult> results =
              writeFeedback(c, group.stream().map(w -> w.request).toList());
          c.commit();
          feedbackTransactions.incrementAndGet();
          for (int i = 0; i < group.size(); i++) {
            complete(group.get(i), results.get(i), null);
          }
          return;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(c);
          if (group.size() == 1 || connectionFailure(e)) {
            failAll(group, e);
            return;
          }
        }
        for (Waiting w : group) {
          try {
            FeedbackResult result = writeFeedback(c, List.of(w.request)).get(0);
            c.commit();
            feedbackTransactions.incrementAndGet();
            complete(w, result, null);
          } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            complete(w, null, failure(e));
          }
        }
      } catch (SQLException | RuntimeException e) {
        failAll(group, e);
      }
    }

    private void failAll(List<Waiting> group, Exception e) {
      RuntimeException failure = failure(e);
      for (Waiting w : group) {
        if (!w.done) {
          complete(w, null, failure);
        }
      }
    }

    private void complete(Waiting w, FeedbackResult result, RuntimeException failure) {
      synchronized (this) {
        w.result = result;
        w.failure = failure;
        w.done = true;
      }
    }
  }

  private RuntimeException failure(Exception e) {
    if (e instanceof SQLException) {
      // Only a lost connection makes the database count as down (hook calls then skip it); a
      // statement it refused fails that request only.
      if (connectionFailure(e)) {
        markDown();
      }
      return new MemoryUnavailableException("the memory database failed", e);
    }
    return (RuntimeException) e;
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      // The connection is broken: the pool replaces it; the callers are told the store failed.
    }
  }

  /** One stored item: which request, the item, its card. */
  private record Entry(int request, FeedbackItem item, KnownCard card, FeedbackRequest from) {}

  /** The feedback table's primary key: card, outcome, outcome time. */
  private static final java.util.Comparator<Entry> FEEDBACK_KEY_ORDER =
      java.util.Comparator.comparing((Entry e) -> e.item().cardUuid())
          .thenComparing(e -> e.item().outcome())
          .thenComparing(e -> e.item().outcomeAt());

  /**
   * Stores the requests' feedback in the caller's transaction with a few batched statements (not
   * committed); each request's counts of stored, duplicate and unknown items.
   */
  private List<FeedbackResult> writeFeedback(Connection c, List<FeedbackRequest> requests)
      throws SQLException {
    List<Entry> entries = new ArrayList<>();
    int[] unknown = new int[requests.size()];
    for (int r = 0; r < requests.size(); r++) {
      FeedbackRequest request = requests.get(r);
      for (int i = 0; i < request.items().size(); i++) {
        KnownCard found = request.known().get(i);
        if (found == null) {
          unknown[r]++;
        } else {
          entries.add(new Entry(r, request.items().get(i), found, request));
        }
      }
    }
    // In key order: transactions committing at once (IN_FLIGHT groups, other replicas) that share
    // cards then wait for each other's rows in one order and never deadlock. Every table this
    // transaction writes next is written in its key order too.
    entries.sort(FEEDBACK_KEY_ORDER);
    int[] stored = new int[requests.size()];
    int[] duplicates = new int[requests.size()];
    List<Entry> new_ = new ArrayList<>();
    if (!entries.isEmpty()) {
      int[] inserted;
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO feedback (card_uuid, outcome, outcome_at, received_at, issuer,"
                  + " override_reason, override_comment, accepted_suggestions)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
        for (Entry e : entries) {
          FeedbackItem item = e.item();
          s.setString(1, item.cardUuid());
          s.setString(2, item.outcome());
          s.setLong(3, item.outcomeAt().toEpochMilli());
          s.setLong(4, e.from().now().toEpochMilli());
          s.setString(5, e.from().issuer());
          s.setString(6, cap(item.overrideReason(), 128));
          s.setString(7, cap(item.comment(), 2000));
          s.setString(8, cap(String.join(",", item.acceptedSuggestions()), 2000));
          s.addBatch();
        }
        inserted = s.executeBatch();
      }
      for (int i = 0; i < entries.size(); i++) {
        Entry e = entries.get(i);
        if (inserted[i] < 0) {
          // Statement.SUCCESS_NO_INFO: a driver setting (reWriteBatchedInserts) hides which
          // rows were new; duplicates could not be told apart.
          throw new IllegalStateException(
              "the JDBC driver did not report the feedback rows stored");
        }
        if (inserted[i] > 0) {
          stored[e.request()]++;
          new_.add(e);
        } else {
          duplicates[e.request()]++;
        }
      }
    }
    if (!new_.isEmpty()) {
      List<DailyRollups.FeedbackCount> counts = new ArrayList<>();
      for (Entry e : new_) {
        CardFacts card = e.card().facts();
        counts.add(
            new DailyRollups.FeedbackCount(
                card.cardUuid(),
                e.item().outcome(),
                cap(e.item().overrideReason(), 128),
                e.card().createdAt(),
                DailyRollups.cardKey(
                    dayNumber(e.card().createdAt()),
                    e.card().issuer(),
                    cap(card.leadRule(), 128),
                    cap(card.topic(), 128),
                    false)));
      }
      DailyRollups.countFeedback(c, counts);
      insertSuppressions(
          c, new_.stream().filter(e -> e.item().outcome().equals("overridden")).toList());
      insertAcceptedTests(
          c, new_.stream().filter(e -> !e.item().outcome().equals("overridden")).toList());
    }
    List<FeedbackResult> results = new ArrayList<>();
    for (int r = 0; r < requests.size(); r++) {
      results.add(new FeedbackResult(stored[r], duplicates[r], unknown[r]));
    }
    return results;
  }

  /**
   * Fills in the card of each item: queued here, or in the database. Cards found nowhere are looked
   * for again for up to {@link #FEEDBACK_WAIT} on PostgreSQL (another replica may not have written
   * them yet), holding no connection while waiting; those still missing stay null (unknown cards).
   */
  private void findCards(List<FeedbackItem> items, List<KnownCard> known) throws SQLException {
    // The embedded database serves one process: nothing can be on its way from another.
    Duration wait = embedded(settings) ? Duration.ZERO : FEEDBACK_WAIT;
    long deadline = System.nanoTime() + wait.toNanos();
    long pause = 20;
    while (true) {
      boolean missing = false;
      try (Connection c = pool.getConnection()) {
        for (int i = 0; i < items.size(); i++) {
          if (known.get(i) != null) {
            continue;
          }
          String uuid = items.get(i).cardUuid();
          Pending pending = pendingCards.get(uuid);
          KnownCard found =
              pending != null
                  ? new KnownCard(
                      pending.facts(),
                      pending.call().patient().issuer(),
                      pending.call().patient().pseudonym(),
                      pending.call().at().toEpochMilli())
                  : loggedCard(c, uuid);
          if (found == null) {
            missing = true;
          } else {
            known.set(i, found);
          }
        }
      }
      if (!missing || System.nanoTime() - deadline >= 0) {
        return;
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      pause = Math.min(pause * 2, 250);
    }
  }

  /** A failure to reach the database (as opposed to a statement the database refused). */
  private static boolean connectionFailure(Exception e) {
    if (e instanceof java.sql.SQLTransientConnectionException
        || e instanceof java.sql.SQLNonTransientConnectionException) {
      return true;
    }
    return e instanceof SQLException sql
        && (sql.getSQLState() == null || sql.getSQLState().startsWith("08"));
  }

  /** A card feedback names: what it said, to whom, about whom, when (epoch ms). */
  record KnownCard(CardFacts facts, String issuer, String patient, long createdAt) {}

  /** A logged card that was shown, or null. */
  private static KnownCard loggedCard(Connection c, String uuid) throws SQLException {
    CardFacts facts;
    String issuer;
    String patient;
    long createdAt;
    String stored;
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT topic, indicator, lead_rule, rule_ids, result_ref, result_value, deviation,"
                + " critical, issuer, patient, created_at, suggestions FROM card_log"
                + " WHERE card_uuid = ? AND NOT silent")) {
      s.setString(1, uuid);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          return null;
        }
        double d = r.getDouble(7);
        Double deviation = r.wasNull() ? null : d;
        facts =
            new CardFacts(
                uuid,
                r.getString(1),
                r.getInt(2),
                r.getString(3),
                List.of(r.getString(4).split(",")),
                r.getString(5),
                r.getString(6),
                deviation,
                r.getBoolean(8),
                List.of());
        issuer = r.getString(9);
        patient = r.getString(10);
        createdAt = r.getLong(11);
        stored = r.getString(12);
      }
    }
    List<CardFacts.SuggestionFacts> suggestions =
        stored == null ? new ArrayList<>() : StoredSuggestions.decode(stored);
    // A card logged before schema 6 (or whose suggestions the column could not hold).
    if (stored == null) {
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT suggestion_uuid, loinc_codes, window_days FROM card_suggestion"
                  + " WHERE card_uuid = ?")) {
        s.setString(1, uuid);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            String codes = r.getString(2);
            suggestions.add(
                new CardFacts.SuggestionFacts(
                    r.getString(1),
                    codes.isEmpty() ? List.of() : List.of(codes.split(",")),
                    r.getInt(3)));
          }
        }
      }
    }
    return new KnownCard(
        new CardFacts(
            facts.cardUuid(),
            facts.topic(),
            facts.indicator(),
            facts.leadRule(),
            facts.ruleIds(),
            facts.resultRef(),
            facts.resultValue(),
            facts.deviation(),
            facts.critical(),
            suggestions),
        issuer,
        patient,
        createdAt);
  }

  /** Before the rows are stored, so that no reader can see them and still be told "no". */
  private void remember(String patient, String issuer) {
    RememberedKeys bits = remembered;
    if (bits != null) {
      bits.add(patient, issuer);
    }
  }

  /** Suppressions for stored overrides; the latest override of a card wins. */
  private void insertSuppressions(Connection c, List<Entry> overrides) throws SQLException {
    if (overrides.isEmpty()) {
      return;
    }
    // In card order: two replicas' transactions that share cards lock them in the same order.
    List<Entry> ordered = new ArrayList<>(overrides);
    ordered.sort(java.util.Comparator.comparing(e -> e.card().facts().cardUuid()));
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO suppression (card_uuid, patient, issuer, topic, indicator, deviation,"
                + " result_ref, result_only, reason, created_at, until_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                // The latest override of a card wins, atomically (replicas storing at once).
                + " ON CONFLICT (card_uuid) DO UPDATE SET patient = excluded.patient,"
                + " issuer = excluded.issuer, topic = excluded.topic,"
                + " indicator = excluded.indicator, deviation = excluded.deviation,"
                + " result_ref = excluded.result_ref, result_only = excluded.result_only,"
                + " reason = excluded.reason, created_at = excluded.created_at,"
                + " until_at = excluded.until_at")) {
      for (Entry e : ordered) {
        CardFacts card = e.card().facts();
        String reason = e.item().overrideReason();
        // An override without a reason (CDS Hooks makes it optional) gets the default duration.
        int days =
            reason == null
                ? settings.suppressionDays()
                : settings
                    .suppressionDaysByReason()
                    .getOrDefault(reason, settings.suppressionDays());
        Instant from = e.from().now(); // the service's clock, not the caller's outcomeTimestamp
        remember(e.card().patient(), e.from().issuer());
        s.setString(1, card.cardUuid());
        s.setString(2, e.card().patient());
        s.setString(3, e.from().issuer());
        s.setString(4, card.topic());
        s.setInt(5, card.indicator());
        if (card.deviation() == null) {
          s.setNull(6, Types.DOUBLE);
        } else {
          s.setDouble(6, card.deviation());
        }
        s.setString(7, card.resultRef());
        s.setBoolean(8, RESULT_NOT_TRUSTED.equals(reason) && card.resultRef() != null);
        s.setString(9, cap(reason, 128));
        s.setLong(10, from.toEpochMilli());
        s.setLong(11, from.plus(Duration.ofDays(days)).toEpochMilli());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** The tests ordered by stored acceptances, not suggested again until resulted or due. */
  private void insertAcceptedTests(Connection c, List<Entry> acceptances) throws SQLException {
    if (acceptances.isEmpty()) {
      return;
    }
    // In key order (suggestion, test), as the other tables: no deadlock between transactions.
    List<AcceptedTest> rows = new ArrayList<>();
    for (Entry e : acceptances) {
      CardFacts card = e.card().facts();
      Instant now = e.from().now();
      remember(e.card().patient(), e.from().issuer());
      for (CardFacts.SuggestionFacts suggestion : card.suggestions()) {
        if (!e.item().acceptedSuggestions().contains(suggestion.uuid())) {
          continue;
        }
        int days =
            suggestion.windowDays() > 0 ? suggestion.windowDays() : settings.acceptedTestDays();
        for (String loinc : suggestion.loincCodes()) {
          rows.add(
              new AcceptedTest(
                  suggestion.uuid(),
                  cap(loinc, 32),
                  e,
                  now.toEpochMilli(),
                  now.plus(Duration.ofDays(days)).toEpochMilli()));
        }
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    rows.sort(
        java.util.Comparator.comparing(AcceptedTest::suggestionUuid)
            .thenComparing(AcceptedTest::loinc));
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO accepted_test (suggestion_uuid, loinc, card_uuid, patient, issuer,"
                + " lead_rule, accepted_at, until_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT DO NOTHING")) {
      for (AcceptedTest row : rows) {
        Entry e = row.from();
        s.setString(1, row.suggestionUuid());
        s.setString(2, row.loinc());
        s.setString(3, e.card().facts().cardUuid());
        s.setString(4, e.card().patient());
        s.setString(5, e.from().issuer());
        s.setString(6, e.card().facts().leadRule());
        s.setLong(7, row.acceptedAt());
        s.setLong(8, row.until());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** One accepted_test row: the suggestion and test, the feedback item, when, until when. */
  private record AcceptedTest(
      String suggestionUuid, String loinc, Entry from, long acceptedAt, long until) {}

  @Override
  public AnalyticsReport analytics(Instant from, Instant to, String issuer) {
    if (!available()) {
      throw new MemoryUnavailableException("the memory database is unavailable", null);
    }
    try (Connection c = pool.getConnection()) {
      return new AnalyticsQuery(c, from, to, issuer, settings.overrideFlagPercent()).run();
    } catch (SQLException e) {
      markDown();
      throw new MemoryUnavailableException("the memory database failed", e);
    }
  }

  @Override
  public boolean ready() {
    if (!available()) {
      return false;
    }
    try (Connection c = pool.getConnection()) {
      return c.isValid(1);
    } catch (SQLException e) {
      markDown();
      return false;
    }
  }

  /** Calls queued for the card log and not yet written (after {@link #close()}: lost). */
  public long unwritten() {
    return unwritten.get();
  }

  /**
   * A connection of the memory's pool for the run-ahead state (JdbcRunAhead), once the schema is
   * migrated.
   *
   * @throws MemoryUnavailableException when the database is not usable now
   */
  Connection connection() throws SQLException {
    if (!available()) {
      throw new MemoryUnavailableException("the memory database is unavailable", null);
    }
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      markDown();
      throw e;
    }
  }

  /** Cards queued for the card log and not yet written. */
  public int queued() {
    return queue.size();
  }

  /** Waits until the card log queue is empty (tests, shutdown), at most {@code timeout}. */
  public boolean drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (flushed) {
      while (unwritten.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        flushed.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  @Override
  public void close() {
    try {
      drain(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closing = true; // the writer ends at its next idle poll (not interrupted mid-write)
    maintenance.shutdownNow();
    try {
      writer.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
  }

  /** The UTC day of an epoch-millisecond time, as the daily roll-ups number it. */
  static long dayNumber(long epochMillis) {
    return Math.floorDiv(epochMillis, DailyRollups.DAY_MILLIS);
  }

  static String cap(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
