package org.mineralcds.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.memory.AnalyticsReport;
import org.mineralcds.memory.CallRecord;
import org.mineralcds.memory.CardFacts;
import org.mineralcds.memory.FeedbackItem;
import org.mineralcds.memory.JdbcMemory;
import org.mineralcds.memory.PatientKey;

/**
 * The memory's own benchmarks (BENCHMARKS.md), on the store itself (no HTTP):
 *
 * <pre>
 * memory fill --data-dir DIR [--cards 1000000]      log N cards over a year, 10 % with feedback
 * memory feedback --data-dir DIR [--seconds 10] [--clients 8]   feedback items stored per second
 * memory analytics --data-dir DIR [--runs 5]        one year of analytics over what is there
 * </pre>
 *
 * {@code --database-url jdbc:postgresql://...} instead of {@code --data-dir} (credentials from
 * MINERALCDS_DATABASE_USER / _PASSWORD).
 */
final class MemoryBench {

  private static final Instant END = Instant.parse("2026-11-20T00:00:00Z");
  private static final String[] ISSUERS = {"https://ehr-a", "https://ehr-b", "local"};
  private static final String[] RULES = {
    "potassium-low", "potassium-low-mild", "potassium-high", "magnesium-low", "calcium-high",
    "calcium-low", "vitamin-d-deficient", "pth-high", "tsh-high", "tsh-low", "digoxin-monitoring",
    "lithium-monitoring", "potassium-critical-low", "calcium-critical-high", "ck-high",
    "magnesium-high", "vitamin-d-inadequate", "hypothyroidism-pattern", "lab-trend-potassium",
    "ckd-mbd-monitoring"
  };

  private MemoryBench() {}

