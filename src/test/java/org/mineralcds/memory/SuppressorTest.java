package org.mineralcds.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuppressorTest {

  static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  static final PatientMemory.Override WARNING_K =
      new PatientMemory.Override(
          "c1", "potassium-low", 1, 0.4, "Observation/k1", false, NOW.plus(Duration.ofDays(30)));

  static CardFacts card(int indicator, Double deviation, String result, boolean critical) {
    return new CardFacts(
        "c2",
        "potassium-low",
        indicator,
        "r",
        List.of("r"),
        result,
        "v",
        deviation,
        critical,
        List.of());
  }

  @Test
  void keepsTheProblemAwayUnlessMoreUrgentFurtherFromNormalOrNewlyCritical() {
    List<PatientMemory.Override> o = List.of(WARNING_K);
    assertThat(Suppressor.suppressing(card(1, 0.4, "Observation/k1", false), o, NOW)).isNotNull();
    assertThat(Suppressor.suppressing(card(1, 0.3, "Observation/k2", false), o, NOW)).isNotNull();
    assertThat(Suppressor.suppressing(card(2, null, null, false), o, NOW)).isNotNull();
    assertThat(Suppressor.suppressing(card(1, 0.5, "Observation/k2", false), o, NOW)).isNull();
    assertThat(Suppressor.suppressing(card(0, 0.4, "Observation/k1", false), o, NOW)).isNull();
    assertThat(Suppressor.suppressing(card(1, 0.4, "Observation/k3", true), o, NOW)).isNull();
    assertThat(
            Suppressor.suppressing(
                card(1, 0.4, "Observation/k1", false), o, NOW.plus(Duration.ofDays(30))))
        .isNull();
  }

  @Test
  void resultNotTrustedKeepsOnlyThatResultAway() {
    PatientMemory.Override untrusted =
        new PatientMemory.Override(
            "c1", "potassium-low", 1, 0.4, "Observation/k1", true, NOW.plus(Duration.ofDays(30)));
    assertThat(
            Suppressor.suppressing(card(1, 0.4, "Observation/k1", false), List.of(untrusted), NOW))
        .isNotNull();
    assertThat(
            Suppressor.suppressing(card(1, 0.1, "Observation/k2", false), List.of(untrusted), NOW))
        .isNull();
  }

  @Test
  void anAcceptedTestIsPendingUntilAResultCollectedAfterAcceptanceOrTheWindowEnds() {
    PatientMemory.AcceptedTest mg =
        new PatientMemory.AcceptedTest("s", "19123-9", NOW, NOW.plus(Duration.ofDays(7)), null);
    assertThat(Suppressor.pendingTests(List.of(mg), l -> null, NOW)).containsExactly("19123-9");
    assertThat(Suppressor.pendingTests(List.of(mg), l -> NOW.minus(Duration.ofDays(3)), NOW))
        .containsExactly("19123-9");
    assertThat(Suppressor.pendingTests(List.of(mg), l -> NOW.plus(Duration.ofHours(5)), NOW))
        .isEmpty();
    assertThat(Suppressor.pendingTests(List.of(mg), l -> null, NOW.plus(Duration.ofDays(7))))
        .isEmpty();
  }

  @Test
  void pseudonymsDependOnTheKeyServerAndPatientAndHideTheId() {
    Pseudonyms a = new Pseudonyms("0123456789abcdef-secret");
    Pseudonyms b = new Pseudonyms("another-secret-0123456789");
    assertThat(a.of("http://x/fhir", "p1")).isEqualTo(a.of("http://x/fhir/", "p1"));
    assertThat(a.of("http://x/fhir", "p1")).isNotEqualTo(a.of("http://y/fhir", "p1"));
    assertThat(a.of("http://x/fhir", "p1")).isNotEqualTo(a.of("http://x/fhir", "p2"));
    assertThat(a.of("http://x/fhir", "p1")).isNotEqualTo(b.of("http://x/fhir", "p1"));
    assertThat(a.of("http://x/fhir", "p1")).matches("[0-9a-f]{32}");
  }
}
