package org.mineralcds.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A FHIR server stand-in for the FHIR path: it answers each of the service's queries with the
 * realistic patient's data (RealisticRequest) after a fixed delay, without holding a thread while
 * it waits, and counts connections, requests and capability-statement (/metadata) calls.
 */
final class FhirStub implements AutoCloseable {

  private final Server server;
  private final ServerConnector connector;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Map<String, String> byKey = new LinkedHashMap<>();
  private final Map<String, String> templates = new LinkedHashMap<>();
  private final String patientSearch;
  final AtomicLong connections = new AtomicLong();
  final AtomicLong requests = new AtomicLong();
  final AtomicLong metadata = new AtomicLong();
  final AtomicLong unmatched = new AtomicLong();
  /** The longest time from a request's arrival to its response written, in nanoseconds. */
  final LongAccumulator slowestNanos = new LongAccumulator(Math::max, 0);

  FhirStub(long delayMillis, LocalDate today) throws Exception {
    RealisticRequest.searchsets(today).forEach((k, v) -> byKey.put(k, v.toString()));
    patientSearch = patientSearch();
    try (InputStream in =
        FhirStub.class.getResourceAsStream("/hooks/mineral-balance/service.yaml")) {
      JsonNode service = new ObjectMapper(new YAMLFactory()).readTree(in);
      service.path("prefetch").properties().forEach(e -> templates.put(e.getKey(), e.getValue().asText()));
    }
    QueuedThreadPool threads = new QueuedThreadPool(16, 2);
    threads.setName("fhir-stub");
    server = new Server(threads);
    connector = new ServerConnector(server, 1, 1);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.addEventListener(
        new Connection.Listener() {
          @Override
          public void onOpened(Connection connection) {
            connections.incrementAndGet();
          }
        });
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            long arrived = System.nanoTime();
            requests.incrementAndGet();
            String path = Request.getPathInContext(request);
            if (path.endsWith("/metadata")) {
              metadata.incrementAndGet();
            }
            String body = answer(path, Request.extractQueryParameters(request));
            if (body == null) {
              unmatched.incrementAndGet();
              response.setStatus(404);
              callback.succeeded();
              return true;
            }
            timer.schedule(
                () -> {
                  response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/fhir+json");
                  Content.Sink.write(
                      response,
                      true,
                      body,
                      Callback.from(
                          () -> {
                            slowestNanos.accumulate(System.nanoTime() - arrived);
                            callback.succeeded();
                          },
                          callback::failed));
                },
                delayMillis,
                TimeUnit.MILLISECONDS);
            return true;
          }
        });
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + connector.getLocalPort() + "/fhir";
  }

  /**
   * The answer to a search for the Patient by _id: a searchset with the patient and, as a server
   * honouring {@code _revinclude} adds them, the statements and dispenses of their keys.
   */
  private String patientSearch() {
    ObjectMapper json = new ObjectMapper();
    try {
      com.fasterxml.jackson.databind.node.ObjectNode bundle = json.createObjectNode();
      bundle.put("resourceType", "Bundle").put("type", "searchset");
      com.fasterxml.jackson.databind.node.ArrayNode entries = bundle.putArray("entry");
      entries.addObject().set("resource", json.readTree(byKey.get("patient")));
      for (String key : List.of("medicationStatements", "medicationDispenses")) {
        String included = byKey.get(key);
        if (included != null) {
          json.readTree(included).path("entry").forEach(entries::add);
        }
      }
      bundle.put("total", 1);
      return json.writeValueAsString(bundle);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The prefetch key whose template the query matches: the resource type, then the codes. */
  private String answer(String path, Fields query) {
    String relative = path.startsWith("/fhir/") ? path.substring("/fhir/".length()) : path;
    String type = relative.contains("/") ? relative.substring(0, relative.indexOf('/')) : relative;
    if (type.equals("Patient") && !relative.contains("/")) {
      return patientSearch;
    }
    for (Map.Entry<String, String> t : templates.entrySet()) {
      String template = t.getValue();
      String templateType = template.split("[/?]", 2)[0];
      if (!templateType.equals(type)) {
        continue;
      }
      if (relative.contains("/")) {
        return byKey.get(t.getKey()); // Patient/{id}: the resource itself
      }
      String code = query.getValue("code");
      if (code == null || template.contains("code=" + code + "&")) {
        return byKey.get(t.getKey());
      }
    }
    return null;
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("FHIR stub did not stop", e);
    } finally {
      timer.shutdownNow();
    }
  }
}
