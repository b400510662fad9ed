package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.Test;
import org.mineralcds.fhir.FhirCall;
import org.mineralcds.fhir.FhirFetchException;
import org.mineralcds.fhir.HapiFhirFetcher;
import org.mineralcds.io.ByteBudget;
import org.mineralcds.observability.Metrics;

/**
 * What the FHIR client makes of a server's answers, read straight into JSON for the mapper: JSON
 * and XML alike, wrong or unknown resource types refused as unreadable, pages followed to the end
 * or the key failed, and connections reused whatever the status.
 */
class FhirServerAnswersTest {

  private static final String TOKEN = "answers-token-7c1d";
  private static final String OBSERVATION =
      "{\"resourceType\":\"Observation\",\"id\":\"k1\",\"status\":\"final\","
          + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2823-3\"}]},"
          + "\"subject\":{\"reference\":\"Patient/p1\"},"
          + "\"valueQuantity\":{\"value\":3.10,\"unit\":\"mmol/L\"}}";

  private final HapiFhirFetcher fetcher =
      new HapiFhirFetcher(
          FhirContext.forR4(),
          new HapiFhirFetcher.Settings(
              Duration.ofMillis(500), Duration.ofMillis(2000), 16, Set.of("_include", "_count")),
          new Metrics());

  private static final ByteBudget.Pool BYTES = new ByteBudget.Pool(64L * 1024 * 1024);

  /** A call of five seconds that may read up to 48 MiB (more than one answer's 32 MiB cap). */
  private static FhirCall deadline() {
    return new FhirCall(
        System.nanoTime() + Duration.ofSeconds(5).toNanos(), BYTES.forCall(48L * 1024 * 1024));
  }

