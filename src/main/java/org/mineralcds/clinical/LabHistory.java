package org.mineralcds.clinical;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The usable results per analyte, newest first: duplicates dropped (the same result from the lab
 * interface and from an HIE copy), and a preliminary result dropped when a final, amended or
 * corrected result exists for the same collection time.
 */
public final class LabHistory {

  private static final Comparator<LabResult> NEWEST_FIRST =
      Comparator.comparing(LabResult::effective).reversed();

  private final Map<Analyte, List<LabResult>> byAnalyte = new EnumMap<>(Analyte.class);

  public LabHistory(Collection<LabResult> results) {
    Map<String, LabResult> unique = new LinkedHashMap<>();
    for (LabResult r : results) {
      unique.merge(r.identity(), r, LabHistory::preferred);
    }
    Map<Analyte, List<LabResult>> grouped = new EnumMap<>(Analyte.class);
    for (LabResult r : unique.values()) {
      grouped.computeIfAbsent(r.analyte(), a -> new ArrayList<>()).add(r);
    }
    grouped.forEach(
        (analyte, list) -> {
          List<LabResult> kept = new ArrayList<>();
          for (LabResult r : list) {
            if (!r.status().isPreliminary() || list.stream().noneMatch(o -> supersedes(o, r))) {
              kept.add(r);
            }
          }
          kept.sort(NEWEST_FIRST);
          byAnalyte.put(analyte, List.copyOf(kept));
        });
  }

  private static LabResult preferred(LabResult a, LabResult b) {
    return rank(b.status()) > rank(a.status()) ? b : a;
  }

  private static int rank(ResultStatus status) {
    return switch (status) {
      case PRELIMINARY -> 0;
      case FINAL -> 1;
      case AMENDED, CORRECTED -> 2;
    };
  }

  private static boolean supersedes(LabResult candidate, LabResult preliminary) {
    if (candidate.status().isPreliminary()) {
      return false;
    }
    if (candidate.effectiveIsDateOnly() || preliminary.effectiveIsDateOnly()) {
      return candidate
          .effective()
          .truncatedTo(ChronoUnit.DAYS)
          .equals(preliminary.effective().truncatedTo(ChronoUnit.DAYS));
    }
    return candidate.effective().equals(preliminary.effective());
  }

  /** Usable results of the analyte, newest first. */
  public List<LabResult> all(Analyte analyte) {
    return byAnalyte.getOrDefault(analyte, List.of());
  }

  public Optional<LabResult> latest(Analyte analyte) {
    return all(analyte).stream().findFirst();
  }

  /** The newest result collected at or after {@code since}. */
  public Optional<LabResult> latestSince(Analyte analyte, Instant since) {
    return latest(analyte).filter(r -> !r.effective().isBefore(since));
  }

  /** The result nearest in time to {@code when}, at most {@code maxDistanceSeconds} away. */
  public Optional<LabResult> nearest(Analyte analyte, Instant when, long maxDistanceSeconds) {
    return all(analyte).stream()
        .filter(
            r ->
                Math.abs(r.effective().getEpochSecond() - when.getEpochSecond())
                    <= maxDistanceSeconds)
        .min(
            Comparator.comparingLong(
                r -> Math.abs(r.effective().getEpochSecond() - when.getEpochSecond())));
  }
}
