package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class PseudonymsTest {

  private static final String SECRET = "a-secret-of-32-characters-length";

  /** The HMAC computed from scratch, as the class documents it. */
  private static String expected(String secret, String server, String patient) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update(server.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    return HexFormat.of().formatHex(mac.doFinal(patient.getBytes(StandardCharsets.UTF_8)), 0, 16);
  }

  @Test
  void isTheKeyedHashOfServerAndPatient() throws Exception {
    Pseudonyms p = new Pseudonyms(SECRET);
    assertThat(p.of("https://ehr.example/fhir", "123"))
        .isEqualTo(expected(SECRET, "https://ehr.example/fhir", "123"))
        .hasSize(32);
    assertThat(p.of(null, "123")).isEqualTo(expected(SECRET, "", "123"));
  }

  @Test
  void trailingSlashesNameTheSameServer() {
    Pseudonyms p = new Pseudonyms(SECRET);
    assertThat(p.of("https://ehr.example/fhir//", "1"))
        .isEqualTo(p.of("https://ehr.example/fhir", "1"));
    assertThat(Pseudonyms.withoutTrailingSlashes("///")).isEmpty();
    assertThat(Pseudonyms.withoutTrailingSlashes("a/b")).isEqualTo("a/b");
  }

  @Test
  void differsByPatientServerAndSecret() {
    Pseudonyms p = new Pseudonyms(SECRET);
    String one = p.of("https://ehr.example/fhir", "1");
    assertThat(p.of("https://ehr.example/fhir", "2")).isNotEqualTo(one);
    assertThat(p.of("https://other.example/fhir", "1")).isNotEqualTo(one);
    assertThat(new Pseudonyms(SECRET + "x").of("https://ehr.example/fhir", "1")).isNotEqualTo(one);
  }

  @Test
  void aFailedCallLeavesNothingBehindForTheNext() {
    Pseudonyms p = new Pseudonyms(SECRET);
    String before = p.of("https://ehr.example/fhir", "1");
    assertThatThrownBy(() -> p.of("https://half-hashed.example", null))
        .isInstanceOf(NullPointerException.class);
    assertThat(p.of("https://ehr.example/fhir", "1")).isEqualTo(before);
  }

  @Test
  void threadsAgree() throws Exception {
    Pseudonyms p = new Pseudonyms(SECRET);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> answers =
          IntStream.range(0, 400)
              .mapToObj(i -> pool.submit(() -> p.of("https://ehr.example/fhir", "p" + (i % 7))))
              .toList();
      for (int i = 0; i < answers.size(); i++) {
        assertThat(answers.get(i).get())
            .isEqualTo(expected(SECRET, "https://ehr.example/fhir", "p" + (i % 7)));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusesAShortSecret() {
    assertThatThrownBy(() -> new Pseudonyms("short")).isInstanceOf(IllegalArgumentException.class);
  }
}
