package org.mineralcds.rules;

import java.util.LinkedHashSet;
import java.util.Set;
import org.mineralcds.clinical.Analyte;

/**
 * A test the service may suggest.
 *
 * @param analyte results of this analyte's family count as "already resulted"
 * @param satisfiedBy further analytes whose recent results make the test unnecessary
 */
public record TestSpec(
    String id,
    String loinc,
    String display,
    String label,
    Analyte analyte,
    Set<Analyte> satisfiedBy) {

  public TestSpec {
    satisfiedBy = Set.copyOf(satisfiedBy);
  }

  public TestSpec(String id, String loinc, String display, String label, Analyte analyte) {
    this(id, loinc, display, label, analyte, Set.of());
  }

  /** The analyte and every analyte that satisfies it. */
  public Set<Analyte> answeredBy() {
    Set<Analyte> all = new LinkedHashSet<>();
    all.add(analyte);
    all.addAll(satisfiedBy);
    return all;
  }
}