  static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    MemorySettings settings =
        o.containsKey("database-url")
            ? MemorySettings.postgres(
                o.get("database-url"),
                System.getenv("MINERALCDS_DATABASE_USER"),
                System.getenv("MINERALCDS_DATABASE_PASSWORD"))
            : MemorySettings.embedded(Path.of(o.getOrDefault("data-dir", "bench-data")));
    String command = args.length == 0 ? "help" : args[0];
    try (JdbcMemory memory = new JdbcMemory(settings, e -> {}, java.time.Clock.systemUTC(), "bench", "bench")) {
      long t0 = System.nanoTime();
      memory.start();
      System.out.printf("open + migrate: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      switch (command) {
        case "fill" -> fill(memory, Integer.parseInt(o.getOrDefault("cards", "1000000")));
        case "feedback" ->
            feedback(
                memory,
                settings,
                Integer.parseInt(o.getOrDefault("seconds", "10")),
                Integer.parseInt(o.getOrDefault("clients", "8")));
        case "analytics" -> analytics(memory, Integer.parseInt(o.getOrDefault("runs", "5")));
        default -> System.out.println("memory fill|feedback|analytics --data-dir DIR (see javadoc)");
      }
    }
  }

  private static CallRecord call(PatientKey key, Instant at, String card, String suggestion, int n) {
    String rule = RULES[n % RULES.length];
    CardFacts facts =
        new CardFacts(
            card,
            rule.replace("-mild", ""),
            n % 3,
            rule,
            List.of(rule),
            "Observation/o" + n,
            "3.1 mmol/L",
            0.1 * (n % 7),
            n % 50 == 0,
            List.of(new CardFacts.SuggestionFacts(suggestion, List.of("19123-9"), 7)));
    return new CallRecord(
        UUID.randomUUID().toString(),
        key,
        UUID.randomUUID().toString(),
        at,
        List.of(new CallRecord.LoggedCard(facts, n % 20 == 0)),
        List.of());
  }

  private static void fill(JdbcMemory memory, int cards) throws Exception {
    long t0 = System.nanoTime();
    long span = Duration.ofDays(365).toMillis();
    List<FeedbackItem> pending = new ArrayList<>();
    String pendingIssuer = null;
    for (int n = 0; n < cards; n++) {
      String issuer = ISSUERS[n % ISSUERS.length];
      PatientKey key = new PatientKey(memory.pseudonym(null, "p" + (n % 50_000)), issuer);
      Instant at = END.minusMillis(span * n / cards);
      String card = UUID.randomUUID().toString();
      String suggestion = UUID.randomUUID().toString();
      memory.log(call(key, at, card, suggestion, n));
      if (n % 10 == 3 && n % 20 != 0) {
        // 10 % get feedback: two thirds overridden, one third accepted.
        if (pendingIssuer != null && !pendingIssuer.equals(issuer)) {
          memory.store(pendingIssuer, pending, END);
          pending.clear();
        }
        pendingIssuer = issuer;
        pending.add(
            n % 30 == 3
                ? new FeedbackItem(card, "accepted", List.of(suggestion), null, null, at)
                : new FeedbackItem(card, "overridden", List.of(), "already-addressed", null, at));
      }
      if (memory.queued() > 50_000) {
        memory.drain(Duration.ofMinutes(5));
      }
    }
    if (!pending.isEmpty()) {
      memory.store(pendingIssuer, pending, END);
    }
    memory.drain(Duration.ofMinutes(10));
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("filled %,d cards in %.1f s (%,.0f cards/s)%n", cards, s, cards / s);
  }

  private static void feedback(
      JdbcMemory memory, MemorySettings settings, int seconds, int clients) throws Exception {
    // Cards to answer, logged first (and written), as the EHR would have received them.
    int cards = 200_000;
    List<String> uuids = new ArrayList<>(cards);
    PatientKey key = new PatientKey(memory.pseudonym(null, "feedback-bench"), "local");
    for (int n = 0; n < cards; n++) {
      String card = UUID.randomUUID().toString();
      uuids.add(card);
      memory.log(call(key, END, card, UUID.randomUUID().toString(), n * 20 + 1));
      if (memory.queued() > 50_000) {
        memory.drain(Duration.ofMinutes(5));
      }
    }
    memory.drain(Duration.ofMinutes(5));
    long transactions0 = transactions(memory);
    long cpu0 = processCpuNanos();
    long server0 = serverCpuTicks(settings);
    AtomicInteger next = new AtomicInteger();
    AtomicLong stored = new AtomicLong();
    long until = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long t0 = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      pool.execute(
          () -> {
            int i;
            while (System.nanoTime() < until && (i = next.getAndIncrement()) < cards) {
              memory.store(
                  "local",
                  List.of(
                      new FeedbackItem(
                          uuids.get(i), "overridden", List.of(), "already-addressed", null, END)),
                  END);
              stored.incrementAndGet();
            }
          });
    }
    pool.shutdown();
    pool.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
    double s = (System.nanoTime() - t0) / 1e9;
    long cpu = processCpuNanos() - cpu0;
    long server = serverCpuTicks(settings) - server0;
    long transactions = transactions(memory) - transactions0;
    System.out.printf(
        "feedback: %,d requests of one item stored by %d clients in %.1f s: %,.0f/s"
            + " (%,d transactions: %.1f requests each)%n",
        stored.get(), clients, s, stored.get() / s, transactions,
        stored.get() / (double) Math.max(1, transactions));
    System.out.printf(
        "CPU per feedback request: %.3f ms in this process%s%n",
        cpu / 1e6 / Math.max(1, stored.get()),
        server < 0
            ? ""
            : String.format(
                " + %.3f ms in the PostgreSQL backends serving it",
                server * 1000.0 / CLOCK_TICKS / Math.max(1, stored.get())));
  }

  /** Feedback transactions committed so far (0 for a build without group commit: A/B runs). */
  private static long transactions(JdbcMemory memory) {
    try {
      return (Long) JdbcMemory.class.getMethod("feedbackTransactions").invoke(memory);
    } catch (ReflectiveOperationException e) {
      return 0;
    }
  }

  /** Linux clock ticks per second (/proc/PID/stat times). */
  private static final long CLOCK_TICKS = 100;

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * CPU ticks used so far by the PostgreSQL backends connected to this database (on this machine,
   * read from /proc), or -1 for the embedded database or when they cannot be read.
   */
  private static long serverCpuTicks(MemorySettings settings) {
    if (settings.databaseUrl() == null) {
      return -1;
    }
    long ticks = 0;
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                settings.databaseUrl(), settings.databaseUser(), settings.databasePassword());
        java.sql.PreparedStatement s =
            c.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid()");
        java.sql.ResultSet r = s.executeQuery()) {
      while (r.next()) {
        String stat =
            java.nio.file.Files.readString(Path.of("/proc/" + r.getInt(1) + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
      }
      return ticks;
    } catch (java.sql.SQLException | java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  private static void analytics(JdbcMemory memory, int runs) {
    // A year of whole days (the daily roll-ups alone), then a year that starts and ends mid-day
    // (the roll-ups plus the card log for the two partial days).
    Duration[] shifts = {Duration.ZERO, Duration.ofHours(13).plusMinutes(30)};
    for (Duration shift : shifts) {
      for (int r = 0; r < runs; r++) {
        long t0 = System.nanoTime();
        AnalyticsReport report =
            memory.analytics(
                END.minus(Duration.ofDays(366)).plus(shift), END.minus(shift), null);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long shown = report.rules().stream().mapToLong(AnalyticsReport.Row::shown).sum();
        long silent = report.rules().stream().mapToLong(AnalyticsReport.Row::silent).sum();
        System.out.printf(
            "analytics%s over %,d logged cards (%,d openings): %d ms%n",
            shift.isZero() ? "" : " (period edges mid-day)",
            shown + silent,
            report.chartOpenings(),
            ms);
      }
    }
  }
}
