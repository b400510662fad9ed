package org.mineralcds.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {

  @Test
  void controlCharactersAreEscapedSoAValueStaysOnOneLine() {
    assertThat(LogText.safe("a\nb\rc\td\u0000e\u001bf\u0085g\u2028h\u2029i\u007f"))
        .isEqualTo("a\\nb\\rc\\td\\u0000e\\u001bf\\u0085g\\u2028h\\u2029i\\u007f");
  }

  @Test
  void backslashesAndQuotesAreEscapedSoEscapesCannotBeForged() {
    assertThat(LogText.safe("x\\ny\"")).isEqualTo("x\\\\ny\\\"");
    assertThat(LogText.quoted("a b=c")).isEqualTo("\"a b=c\"");
  }

  @Test
  void longValuesAreCappedWithTheirLength() {
    String capped = LogText.safe("x".repeat(10_000));
    assertThat(capped).startsWith("x".repeat(LogText.MAX_CHARS)).endsWith("...(10000 chars)");
    assertThat(capped.length()).isLessThan(LogText.MAX_CHARS + 20);
  }

  @Test
  void nullIsADash() {
    assertThat(LogText.safe(null)).isEqualTo("-");
    assertThat(LogText.quoted(null)).isEqualTo("-");
  }
}
