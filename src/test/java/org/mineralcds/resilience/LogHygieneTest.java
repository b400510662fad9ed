package org.mineralcds.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mineralcds.MineralCds;
import org.slf4j.LoggerFactory;

/**
 * Everything logged while the service handles tokens, JWTs and a patient's record: no secret and no
 * patient data may appear, only the one structured line per hook call.
 */
class LogHygieneTest {

  private static final String TOKEN = "tok-5f1c9a7e-SECRET";

  /** A JWT-shaped string (header.payload.signature); with no issuers configured it is unused. */
  private static final String JWT =
      "eyJhbGciOiJSUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImxvZy1oeWdpZW5lLWtpZCJ9"
          + ".eyJpc3MiOiJodHRwczovL2Voci5leGFtcGxlLm9yZyIsImp0aSI6ImxvZy1oeWdpZW5lLTdlMmEifQ"
          + ".bG9nLWh5Z2llbmUtc2lnbmF0dXJlLTRjOWQtZmFrZQ";

  private static final String PATIENT = "hypokalemia-on-furosemide";
  private static final String OBSERVATION = "hypokalemia-on-furosemide-k1";
  private static final String HOOK_INSTANCE = "6a0f7d52-0b3e-4c47-8e1d-9b5c2a7f4e10";

  @Test
  void noSecretOrPatientDataIsLoggedAndEachHookCallLogsOneLine() throws Exception {
    List<String> forbidden = new ArrayList<>(List.of(TOKEN, JWT, PATIENT, OBSERVATION));
    forbidden.addAll(List.of("3.1", "mmol/L"));
    forbidden.addAll(patientNames());

    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.setName("log-hygiene");
    appender.setContext(root.getLoggerContext());

    try (Support.StubFhir fhir = Support.scenarioServer()) {
      MineralCds service = Support.start(Support.defaultConfig());
      appender.start();
      root.addAppender(appender);
      try {
        String url = service.baseUrl() + Support.SERVICE_PATH;

        // 1. The FHIR-server path with a distinctive access token.
        ObjectNode viaServer = Support.hookRequest(PATIENT, fhir.base(), TOKEN);
        viaServer.put("hookInstance", HOOK_INSTANCE);
        HttpResponse<String> cards = Support.post(url, viaServer.toString());
        assertThat(cards.statusCode()).as(cards.body()).isEqualTo(200);
        JsonNode body = Support.JSON.readTree(cards.body());
        assertThat(body.path("cards").size()).isEqualTo(1);
        assertThat(cards.body()).contains("3.1 mmol/L").contains(OBSERVATION);
        assertThat(fhir.authorizations).isNotEmpty().allMatch(("Bearer " + TOKEN)::equals);

        // 2. An EHR JWT in Authorization (not checked while no issuer is configured).
        ObjectNode withPrefetch = Support.exampleRequest(PATIENT);
        withPrefetch.put("hookInstance", HOOK_INSTANCE);
        HttpResponse<String> withJwt =
            Support.post(
                url,
                withPrefetch.toString(),
                "Content-Type",
                "application/json",
                "Authorization",
                "Bearer " + JWT);
        assertThat(withJwt.statusCode()).as(withJwt.body()).isEqualTo(200);

        // 3. A failing call: the FHIR server cannot be reached.
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
          closedPort = socket.getLocalPort();
        }
        ObjectNode unreachable =
            Support.hookRequest(PATIENT, "http://127.0.0.1:" + closedPort + "/fhir", TOKEN);
        HttpResponse<String> failed = Support.post(url, unreachable.toString());
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(412);

        // 4. Feedback on the card.
        String cardId = body.path("cards").path(0).path("uuid").asText();
        String suggestionId =
            body.path("cards").path(0).path("suggestions").path(0).path("uuid").asText();
        String feedback =
            "{\"feedback\":[{\"card\":\""
                + cardId
                + "\",\"outcome\":\"accepted\",\"acceptedSuggestions\":[{\"id\":\""
                + suggestionId
                + "\"}],\"outcomeTimestamp\":\"2026-11-20T12:00:00Z\"}]}";
        HttpResponse<String> fb =
            Support.post(
                url + "/feedback",
                feedback,
                "Content-Type",
                "application/json",
                "Authorization",
                "Bearer " + JWT);
        assertThat(fb.statusCode()).as(fb.body()).isEqualTo(200);
      } finally {
        root.detachAppender(appender);
        appender.stop();
        service.close();
      }
    }

    List<String> lines;
    synchronized (appender) {
      lines = appender.list.stream().map(LogHygieneTest::text).toList();
    }
    String all = String.join("\n", lines);
    System.out.println("LogHygieneTest captured " + lines.size() + " events:\n" + all);

    for (String secret : forbidden) {
      assertThat(all).as("the logs must not contain %s", secret).doesNotContain(secret);
    }
    List<String> hookLines =
        lines.stream()
            .filter(l -> l.startsWith("hook call hookInstance=" + HOOK_INSTANCE))
            .collect(Collectors.toList());
    assertThat(hookLines).hasSize(2);
    assertThat(hookLines)
        .allMatch(l -> l.contains("rules=[potassium-low]") && l.contains("cards=1"));
    assertThat(lines).anyMatch(l -> l.startsWith("hook call ") && l.contains("outcome=412"));
    assertThat(lines).anyMatch(l -> l.startsWith("feedback ") && l.contains("outcome=accepted"));
  }

  private static String text(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    return event.getThrowableProxy() == null
        ? message
        : message + "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy());
  }

  /** Every given and family name of the scenario patient. */
  private static List<String> patientNames() throws Exception {
    JsonNode bundle = Support.JSON.readTree(Support.SCENARIOS.resolve(PATIENT + ".json").toFile());
    List<String> names = new ArrayList<>();
    for (JsonNode entry : bundle.path("entry")) {
      JsonNode resource = entry.path("resource");
      if (resource.path("resourceType").asText().equals("Patient")) {
        for (JsonNode name : resource.path("name")) {
          names.add(name.path("family").asText());
          name.path("given").forEach(g -> names.add(g.asText()));
        }
      }
    }
    assertThat(names).isNotEmpty().doesNotContain("");
    return names;
  }
}
