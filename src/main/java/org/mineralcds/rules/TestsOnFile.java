package org.mineralcds.rules;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.mineralcds.clinical.LabCatalog;
import org.mineralcds.clinical.LabHistory;
import org.mineralcds.clinical.PendingOrder;

/** Whether a test is already resulted or ordered: the one rule every suggestion obeys. */
final class TestsOnFile {

  private TestsOnFile() {}

  /**
   * A result of the test's family (or of an analyte that satisfies it) collected since then; a
   * result hemolysis falsely raises, from a specimen marked hemolyzed, does not count: the test is
   * to be repeated on a new sample.
   */
  static boolean resultedSince(
      TestSpec test, LabHistory history, Instant since, LabCatalog catalog) {
    return test.answeredBy().stream()
        .anyMatch(
            a ->
                history.all(a).stream()
                    .filter(r -> !r.effective().isBefore(since))
                    .anyMatch(r -> !r.hemolyzed() || !catalog.spec(a).hemolysisRaises()));
  }

  /** A pending order carries the test's LOINC code or any code of its family. */
  static boolean ordered(TestSpec test, List<PendingOrder> pending, LabCatalog catalog) {
    Set<String> family = new HashSet<>();
    family.add(test.loinc());
    test.answeredBy().forEach(a -> family.addAll(catalog.codesOf(a)));
    return pending.stream().anyMatch(o -> o.loincCodes().stream().anyMatch(family::contains));
  }
}
