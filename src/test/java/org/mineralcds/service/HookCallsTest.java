package org.mineralcds.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HookCallsTest {

  @Test
  void callerTextIsLoggedAsTheRegexReplacementTruncatedGivesIt() {
    Random random = new Random(9);
    String alphabet = "aZ09._:-_ /\\\"\n\r\t=é\u2028{}";
    List<String> texts =
        new ArrayList<>(
            List.of(
                "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                "",
                "a".repeat(80),
                "x\uD83D\uDE00y",
                "key=value\nforged=1"));
    for (int i = 0; i < 5_000; i++) {
      StringBuilder text = new StringBuilder();
      for (int k = random.nextInt(70); k > 0; k--) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      texts.add(text.toString());
    }
    for (String text : texts) {
      String expected = text.replaceAll("[^A-Za-z0-9._:-]", "_");
      expected = expected.length() > 64 ? expected.substring(0, 64) : expected;
      assertThat(HookCalls.loggable(text)).isEqualTo(expected);
    }
  }
}
