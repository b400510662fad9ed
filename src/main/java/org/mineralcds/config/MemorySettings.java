package org.mineralcds.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The service's memory: where the card log, feedback and suppressions are kept, and how they act.
 *
 * @param enabled keep a memory at all (off for the check command and for tests that build the
 *     configuration by hand)
 * @param dataDir directory of the embedded database, used when {@code databaseUrl} is null
 * @param databaseUrl a {@code jdbc:postgresql://} URL, or null for the embedded database
 * @param databaseUser from MINERALCDS_DATABASE_USER, or null
 * @param databasePassword from MINERALCDS_DATABASE_PASSWORD, or null; never logged
 * @param pseudonymSecret key of the patient pseudonym (HMAC of fhirServer and patient id), or null
 *     to use the one generated at the first start and kept in the database
 * @param retentionDays card log rows (and their feedback) older than this are deleted
 * @param suppressionDays how long an overridden card stays away, by default
 * @param suppressionDaysByReason the same per override reason code
 * @param acceptedTestDays how long an accepted test is not offered again when its rule names no
 *     window (until a result arrives)
 * @param silentIssuers issuers (or {@code local}) whose cards are computed and logged, not returned
 * @param silentRules rule ids whose cards are computed and logged, not returned
 * @param managementPort port of the admin endpoints (analytics), or -1 for none (then they are
 *     served on the main port to loopback callers only while no issuer is configured)
 * @param overrideFlagPercent rules overridden at least this often are flagged for review
 */
public record MemorySettings(
    boolean enabled,
    Path dataDir,
    String databaseUrl,
    String databaseUser,
    String databasePassword,
    String pseudonymSecret,
    int retentionDays,
    int suppressionDays,
    Map<String, Integer> suppressionDaysByReason,
    int acceptedTestDays,
    List<String> silentIssuers,
    List<String> silentRules,
    int managementPort,
    int overrideFlagPercent) {

  public MemorySettings {
    suppressionDaysByReason = Map.copyOf(suppressionDaysByReason);
    silentIssuers = List.copyOf(silentIssuers);
    silentRules = List.copyOf(silentRules);
  }

  /** No memory: feedback is validated and logged only, nothing is suppressed. */
  public static MemorySettings disabled() {
    return new MemorySettings(
        false, null, null, null, null, null, 365, 30, Map.of(), 30, List.of(), List.of(), -1, 50);
  }

  /** The embedded database in {@code dir}, every other setting at its default. */
  public static MemorySettings embedded(Path dir) {
    return new MemorySettings(
        true, dir, null, null, null, null, 365, 30, Map.of(), 30, List.of(), List.of(), -1, 50);
  }

  /** PostgreSQL at {@code url}, every other setting at its default. */
  public static MemorySettings postgres(String url, String user, String password) {
    return new MemorySettings(
        true, null, url, user, password, null, 365, 30, Map.of(), 30, List.of(), List.of(), -1, 50);
  }

  public MemorySettings withSilent(List<String> issuers, List<String> rules) {
    return new MemorySettings(
        enabled,
        dataDir,
        databaseUrl,
        databaseUser,
        databasePassword,
        pseudonymSecret,
        retentionDays,
        suppressionDays,
        suppressionDaysByReason,
        acceptedTestDays,
        issuers,
        rules,
        managementPort,
        overrideFlagPercent);
  }

  public MemorySettings withManagementPort(int port) {
    return new MemorySettings(
        enabled,
        dataDir,
        databaseUrl,
        databaseUser,
        databasePassword,
        pseudonymSecret,
        retentionDays,
        suppressionDays,
        suppressionDaysByReason,
        acceptedTestDays,
        silentIssuers,
        silentRules,
        port,
        overrideFlagPercent);
  }

  @Override
  public String toString() {
    return "MemorySettings[enabled="
        + enabled
        + ", dataDir="
        + dataDir
        + ", databaseUrl="
        + databaseUrl
        + ", password="
        + (databasePassword == null ? "none" : "***")
        + "]";
  }
}
