package org.mineralcds.bench;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Entry point of target/bench/mineral-cds-bench.jar (see BENCHMARKS.md):
 *
 * <pre>
 * java -jar target/bench/mineral-cds-bench.jar jmh [JMH options]      parse/normalise/evaluate + CQL
 * java -jar target/bench/mineral-cds-bench.jar cputime [options]      the same, in thread CPU time
 * java -jar target/bench/mineral-cds-bench.jar load [options]         load on the prefetch or FHIR path
 * java -jar target/bench/mineral-cds-bench.jar startup [options]      launch-to-listening time, RSS
 * java -jar target/bench/mineral-cds-bench.jar population --fhir URL  a real server's population
 * java -jar target/bench/mineral-cds-bench.jar queryplans --fhir URL  query plan choices, timed
 * java -jar target/bench/mineral-cds-bench.jar generate [FILE]        rewrite the realistic request
 * java -jar target/bench/mineral-cds-bench.jar memory fill|feedback|analytics [options]
 * </pre>
 */
public final class Bench {

  private Bench() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "help" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "jmh" -> org.openjdk.jmh.Main.main(rest);
      case "cputime" -> CpuTimeBench.main(rest);
      case "load" -> LoadBench.main(rest);
      case "startup" -> StartupBench.main(rest);
      case "population" -> PopulationBench.main(rest);
      case "queryplans" -> QueryPlanBench.main(rest);
      case "memory" -> MemoryBench.main(rest);
      case "generate" -> {
        Path file =
            Path.of(rest.length > 0 ? rest[0] : "src/bench/resources" + RealisticRequest.RESOURCE);
        RealisticRequest.write(file);
        System.out.println("wrote " + file);
      }
      default -> {
        System.out.println(
            """
            java -jar target/bench/mineral-cds-bench.jar jmh [JMH options]   (e.g. -f 1 -wi 3 -i 5 EvaluateBenchmark)
            java -jar target/bench/mineral-cds-bench.jar cputime --help
            java -jar target/bench/mineral-cds-bench.jar load --help
            java -jar target/bench/mineral-cds-bench.jar startup --help
            java -jar target/bench/mineral-cds-bench.jar population --fhir BASE [--patients N]
            java -jar target/bench/mineral-cds-bench.jar queryplans --fhir BASE [--patients N]
            java -jar target/bench/mineral-cds-bench.jar generate [FILE]
            java -jar target/bench/mineral-cds-bench.jar memory fill|feedback|analytics --data-dir DIR
            """);
      }
    }
  }
}
