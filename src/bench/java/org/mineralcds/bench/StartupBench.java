package org.mineralcds.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Start-up to ready: launches {@code java -jar target/mineral-cds.jar --port 0} N times and
 * measures from launch to its {@code mineral-cds listening on ...} line; reports each run, the
 * median, and the idle RSS right after start.
 */
final class StartupBench {

  private static final String USAGE =
      """
      java -jar target/bench/mineral-cds-bench.jar startup [options]
        --runs N                launches (default 7)
        --jar FILE              service jar (default: mineral-cds.jar beside this jar)
        --jvm-opts "OPTS"       JVM options for the service
        --service-args "ARGS"   extra service options (default none: the demo is on, as by default)
      """;

  private StartupBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = LoadBench.options(args);
    if (o.containsKey("help")) {
      System.out.print(USAGE);
      return;
    }
    int runs = Integer.parseInt(o.getOrDefault("runs", "7"));
    Path jar = ServiceProcess.jar(o.get("jar"));
    List<String> jvm = LoadBench.split(o.getOrDefault("jvm-opts", ""));
    List<String> serviceArgs = LoadBench.split(o.getOrDefault("service-args", ""));
    List<Double> times = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      try (ServiceProcess service = ServiceProcess.launch(jar, jvm, serviceArgs)) {
        double ms = service.startNanos / 1e6;
        times.add(ms);
        System.out.printf(
            "run %d: %.0f ms to listening, RSS %d MiB%n", i, ms, service.rssMiB());
      }
    }
    List<Double> sorted = times.stream().sorted().toList();
    int n = sorted.size();
    double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    System.out.printf(
        "MEDIAN start-up to ready: %.0f ms over %d runs (min %.0f, max %.0f) of %s %s %s%n",
        median, n, sorted.get(0), sorted.get(n - 1), jar, jvm, serviceArgs);
  }
}
