package org.mineralcds.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service as users run it: {@code java [jvm options] -jar target/mineral-cds.jar --port 0
 * [options]} in a process of its own, ready when it prints its listening line.
 */
final class ServiceProcess implements AutoCloseable {

  private static final String READY = "mineral-cds listening on ";

  final Process process;
  final String baseUrl;
  /** Nanoseconds from launch to the listening line. */
  final long startNanos;

  final AtomicLong outputLines = new AtomicLong();

  private ServiceProcess(Process process, String baseUrl, long startNanos) {
    this.process = process;
    this.baseUrl = baseUrl;
    this.startNanos = startNanos;
  }

  /** The given jar, else the service jar the bench build put beside the bench jar. */
  static Path jar(String given) {
    if (given != null) {
      return Path.of(given);
    }
    try {
      Path self =
          Path.of(ServiceProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return self.resolveSibling("mineral-cds.jar");
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return Path.of("target/bench/mineral-cds.jar");
    }
  }

  static ServiceProcess launch(Path jar, List<String> jvmOptions, List<String> serviceArgs)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException(
          jar + " not found: run mvn -B -Pbench -DskipTests package");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    command.add("--port");
    command.add("0");
    command.addAll(serviceArgs);
    long launched = System.nanoTime();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = new CompletableFuture<>();
    List<String> early = new ArrayList<>();
    AtomicLong lines = new AtomicLong();
    Thread reader =
        new Thread(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  lines.incrementAndGet();
                  if (!ready.isDone()) {
                    if (line.startsWith(READY)) {
                      ready.complete(line.substring(READY.length()).trim());
                    } else if (early.size() < 50) {
                      early.add(line);
                    }
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              ready.complete(null);
            },
            "service-output");
    reader.setDaemon(true);
    reader.start();
    String url;
    try {
      url = ready.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("the service did not start within 60 s: " + early, e);
    }
    long started = System.nanoTime() - launched;
    if (url == null) {
      throw new IllegalStateException("the service exited: " + String.join("\n", early));
    }
    ServiceProcess service = new ServiceProcess(process, url, started);
    service.outputLines.set(lines.get());
    return service;
  }

  /** Resident set size in MiB (VmRSS of /proc/PID/status), or -1 when not on Linux. */
  long rssMiB() {
    return rssMiB(process.pid());
  }

  /** CPU time (user + system) the process has used, in milliseconds, or -1 when not on Linux. */
  long cpuMillis() {
    try {
      String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
      // Fields after the command name (which is in parentheses and may contain spaces).
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
      return ticks * 1000 / 100; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The machine's load averages (1, 5, 15 min), to judge how shared the CPU was. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  static long rssMiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
