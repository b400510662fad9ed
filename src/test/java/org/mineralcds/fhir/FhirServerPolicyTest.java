package org.mineralcds.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FhirServerPolicyTest {

  private static final FhirServerPolicy DEFAULT = new FhirServerPolicy(List.of());
  private static final FhirServerPolicy CONFIGURED =
      new FhirServerPolicy(List.of("https://ehr.example.org/fhir", "http://10.0.0.5/fhir/"));

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1/fhir",
        "http://127.0.0.1:8080/fhir",
        "https://127.9.9.9/fhir",
        "http://[::1]:8080/fhir",
        "http://[0:0:0:0:0:0:0:1]/fhir",
        "http://localhost:8080/fhir",
        "HTTP://LOCALHOST/fhir"
      })
  void loopbackLiteralsAreAllowedWithoutConfiguration(String url) {
    assertThat(DEFAULT.permits(url)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://10.0.0.5/fhir", "https://ehr.example.org/fhir"})
  void otherServersAreRefusedByDefault(String url) {
    assertThat(DEFAULT.permits(url)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://10.0.0.5/fhir",
        "http://10.0.0.5/fhir/",
        "https://ehr.example.org/fhir",
        "https://ehr.example.org/fhir/",
        "HTTPS://EHR.EXAMPLE.ORG/fhir/R4"
      })
  void serversUnderAConfiguredPrefixAreAllowed(String url) {
    assertThat(CONFIGURED.permits(url)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://ehr.example.org/fhirevil",
        "https://ehr.example.org.evil.com/fhir",
        "http://ehr.example.org/fhir",
        "https://ehr.example.org:8443/fhir",
        "http://10.0.0.50/fhir",
        "https://other.example.org/fhir"
      })
  void serversOutsideTheConfiguredPrefixesAreRefused(String url) {
    assertThat(CONFIGURED.permits(url)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "file:///etc/passwd",
        "file://127.0.0.1/etc/passwd",
        "ftp://127.0.0.1/fhir",
        "gopher://localhost/",
        "jar:http://127.0.0.1/x.jar!/",
        "http://user:pw@127.0.0.1/",
        "http://user@localhost/fhir",
        "https://ehr.example.org@127.0.0.1/fhir",
        "http://127.0.0.1@evil.com/",
        "http://127.0.0.1.evil.com/fhir",
        "http://localhost.evil.com/fhir",
        "http://127.0.0.1.nip.io/",
        "http://1.127.0.0.1/",
        "http://127.0.0.1000/",
        "http:///fhir",
        "/fhir",
        "not a url",
        ""
      })
  void unsafeOrMalformedUrlsAreRefused(String url) {
    assertThat(DEFAULT.permits(url)).isFalse();
    assertThat(CONFIGURED.permits(url)).isFalse();
  }

  @Test
  void userInfoIsRefusedEvenUnderAConfiguredPrefix() {
    FhirServerPolicy policy = new FhirServerPolicy(List.of("https://ehr.example.org/"));

    assertThat(policy.permits("https://ehr.example.org/fhir")).isTrue();
    assertThat(policy.permits("https://admin:secret@ehr.example.org/fhir")).isFalse();
  }

  @Test
  void loopbackRecognitionIsByLiteralOnly() {
    assertThat(FhirServerPolicy.isLoopback("127.0.0.1")).isTrue();
    assertThat(FhirServerPolicy.isLoopback("[::1]")).isTrue();
    assertThat(FhirServerPolicy.isLoopback("LocalHost")).isTrue();
    assertThat(FhirServerPolicy.isLoopback("127.0.0.1.evil.com")).isFalse();
    assertThat(FhirServerPolicy.isLoopback("0.0.0.0")).isFalse();
    assertThat(FhirServerPolicy.isLoopback("10.0.0.5")).isFalse();
  }
}
