package org.mineralcds.realserver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Command-line options of {@link RealServer}. */
record Options(
    boolean help,
    int port,
    Database database,
    Path h2Directory,
    Synthea.Population population,
    int loadThreads,
    java.util.Set<String> skipTypes,
    boolean printCounts) {

  static final String USAGE =
      """
      usage: java -cp <realserver classpath> org.mineralcds.realserver.RealServer [options]

      database (one of):
        --h2 DIR                  H2 database in files under DIR (kept between runs)
        --h2-memory               H2 in memory
        --postgres JDBC_URL       PostgreSQL, with --user USER and --password PASSWORD
                                  (or the environment variable REALSERVER_DB_PASSWORD)
        (default with --cache: an H2 database in CACHE/h2-<population key>)
      population (optional; loaded once, before the ready line):
        --cache DIR               generate the Synthea population into DIR/population-<key>
        --seed N --size N         Synthea seed and number of living patients (default 42, 20)
        --age MIN-MAX             ages (default 55-90)
        --years N                 years of history exported (default 20)
        --reference-date YYYYMMDD the population's "today" (default: today, UTC)
        --synthea-classpath FILE  file holding the Synthea classpath (needed to generate)
        --population DIR          load an existing Synthea output directory instead
        --load-threads N          patient bundles posted at once (default 2)
        --skip-types T1,T2        resource types left out when loading patients, e.g.
                                  Claim,ExplanationOfBenefit (default: none)
      other:
        --port N                  port on 127.0.0.1 (default 0: any free port)
        --counts                  print resource counts before the ready line
      """;

  static Options parse(String[] args) {
    int port = 0;
    Path h2 = null;
    boolean h2Memory = false;
    String postgres = null;
    String user = null;
    String password = System.getenv("REALSERVER_DB_PASSWORD");
    Path cache = null;
    Path existing = null;
    long seed = 42;
    int size = 20;
    String age = "55-90";
    int years = 20;
    String referenceDate = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE);
    Path syntheaClasspath = null;
    int loadThreads = 2;
    boolean counts = false;
    java.util.Set<String> skip = java.util.Set.of();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> {
          return new Options(true, 0, null, null, null, 0, java.util.Set.of(), false);
        }
        case "--h2-memory" -> h2Memory = true;
        case "--counts" -> counts = true;
        default -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("missing value after " + arg);
          }
          String value = args[++i];
          switch (arg) {
            case "--port" -> port = Integer.parseInt(value);
            case "--h2" -> h2 = Path.of(value);
            case "--postgres" -> postgres = value;
            case "--user" -> user = value;
            case "--password" -> password = value;
            case "--cache" -> cache = Path.of(value);
            case "--population" -> existing = Path.of(value);
            case "--seed" -> seed = Long.parseLong(value);
            case "--size" -> size = Integer.parseInt(value);
            case "--age" -> age = value;
            case "--years" -> years = Integer.parseInt(value);
            case "--reference-date" -> referenceDate = value;
            case "--synthea-classpath" -> syntheaClasspath = Path.of(value);
            case "--load-threads" -> loadThreads = Integer.parseInt(value);
            case "--skip-types" -> skip = java.util.Set.of(value.split(","));
            default -> throw new IllegalArgumentException("unknown option " + arg);
          }
        }
      }
    }
    if (!age.matches("\\d+-\\d+")) {
      throw new IllegalArgumentException("--age wants MIN-MAX, e.g. 55-90");
    }
    if (!referenceDate.matches("\\d{8}")) {
      throw new IllegalArgumentException("--reference-date wants YYYYMMDD");
    }
    Synthea.Population population = null;
    String key = "s" + seed + "-p" + size + "-a" + age + "-y" + years + "-r" + referenceDate;
    if (existing != null) {
      population = Synthea.Population.existing(existing);
    } else if (cache != null) {
      if (syntheaClasspath == null) {
        throw new IllegalArgumentException("--cache needs --synthea-classpath");
      }
      if (!Files.isRegularFile(syntheaClasspath)) {
        throw new IllegalArgumentException("no such file: " + syntheaClasspath);
      }
      population =
          new Synthea.Population(
              cache.resolve("population-" + key),
              seed,
              size,
              age,
              years,
              referenceDate,
              syntheaClasspath);
    }
    int databases = (h2 != null ? 1 : 0) + (h2Memory ? 1 : 0) + (postgres != null ? 1 : 0);
    if (databases > 1) {
      throw new IllegalArgumentException("choose one of --h2, --h2-memory, --postgres");
    }
    if (databases == 0) {
      if (cache == null) {
        throw new IllegalArgumentException("choose a database: --h2 DIR, --h2-memory, --postgres");
      }
      h2 = cache.resolve("h2-" + key);
    }
    Database database;
    if (postgres != null) {
      if (user == null || password == null) {
        throw new IllegalArgumentException("--postgres needs --user and --password");
      }
      database = Database.postgres(postgres, user, password);
    } else if (h2Memory) {
      database = Database.h2Memory();
    } else {
      database = Database.h2File(h2);
    }
    return new Options(false, port, database, h2, population, loadThreads, skip, counts);
  }
}
