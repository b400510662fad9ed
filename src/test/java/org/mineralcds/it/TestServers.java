package org.mineralcds.it;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.mineralcds.MineralCds;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.config.TestServiceConfigs;
import org.mineralcds.demo.ScenarioFhirServer;
import org.mineralcds.demo.ScenarioStore;

/** The real parts an integration test needs: a HAPI FHIR server and the service, both on port 0. */
final class TestServers {

  static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  static final String PUBLIC_BASE_URL = "http://127.0.0.1:8080";
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private TestServers() {}

  /**
   * The service on any free port, answering as if published at the default address, so golden
   * responses (whose rule page links use the public base URL) do not depend on the port.
   */
  static ServiceConfig config() {
    return TestServiceConfigs.of("127.0.0.1", PUBLIC_BASE_URL, List.of(), false);
  }

  static MineralCds startService() {
    return MineralCds.start(config(), CLOCK);
  }

  /** A HAPI RestfulServer on Jetty loaded from fhir-resources/, recording Authorization headers. */
  static final class FhirServer implements AutoCloseable {
    final Server server;
    final List<String> authorizationHeaders = new CopyOnWriteArrayList<>();

    FhirServer() throws Exception {
      FhirContext fhir = FhirContext.forR4Cached();
      server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      Handler fhirHandler =
          ScenarioFhirServer.context("/fhir", fhir, ScenarioStore.loadScenarios(fhir, 0));
      server.setHandler(
          new Handler.Wrapper(fhirHandler) {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
                throws Exception {
              String auth = request.getHeaders().get("Authorization");
              authorizationHeaders.add(auth == null ? "" : auth);
              return super.handle(request, response, callback);
            }
          });
      server.start();
    }

    String base() {
      return "http://127.0.0.1:"
          + ((ServerConnector) server.getConnectors()[0]).getLocalPort()
          + "/fhir";
    }

    @Override
    public void close() {
      try {
        server.stop();
      } catch (Exception e) {
        throw new IllegalStateException("FHIR test server did not stop", e);
      }
    }
  }

  static HttpResponse<String> post(String url, String body)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode getJson(String url) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + url + " -> " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body());
  }
}
