package org.mineralcds.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JMH benchmark's operations timed in thread CPU time instead of wall time: on a machine
 * whose cores are shared with other work, wall time measures the sharing as much as the code,
 * while the CPU time a thread spends on one operation hardly depends on it. Same state, same
 * operations, same JVM for mineral-cds and the CQL engine; per operation, the median of several
 * rounds.
 */
final class CpuTimeBench {

  private static final String USAGE =
      """
      java -jar target/bench/mineral-cds-bench.jar cputime [options]
        --warmup S      warm-up seconds per operation (default 15)
        --rounds R      measured rounds per operation (default 7)
        --round S       seconds per round (default 3)
        --ops A,B       only these operations (default: all; names as printed)
      """;

  private CpuTimeBench() {}

  interface Op {
    Object run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = LoadBench.options(args);
    if (o.containsKey("help")) {
      System.out.print(USAGE);
      return;
    }
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "15"));
    int rounds = Integer.parseInt(o.getOrDefault("rounds", "7"));
    int round = Integer.parseInt(o.getOrDefault("round", "3"));
    EvaluateBenchmark b = new EvaluateBenchmark();
    b.setUp();
    Map<String, Op> ops = new LinkedHashMap<>();
    ops.put("hookCall", b::hookCall);
    ops.put("parse", b::parse);
    ops.put("parseNormaliseEvaluate", b::parseNormaliseEvaluate);
    ops.put("hapiParse", b::hapiParse);
    ops.put("evaluate", b::evaluate);
    ops.put("cqlEvaluate", b::cqlEvaluate);
    ops.put("cqlEvaluateReusedEngine", b::cqlEvaluateReusedEngine);
    ops.put("cqlParseEvaluate", b::cqlParseEvaluate);
    if (o.containsKey("ops")) {
      List<String> wanted = List.of(o.get("ops").split(","));
      for (String name : wanted) {
        if (!ops.containsKey(name)) {
          throw new IllegalArgumentException("unknown operation " + name + "; known: " + ops.keySet());
        }
      }
      ops.keySet().retainAll(wanted);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Double> medians = new LinkedHashMap<>();
    for (Map.Entry<String, Op> e : ops.entrySet()) {
      loop(e.getValue(), threads, warmup);
      List<Double> perOp = new ArrayList<>();
      List<Double> bytesPerOp = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        double[] measured = loop(e.getValue(), threads, round);
        perOp.add(measured[0]);
        bytesPerOp.add(measured[1]);
      }
      List<Double> sorted = perOp.stream().sorted().toList();
      double median = sorted.get(sorted.size() / 2);
      double bytes = bytesPerOp.stream().sorted().toList().get(bytesPerOp.size() / 2);
      medians.put(e.getKey(), median);
      System.out.printf(
          "%-24s median %10.1f us CPU/op, %8.1f KB allocated/op (rounds: %s) load avg %s%n",
          e.getKey(),
          median,
          bytes / 1e3,
          sorted.stream().map(d -> String.format("%.1f", d)).toList(),
          ServiceProcess.loadAverage());
    }
    b.tearDown();
    if (!medians.containsKey("cqlEvaluate")) {
      return;
    }
    System.out.printf(
        "%nRATIO cqlEvaluate / evaluate = %.0f (the CQL rule alone vs all of mineral-cds's rules)%n",
        medians.get("cqlEvaluate") / medians.get("evaluate"));
    System.out.printf(
        "RATIO cqlEvaluateReusedEngine / evaluate = %.0f%n",
        medians.get("cqlEvaluateReusedEngine") / medians.get("evaluate"));
    System.out.printf(
        "RATIO cqlParseEvaluate / parseNormaliseEvaluate = %.1f (from request JSON to decision)%n",
        medians.get("cqlParseEvaluate") / medians.get("parseNormaliseEvaluate"));
  }

  /**
   * Runs op for about {@code seconds} of CPU time; returns CPU microseconds and bytes allocated
   * (by this thread) per operation.
   */
  private static double[] loop(Op op, ThreadMXBean threads, int seconds) throws Exception {
    long budget = seconds * 1_000_000_000L;
    com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) threads;
    long allocatedBefore = allocation.getCurrentThreadAllocatedBytes();
    long start = threads.getCurrentThreadCpuTime();
    long used;
    long n = 0;
    Object sink = null;
    do {
      sink = op.run();
      n++;
      used = threads.getCurrentThreadCpuTime() - start;
    } while (used < budget);
    if (sink == null) {
      throw new IllegalStateException("no result");
    }
    long allocated = allocation.getCurrentThreadAllocatedBytes() - allocatedBefore;
    return new double[] {used / 1e3 / n, (double) allocated / n};
  }
}
