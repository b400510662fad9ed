package org.mineralcds.realserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Posts Synthea's transaction bundles to a FHIR server over HTTP: hospitals and practitioners first
 * (patients' bundles refer to them by conditional references), then the patients.
 */
final class Loader {

  private static final Pattern TOTAL = Pattern.compile("\"total\"\\s*:\\s*(\\d+)");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 200;
  private static final Pattern CONDITIONAL =
      Pattern.compile("^(Practitioner|PractitionerRole|Organization|Location)\\?[a-z_-]+=.+");

  private final String base;
  private final int threads;
  private final Set<String> skipTypes;
  private final Map<String, String> conditional = new ConcurrentHashMap<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Loader(String base, int threads, Set<String> skipTypes) {
    this.base = base;
    this.threads = Math.max(1, threads);
    this.skipTypes = Set.copyOf(skipTypes);
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
                  postInChunks(file, bytes, largest, largestEntries);
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
    record(body.length, countEntries(body), largest, largestEntries);
    send(file.getFileName().toString(), body);
  }

  private static synchronized void record(
      long size, long entries, AtomicLong largest, AtomicLong largestEntries) {
    if (size > largest.get()) {
      largest.set(size);
      largestEntries.set(entries);
    }
  }

  /**
   * A patient's bundle as transactions of {@link #CHUNK} entries: HAPI's cost per entry grows with
   * the size of a transaction (one persistence context for all of it), so Synthea's bundles of
   * 1,000-5,000 entries load many times faster cut up. To make the pieces independent, every entry
   * becomes a PUT with Synthea's own uuid as its id ({@code urn:uuid:X} references become {@code
   * Type/X}) and conditional references to practitioners, organisations and locations are resolved
   * once, here. Entries of {@link #skipTypes} are left out.
   */
  private void postInChunks(
      Path file, AtomicLong bytes, AtomicLong largest, AtomicLong largestEntries)
      throws IOException, InterruptedException {
    byte[] body = Files.readAllBytes(file);
    bytes.addAndGet(body.length);
    JsonNode bundle = JSON.readTree(body);
    JsonNode entries = bundle.path("entry");
    record(body.length, entries.size(), largest, largestEntries);
    Map<String, String> local = new HashMap<>();
    for (JsonNode entry : entries) {
      String fullUrl = entry.path("fullUrl").asText("");
      String type = entry.path("resource").path("resourceType").asText();
      if (fullUrl.startsWith("urn:uuid:")) {
        local.put(fullUrl, type + "/" + fullUrl.substring("urn:uuid:".length()));
      }
    }
    List<ObjectNode> chunk = new ArrayList<>();
    for (JsonNode entry : entries) {
      ObjectNode resource = (ObjectNode) entry.path("resource");
      String type = resource.path("resourceType").asText();
      if (skipTypes.contains(type)) {
        continue;
      }
      String reference = local.get(entry.path("fullUrl").asText(""));
      if (reference == null) {
        throw new IllegalStateException(file.getFileName() + ": an entry without urn:uuid fullUrl");
      }
      resource.put("id", reference.substring(reference.indexOf('/') + 1));
      rewriteReferences(resource, local);
      ObjectNode put = JSON.createObjectNode();
      put.put("fullUrl", reference);
      put.set("resource", resource);
      put.putObject("request").put("method", "PUT").put("url", reference);
      chunk.add(put);
      if (chunk.size() == CHUNK) {
        sendChunk(file, chunk);
      }
    }
    if (!chunk.isEmpty()) {
      sendChunk(file, chunk);
    }
  }

  private void sendChunk(Path file, List<ObjectNode> chunk)
      throws IOException, InterruptedException {
    ObjectNode transaction = JSON.createObjectNode();
    transaction.put("resourceType", "Bundle");
    transaction.put("type", "transaction");
    ArrayNode entries = transaction.putArray("entry");
    chunk.forEach(entries::add);
    send(file.getFileName().toString(), JSON.writeValueAsBytes(transaction));
    chunk.clear();
  }

  private void rewriteReferences(JsonNode node, Map<String, String> local)
      throws IOException, InterruptedException {
    if (node instanceof ObjectNode object) {
      JsonNode reference = object.get("reference");
      if (reference != null && reference.isTextual()) {
        String value = reference.asText();
        String resolved = local.get(value);
        if (resolved == null && CONDITIONAL.matcher(value).matches()) {
          resolved = resolveConditional(value);
        }
        if (resolved != null) {
          object.put("reference", resolved);
        }
      }
      for (JsonNode child : object) {
        if (child.isContainerNode()) {
          rewriteReferences(child, local);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (JsonNode child : array) {
        rewriteReferences(child, local);
      }
    }
  }

  private String resolveConditional(String matchUrl) throws IOException, InterruptedException {
    String known = conditional.get(matchUrl);
    if (known != null) {
      return known;
    }
    int q = matchUrl.indexOf('?');
    String type = matchUrl.substring(0, q);
    StringBuilder query = new StringBuilder();
    for (String param : matchUrl.substring(q + 1).split("&")) {
      int eq = param.indexOf('=');
      query
          .append(query.length() == 0 ? "" : "&")
          .append(param, 0, eq + 1)
          .append(URLEncoder.encode(param.substring(eq + 1), StandardCharsets.UTF_8));
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/" + type + "?" + query + "&_elements=id"))
            .timeout(Duration.ofMinutes(2))
            .header("Accept", "application/fhir+json")
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode found = JSON.readTree(response.body()).path("entry");
    if (response.statusCode() != 200 || found.size() != 1) {
      throw new IllegalStateException(
          "conditional reference " + matchUrl + " matches " + found.size() + " resources");
    }
    String resolved = type + "/" + found.get(0).path("resource").path("id").asText();
    conditional.put(matchUrl, resolved);
    return resolved;
  }

  private void send(String name, byte[] body) throws IOException, InterruptedException {
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
              + name
              + " failed: HTTP "
              + response.statusCode()
              + " "
              + text.substring(0, Math.min(2000, text.length())));
    }
  }

  private static long countEntries(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
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
