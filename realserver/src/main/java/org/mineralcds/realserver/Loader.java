package org.mineralcds.realserver;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Posts Synthea's transaction bundles to a FHIR server over HTTP: hospitals and practitioners
 * first (patients' bundles refer to them by conditional references), then the patients.
 */
final class Loader {

  private static final Pattern TOTAL = Pattern.compile("\"total\"\\s*:\\s*(\\d+)");

  private final String base;
  private final int threads;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Loader(String base, int threads) {
    this.base = base;
    this.threads = Math.max(1, threads);
  }

  record Result(int patients, long bytes, long largestBundle, int largestEntries, double seconds) {
    @Override
    public String toString() {
      return String.format(
          "loaded %d patients, %.1f MB of bundles (largest %.1f MB, %d entries) in %.1f s",
          patients, bytes / 1e6, largestBundle / 1e6, largestEntries, seconds);
    }
  }

  Result load(Path fhir) throws Exception {
    long started = System.nanoTime();
    List<Path> shared = new ArrayList<>();
    List<Path> patients = new ArrayList<>();
    try (Stream<Path> files = Files.list(fhir)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        if (!name.endsWith(".json")) {
          continue;
        }
        if (name.startsWith("hospitalInformation") || name.startsWith("practitionerInformation")) {
          shared.add(file);
        } else {
          patients.add(file);
        }
      }
    }
    // Hospitals before practitioners (roles refer to organisations), both before patients.
    shared.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    AtomicLong bytes = new AtomicLong();
    AtomicLong largest = new AtomicLong();
    AtomicLong largestEntries = new AtomicLong();
    for (Path file : shared) {
      post(file, bytes, largest, largestEntries);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Path file : patients) {
        done.add(
            pool.submit(
                () -> {
                  post(file, bytes, largest, largestEntries);
                  return null;
                }));
      }
      int count = 0;
      for (Future<?> f : done) {
        f.get();
        count++;
        if (count % 10 == 0 || count == patients.size()) {
          System.out.printf(
              "real-server: loaded %d/%d patients (%.0f s)%n",
              count, patients.size(), (System.nanoTime() - started) / 1e9);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Result(
        patients.size(),
        bytes.get(),
        largest.get(),
        (int) largestEntries.get(),
        (System.nanoTime() - started) / 1e9);
  }

  private void post(Path file, AtomicLong bytes, AtomicLong largest, AtomicLong largestEntries)
      throws IOException, InterruptedException {
    byte[] body = Files.readAllBytes(file);
    bytes.addAndGet(body.length);
    if (body.length > largest.get()) {
      largest.set(body.length);
      largestEntries.set(countEntries(body));
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base))
            .timeout(Duration.ofMinutes(15))
            .header("Content-Type", "application/fhir+json")
            .header("Prefer", "return=minimal")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      String text = response.body();
      throw new IllegalStateException(
          "loading "
              + file.getFileName()
              + " failed: HTTP "
              + response.statusCode()
              + " "
              + text.substring(0, Math.min(2000, text.length())));
    }
  }

  private static long countEntries(byte[] body) {
    String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
    return Pattern.compile("\"fullUrl\"").matcher(text).results().count();
  }

  /** The number of resources of a type the server holds ({@code _summary=count}). */
  long count(String type) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/" + type + "?_summary=count"))
            .timeout(Duration.ofMinutes(5))
            .header("Accept", "application/fhir+json")
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    Matcher m = TOTAL.matcher(response.body());
    if (response.statusCode() != 200 || !m.find()) {
      throw new IllegalStateException("counting " + type + ": HTTP " + response.statusCode());
    }
    return Long.parseLong(m.group(1));
  }
}
