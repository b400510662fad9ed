package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.auth.AuthTestSupport.CLOCK;
import static org.mineralcds.auth.AuthTestSupport.SERVICE_PATH;
import static org.mineralcds.auth.AuthTestSupport.bearer;
import static org.mineralcds.auth.AuthTestSupport.claims;
import static org.mineralcds.auth.AuthTestSupport.fileIssuer;
import static org.mineralcds.auth.AuthTestSupport.post;
import static org.mineralcds.auth.AuthTestSupport.sign;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mineralcds.MineralCds;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.config.TestServiceConfigs;

/**
 * Issue 15, "allowlists widen silently": an issuer that lists its own FHIR servers may name only
 * those, even when the global {@code --allowed-fhir-servers} list names others; an issuer that
 * lists none uses the global list.
 */
class IssuerFhirServersTest {

  private static final String LIMITED = "https://limited-ehr.example.org";
  private static final String OPEN = "https://open-ehr.example.org";

  @Test
  void anIssuersOwnListIsTheBoundaryAndTheGlobalListServesIssuersWithoutOne(@TempDir Path dir)
      throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("k").generate();
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
    try (AuthTestSupport.StubServer fhir =
        new AuthTestSupport.StubServer(
            "application/fhir+json",
            path -> "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}")) {
      String own = fhir.url("/own");
      String global = fhir.url("/global");
      ServiceConfig config =
          TestServiceConfigs.of(
              "127.0.0.1",
              List.of(global),
              null,
              List.of(
                  fileIssuer(LIMITED, jwks, List.of(), List.of(), List.of(own)),
                  fileIssuer(OPEN, jwks, List.of(), List.of(), List.of())),
              false);
      MineralCds service = MineralCds.start(config, CLOCK);
      try {
        String url = service.baseUrl() + SERVICE_PATH;
        assertThat(call(url, key, LIMITED, own).statusCode()).isNotEqualTo(403);
        // The global list does not widen an issuer's own list: refused before any connection.
        int before = fhir.requests.get();
        HttpResponse<String> widened = call(url, key, LIMITED, global);
        assertThat(widened.statusCode()).as(widened.body()).isEqualTo(403);
        assertThat(fhir.requests.get()).isEqualTo(before);
        // An issuer without a list of its own uses the global list, and only it.
        assertThat(call(url, key, OPEN, global).statusCode()).isNotEqualTo(403);
        assertThat(call(url, key, OPEN, own).statusCode()).isEqualTo(403);
      } finally {
        service.close();
      }
    }
  }

  private static HttpResponse<String> call(String url, RSAKey key, String issuer, String server)
      throws Exception {
    String body =
        "{\"hook\":\"patient-view\",\"hookInstance\":\"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\","
            + "\"fhirServer\":\""
            + server
            + "\",\"fhirAuthorization\":{\"access_token\":\"t\",\"token_type\":\"Bearer\","
            + "\"expires_in\":300,\"scope\":\"patient/*.read\",\"subject\":\"s\"},"
            + "\"context\":{\"userId\":\"Practitioner/1\",\"patientId\":\"p1\"}}";
    return post(url, bearer(sign(key, JWSAlgorithm.RS384, claims(issuer, url).build())), body);
  }
}