  @Test
  void aJsonSearchsetIsReturnedAsSentWithExactDecimals() throws Exception {
    try (Support.StubFhir fhir = Support.answering(200, Support.searchset(OBSERVATION))) {
      List<JsonNode> pages =
          fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 3, deadline());

      assertThat(pages).hasSize(1);
      JsonNode value = pages.get(0).at("/entry/0/resource/valueQuantity/value");
      assertThat(value.decimalValue()).hasToString("3.10");
      assertThat(fhir.authorizations).containsExactly("Bearer " + TOKEN);
    }
  }

  @Test
  void anXmlAnswerIsReadByHapiAndHandedOnAsJson() throws Exception {
    String xml =
        "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"searchset\"/><entry><resource>"
            + "<Observation><id value=\"k1\"/><status value=\"final\"/><code><coding>"
            + "<system value=\"http://loinc.org\"/><code value=\"2823-3\"/></coding></code>"
            + "<valueQuantity><value value=\"3.1\"/><unit value=\"mmol/L\"/></valueQuantity>"
            + "</Observation></resource></entry></Bundle>";
    try (Support.StubFhir fhir =
        new Support.StubFhir(
            (stub, request, response, callback) ->
                Support.write(response, callback, 200, "application/fhir+xml", xml))) {
      List<JsonNode> pages =
          fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 3, deadline());

      JsonNode observation = pages.get(0).at("/entry/0/resource");
      assertThat(observation.path("resourceType").asText()).isEqualTo("Observation");
      assertThat(observation.at("/code/coding/0/code").asText()).isEqualTo("2823-3");
      assertThat(observation.at("/valueQuantity/value").decimalValue()).isEqualByComparingTo("3.1");
    }
  }

  @Test
  void aReadAnsweredWithAnotherResourceTypeIsUnreadable() throws Exception {
    try (Support.StubFhir fhir = Support.answering(200, OBSERVATION)) {
      assertThatThrownBy(() -> fetcher.fetch(fhir.base(), TOKEN, "Medication/m1", 1, deadline()))
          .isInstanceOf(FhirFetchException.class)
          .hasMessageContaining("could not be read as FHIR")
          .hasMessageContaining("Observation where a Medication was expected")
          .hasMessageNotContaining("2823-3");
    }
  }

  @Test
  void aBundleWithAnEntryOfNoKnownTypeIsUnreadable() throws Exception {
    try (Support.StubFhir fhir =
        Support.answering(
            200, Support.searchset(OBSERVATION, "{\"resourceType\":\"Labresult\"}"))) {
      assertThatThrownBy(
              () -> fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 3, deadline()))
          .isInstanceOf(FhirFetchException.class)
          .satisfies(e -> assertThat(((FhirFetchException) e).reason()).isEqualTo("unreadable"))
          .hasMessageContaining("unknown resourceType");
    }
  }

  @Test
  void anAnswerLargerThanTheCapIsRefusedWhileItIsRead() throws Exception {
    try (Support.StubFhir fhir =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              // No Content-Length: only counting the bytes as they arrive can find the size.
              response.setStatus(200);
              response.getHeaders().put("Content-Type", "application/fhir+json");
              byte[] spaces = new byte[1 << 20];
              Arrays.fill(spaces, (byte) ' ');
              try (OutputStream out = Content.Sink.asOutputStream(response)) {
                out.write("{\"resourceType\":\"Bundle\",".getBytes(StandardCharsets.UTF_8));
                for (long sent = 0;
                    sent <= HapiFhirFetcher.MAX_RESPONSE_BYTES;
                    sent += spaces.length) {
                  out.write(spaces);
                }
                out.write("\"type\":\"searchset\"}".getBytes(StandardCharsets.UTF_8));
              } catch (IOException clientGaveUp) {
                // Expected: the service stops reading at the cap.
              }
              callback.succeeded();
            })) {
      assertThatThrownBy(
              () -> fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 1, deadline()))
          .isInstanceOf(FhirFetchException.class)
          .hasMessageContaining("larger than " + HapiFhirFetcher.MAX_RESPONSE_BYTES + " bytes")
          .satisfies(e -> assertThat(((FhirFetchException) e).reason()).isEqualTo("too-large"));
    }
  }

  @Test
  void aMissingResourceIsNoDataButAnExpiredNextPageFailsTheKey() throws Exception {
    try (Support.StubFhir fhir =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              String target = Support.target(request);
              if (target.contains("page=2")) {
                Support.fhirJson(
                    response, callback, 410, "{\"resourceType\":\"OperationOutcome\"}");
              } else if (target.contains("Medication/")) {
                Support.fhirJson(
                    response, callback, 404, "{\"resourceType\":\"OperationOutcome\"}");
              } else {
                String first =
                    "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"link\":[{\"relation\":"
                        + "\"next\",\"url\":\""
                        + stub.base()
                        + "/Observation?_getpages=s1&page=2\"}],\"entry\":[{\"resource\":"
                        + OBSERVATION
                        + "}]}";
                Support.fhirJson(response, callback, 200, first);
              }
            })) {
      assertThat(fetcher.fetch(fhir.base(), TOKEN, "Medication/m1", 1, deadline())).isEmpty();
      // With one page allowed, the next link is not followed: what was asked for is complete.
      assertThat(fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 1, deadline()))
          .hasSize(1);
      assertThatThrownBy(
              () -> fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 3, deadline()))
          .isInstanceOf(FhirFetchException.class)
          .hasMessage("FHIR server answered HTTP 410");
    }
  }

  @Test
  void pagesAreFollowedOnTheSameServerUpToTheLimit() throws Exception {
    try (Support.StubFhir fhir =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              String target = Support.target(request);
              int page =
                  target.contains("page=") ? Integer.parseInt(target.replaceAll(".*page=", "")) : 1;
              String next =
                  ",\"link\":[{\"relation\":\"next\",\"url\":\""
                      + stub.base()
                      + "/Observation?_getpages=s1&page="
                      + (page + 1)
                      + "\"}]";
              Support.fhirJson(
                  response,
                  callback,
                  200,
                  "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"id\":\"page"
                      + page
                      + "\""
                      + next
                      + "}");
            })) {
      List<JsonNode> pages =
          fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 4, deadline());

      assertThat(pages)
          .extracting(p -> p.path("id").asText())
          .containsExactly("page1", "page2", "page3", "page4");
      assertThat(fhir.authorizations).hasSize(4).allMatch(("Bearer " + TOKEN)::equals);
    }
  }

  @Test
  void connectionsAreReusedAfterSuccessesAndErrorsAlike() throws Exception {
    Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    try (Support.StubFhir fhir =
        new Support.StubFhir(
            (stub, request, response, callback) -> {
              clientPorts.add(
                  ((InetSocketAddress) request.getConnectionMetaData().getRemoteSocketAddress())
                      .getPort());
              if (Support.target(request).contains("Medication/")) {
                Support.fhirJson(
                    response,
                    callback,
                    404,
                    "{\"resourceType\":\"OperationOutcome\",\"issue\":[]}");
              } else {
                Support.fhirJson(response, callback, 200, Support.searchset(OBSERVATION));
              }
            })) {
      for (int i = 0; i < 10; i++) {
        fetcher.fetch(fhir.base(), TOKEN, "Observation?patient=p1", 1, deadline());
        fetcher.fetch(fhir.base(), TOKEN, "Medication/m" + i, 1, deadline());
      }
      assertThat(fhir.requests.get()).isEqualTo(20);
      assertThat(clientPorts).hasSize(1);
    }
  }
}
