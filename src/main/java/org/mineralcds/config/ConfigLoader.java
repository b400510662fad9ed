package org.mineralcds.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the configuration, in one place: defaults, overridden by a YAML file ({@code --config} /
 * {@code MINERALCDS_CONFIG}), overridden by environment variables, overridden by command-line
 * options. Every problem is reported together. Trusted EHR issuers are structured, so they live in
 * the file only.
 *
 * <p>File keys are the option names without the dashes, in camelCase ({@code port}, {@code
 * corsOrigins}, {@code allowedFhirServers}, ...), plus {@code trustedIssuers}: a list of {@code
 * {issuer, jwksUrl | jwksFile, jkuAllowlist, tenants, fhirServers}}.
 */
public final class ConfigLoader {

  private record Setting(String option, String env, String defaultValue) {

    String fileKey() {
      String[] parts = option.substring(2).split("-");
      StringBuilder key = new StringBuilder(parts[0]);
      for (int i = 1; i < parts.length; i++) {
        key.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i].substring(1));
      }
      return key.toString();
    }
  }

  private static final List<Setting> SETTINGS =
      List.of(
          new Setting("--host", "MINERALCDS_HOST", "127.0.0.1"),
          new Setting("--port", "MINERALCDS_PORT", "8080"),
          new Setting("--public-base-url", "MINERALCDS_PUBLIC_BASE_URL", ""),
          new Setting("--cors-origins", "MINERALCDS_CORS_ORIGINS", "*"),
          new Setting("--allowed-fhir-servers", "MINERALCDS_ALLOWED_FHIR_SERVERS", ""),
          new Setting("--fhir-connect-timeout-ms", "MINERALCDS_FHIR_CONNECT_TIMEOUT_MS", "2500"),
          new Setting("--fhir-read-timeout-ms", "MINERALCDS_FHIR_READ_TIMEOUT_MS", "3000"),
          new Setting("--hook-deadline-ms", "MINERALCDS_HOOK_DEADLINE_MS", "4000"),
          new Setting(
              "--fhir-max-concurrent-requests",
              "MINERALCDS_FHIR_MAX_CONCURRENT_REQUESTS",
              Integer.toString(FhirLimits.DEFAULT_MAX_REQUESTS_PER_SERVER)),
          new Setting(
              "--fhir-max-bytes-per-call",
              "MINERALCDS_FHIR_MAX_BYTES_PER_CALL",
              Long.toString(FhirLimits.DEFAULT_MAX_BYTES_PER_CALL)),
          new Setting("--fhir-max-bytes-in-flight", "MINERALCDS_FHIR_MAX_BYTES_IN_FLIGHT", "0"),
          new Setting("--max-body-bytes", "MINERALCDS_MAX_BODY_BYTES", "10000000"),
          new Setting("--max-fhir-pages", "MINERALCDS_MAX_FHIR_PAGES", "10"),
          new Setting("--max-concurrent-hooks", "MINERALCDS_MAX_CONCURRENT_HOOKS", "32"),
          new Setting("--clock-skew-seconds", "MINERALCDS_CLOCK_SKEW_SECONDS", "60"),
          new Setting("--allow-sandbox-issuer", "MINERALCDS_ALLOW_SANDBOX_ISSUER", "false"),
          new Setting("--knowledge-dir", "MINERALCDS_KNOWLEDGE_DIR", ""),
          new Setting("--demo", "MINERALCDS_DEMO", "true"),
          new Setting("--now", "MINERALCDS_NOW", ""),
          new Setting(
              "--insecure-allow-remote-unauthenticated",
              "MINERALCDS_INSECURE_ALLOW_REMOTE_UNAUTHENTICATED",
              "false"),
          // Memory: card log, feedback, suppression, silent mode, analytics (MemorySettings).
          new Setting("--memory", "MINERALCDS_MEMORY", "true"),
          new Setting("--data-dir", "MINERALCDS_DATA_DIR", "data"),
          new Setting("--database-url", "MINERALCDS_DATABASE_URL", ""),
          new Setting("--pseudonym-secret", "MINERALCDS_PSEUDONYM_SECRET", ""),
          new Setting("--card-log-retention-days", "MINERALCDS_CARD_LOG_RETENTION_DAYS", "365"),
          new Setting("--suppression-days", "MINERALCDS_SUPPRESSION_DAYS", "30"),
          new Setting("--suppression-days-by-reason", "MINERALCDS_SUPPRESSION_DAYS_BY_REASON", ""),
          new Setting("--accepted-test-days", "MINERALCDS_ACCEPTED_TEST_DAYS", "30"),
          new Setting("--silent-issuers", "MINERALCDS_SILENT_ISSUERS", ""),
          new Setting("--silent-rules", "MINERALCDS_SILENT_RULES", ""),
          new Setting("--management-port", "MINERALCDS_MANAGEMENT_PORT", ""),
          new Setting("--override-flag-percent", "MINERALCDS_OVERRIDE_FLAG_PERCENT", "50"),
          // Operations: logs, plain http.
          new Setting("--log-level", "MINERALCDS_LOG_LEVEL", "info"),
          new Setting("--log-format", "MINERALCDS_LOG_FORMAT", "text"),
          new Setting("--allow-plain-http", "MINERALCDS_ALLOW_PLAIN_HTTP", "false"),
          new Setting("--proxy-retry-header", "MINERALCDS_PROXY_RETRY_HEADER", ""));

  /** Database credentials: from the environment only, never an option or the settings file. */
  public static final String DATABASE_USER_ENV = "MINERALCDS_DATABASE_USER";

  public static final String DATABASE_PASSWORD_ENV = "MINERALCDS_DATABASE_PASSWORD";

  private static final Setting CONFIG_FILE = new Setting("--config", "MINERALCDS_CONFIG", "");

  private ConfigLoader() {}

  /** Thrown with every problem found; the message is printed as is at start-up. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(List<String> problems) {
      super("invalid configuration:\n  - " + String.join("\n  - ", problems));
    }
  }

  public static ServiceConfig load(String[] args, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Map<String, String> cli = new LinkedHashMap<>();
    parseArgs(args, cli, problems);
    Map<String, String> values = new LinkedHashMap<>();
    SETTINGS.forEach(s -> values.put(s.option(), s.defaultValue()));
    String configFile = cli.getOrDefault("--config", env.getOrDefault("MINERALCDS_CONFIG", ""));
    List<TrustedIssuer> issuers = new ArrayList<>();
    if (!configFile.isBlank()) {
      readFile(Path.of(configFile), values, issuers, problems);
    }
    for (Setting s : SETTINGS) {
      if (env.containsKey(s.env())) {
        values.put(s.option(), env.get(s.env()));
      }
    }
    cli.forEach(
        (k, v) -> {
          if (!k.equals("--config")) {
            values.put(k, v);
          }
        });

    String host = values.get("--host");
    int port = integer(values, "--port", 0, 65535, problems);
    String publicBaseUrl = values.get("--public-base-url").trim();
    if (!publicBaseUrl.isEmpty() && !isHttpUrl(publicBaseUrl)) {
      problems.add("--public-base-url: '" + publicBaseUrl + "' is not an http(s) URL");
    }
    List<String> cors = list(values.get("--cors-origins"));
    List<String> fhirServers = list(values.get("--allowed-fhir-servers"));
    fhirServers.forEach(s -> requireHttpUrl("--allowed-fhir-servers", s, problems));
    Duration connect =
        Duration.ofMillis(integer(values, "--fhir-connect-timeout-ms", 1, 60_000, problems));
    Duration read =
        Duration.ofMillis(integer(values, "--fhir-read-timeout-ms", 1, 120_000, problems));
    Duration deadline =
        Duration.ofMillis(integer(values, "--hook-deadline-ms", 1, 120_000, problems));
    int maxBody = integer(values, "--max-body-bytes", 1024, Integer.MAX_VALUE, problems);
    int fhirRequests = integer(values, "--fhir-max-concurrent-requests", 1, 1024, problems);
    int bytesPerCall =
        integer(values, "--fhir-max-bytes-per-call", 64 * 1024, Integer.MAX_VALUE, problems);
    int bytesInFlight =
        integer(values, "--fhir-max-bytes-in-flight", 0, Integer.MAX_VALUE, problems);
    if (bytesInFlight != 0 && bytesInFlight < bytesPerCall) {
      problems.add(
          "--fhir-max-bytes-in-flight ("
              + bytesInFlight
              + ") must be 0 (a tenth of the heap) or at least --fhir-max-bytes-per-call ("
              + bytesPerCall
              + ")");
    }
    int maxPages = integer(values, "--max-fhir-pages", 1, 1000, problems);
    int concurrent = integer(values, "--max-concurrent-hooks", 1, 10_000, problems);
    Duration skew = Duration.ofSeconds(integer(values, "--clock-skew-seconds", 0, 600, problems));
    boolean sandbox = bool(values, "--allow-sandbox-issuer", problems);
    String dir = values.get("--knowledge-dir");
    Path knowledgeDir = dir.isBlank() ? null : Path.of(dir);
    if (knowledgeDir != null && !Files.isDirectory(knowledgeDir)) {
      problems.add("--knowledge-dir: " + dir + " is not a directory");
    }
    boolean demo = bool(values, "--demo", problems);
    boolean insecureRemote = bool(values, "--insecure-allow-remote-unauthenticated", problems);
    Instant now = parseNow(values.get("--now"), problems);
    if (!issuers.isEmpty() && publicBaseUrl.isEmpty()) {
      problems.add(
          "--public-base-url is required with trusted issuers: the JWT aud is checked against the"
              + " URL the EHR calls, which the Host header of a request cannot be trusted to give");
    }
    if (insecureRemote && (!issuers.isEmpty() || sandbox)) {
      problems.add(
          "--insecure-allow-remote-unauthenticated cannot be combined with trusted issuers:"
              + " with issuers configured every call must carry a valid JWT");
    }
    MemorySettings memory = memory(values, env, problems);
    Operations operations = operations(values, fhirServers, issuers, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new ServiceConfig(
        host,
        port,
        cors,
        fhirServers,
        connect,
        read,
        deadline,
        maxBody,
        maxPages,
        knowledgeDir,
        demo,
        insecureRemote,
        publicBaseUrl.isEmpty() ? null : publicBaseUrl.replaceAll("/+$", ""),
        concurrent,
        issuers,
        sandbox,
        skew,
        new FhirLimits(
            fhirRequests,
            bytesPerCall,
            bytesInFlight == 0 ? FhirLimits.defaultMaxBytesInFlight() : bytesInFlight),
        now,
        memory,
        operations);
  }

  /**
   * Log level and format, and the plain-http rule: JWKS, jku and FHIR server URLs in clear to a
   * host other than loopback stop start-up unless {@code --allow-plain-http} (a key fetched in
   * clear can be replaced, and an access token sent in clear can be read, by anyone on the path).
   */
  private static Operations operations(
      Map<String, String> values,
      List<String> fhirServers,
      List<TrustedIssuer> issuers,
      List<String> problems) {
    String level = values.get("--log-level").trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("error", "warn", "info", "debug").contains(level)) {
      problems.add("--log-level must be error, warn, info or debug, not '" + level + "'");
    }
    String format = values.get("--log-format").trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("text", "json").contains(format)) {
      problems.add("--log-format must be text or json, not '" + format + "'");
    }
    boolean allowPlain = bool(values, "--allow-plain-http", problems);
    if (!allowPlain) {
      List<String> plain = plainHttpUrls(fhirServers, issuers);
      if (!plain.isEmpty()) {
        problems.add(
            "plain-http URLs to hosts other than loopback: "
                + plain
                + " (use https, or start with --allow-plain-http true on a private network)");
      }
    }
    String retryHeader = values.get("--proxy-retry-header").trim();
    if (!retryHeader.isEmpty()) {
      if (!retryHeader.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
        problems.add(
            "--proxy-retry-header must be a header name (e.g. X-Request-ID), not '"
                + retryHeader
                + "'");
      } else if (RESERVED_HEADERS.contains(retryHeader.toLowerCase(java.util.Locale.ROOT))) {
        problems.add(
            "--proxy-retry-header cannot be "
                + retryHeader
                + ": it must be a header only the proxy sets (e.g. X-Request-ID)");
      }
    }
    return new Operations(level, format, allowPlain, retryHeader.isEmpty() ? null : retryHeader);
  }

  /** Headers a client sends and a proxy passes on: never a proxy's request id. */
  private static final Set<String> RESERVED_HEADERS =
      Set.of(
          "authorization",
          "content-type",
          "content-length",
          "host",
          "cookie",
          "origin",
          "user-agent",
          "transfer-encoding",
          "connection",
          "forwarded",
          "x-forwarded-for");

  /** The JWKS, jku and FHIR server URLs that would cross the network in clear. */
  public static List<String> plainHttpUrls(List<String> fhirServers, List<TrustedIssuer> issuers) {
    List<String> urls = new ArrayList<>(fhirServers);
    for (TrustedIssuer issuer : issuers) {
      if (issuer.jwksUrl() != null) {
        urls.add(issuer.jwksUrl());
      }
      urls.addAll(issuer.jkuAllowlist());
      urls.addAll(issuer.fhirServers());
    }
    return urls.stream().filter(Operations::plainHttpOffLoopback).distinct().toList();
  }

  /**
   * {@code --now}: an ISO instant ({@code 2026-11-20T12:00:00Z}) or a date ({@code 2026-11-20},
   * read as its start in UTC); blank for the wall clock. Shared with the check command.
   */
  public static Instant parseNow(String value, List<String> problems) {
    String v = value == null ? "" : value.trim();
    if (v.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      try {
        return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
      } catch (DateTimeParseException e2) {
        problems.add(
            "--now must be an ISO instant (2026-11-20T12:00:00Z) or a date (2026-11-20), not '"
                + v
                + "'");
        return null;
      }
    }
  }

  private static MemorySettings memory(
      Map<String, String> values, Map<String, String> env, List<String> problems) {
    boolean enabled = bool(values, "--memory", problems);
    String dataDir = values.get("--data-dir").trim();
    if (dataDir.isEmpty()) {
      problems.add("--data-dir must name a directory");
    }
    String url = values.get("--database-url").trim();
    if (!url.isEmpty() && !url.startsWith("jdbc:postgresql://")) {
      problems.add("--database-url must be a jdbc:postgresql://HOST:PORT/DB URL");
    }
    int retention = integer(values, "--card-log-retention-days", 1, 36_500, problems);
    int suppression = integer(values, "--suppression-days", 1, 3650, problems);
    Map<String, Integer> byReason = new LinkedHashMap<>();
    for (String pair : list(values.get("--suppression-days-by-reason"))) {
      String[] kv = pair.split("=", 2);
      try {
        int days = Integer.parseInt(kv.length == 2 ? kv[1].trim() : "");
        if (days < 1 || days > 3650 || kv[0].isBlank()) {
          throw new NumberFormatException();
        }
        byReason.put(kv[0].trim(), days);
      } catch (NumberFormatException e) {
        problems.add(
            "--suppression-days-by-reason: '"
                + pair
                + "' is not REASON=DAYS with DAYS between 1 and 3650");
      }
    }
    int acceptedDays = integer(values, "--accepted-test-days", 1, 3650, problems);
    String management = values.get("--management-port").trim();
    int managementPort =
        management.isEmpty() ? -1 : integer(values, "--management-port", 0, 65535, problems);
    int flag = integer(values, "--override-flag-percent", 1, 100, problems);
    String secret = values.get("--pseudonym-secret");
    if (!secret.isEmpty() && secret.length() < 16) {
      problems.add("--pseudonym-secret must be at least 16 characters");
    }
    return new MemorySettings(
        enabled,
        Path.of(dataDir.isEmpty() ? "data" : dataDir),
        url.isEmpty() ? null : url,
        env.get(DATABASE_USER_ENV),
        env.get(DATABASE_PASSWORD_ENV),
        secret.isEmpty() ? null : secret,
        retention,
        suppression,
        byReason,
        acceptedDays,
        list(values.get("--silent-issuers")),
        list(values.get("--silent-rules")),
        managementPort,
        flag);
  }

  private static void parseArgs(String[] args, Map<String, String> cli, List<String> problems) {
    List<String> known = new ArrayList<>();
    SETTINGS.forEach(s -> known.add(s.option()));
    known.add(CONFIG_FILE.option());
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      String value = null;
      int eq = name.indexOf('=');
      if (eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (!known.contains(name)) {
        problems.add("unknown option " + name + " (see --help)");
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          problems.add(name + " needs a value");
          continue;
        }
        value = args[++i];
      }
      cli.put(name, value);
    }
  }

  private static void readFile(
      Path file, Map<String, String> values, List<TrustedIssuer> issuers, List<String> problems) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
    } catch (IOException e) {
      problems.add("--config: cannot read " + file + ": " + e.getMessage());
      return;
    }
    if (root == null || !root.isObject()) {
      problems.add("--config: " + file + " must be a YAML map of settings");
      return;
    }
    Map<String, Setting> byKey = new LinkedHashMap<>();
    SETTINGS.forEach(s -> byKey.put(s.fileKey(), s));
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (e.getKey().equals("trustedIssuers")) {
        continue;
      }
      Setting s = byKey.get(e.getKey());
      if (s == null) {
        problems.add(
            file
                + ": unknown setting '"
                + e.getKey()
                + "' (known: "
                + byKey.keySet()
                + ", trustedIssuers)");
      } else if (e.getValue().isArray()) {
        List<String> items = new ArrayList<>();
        e.getValue().forEach(v -> items.add(v.asText()));
        values.put(s.option(), String.join(",", items));
      } else {
        values.put(s.option(), e.getValue().asText());
      }
    }
    JsonNode trusted = root.path("trustedIssuers");
    if (!trusted.isMissingNode() && !trusted.isNull() && !trusted.isArray()) {
      problems.add(file + ": 'trustedIssuers' must be a list of issuers");
    }
    List<String> issuerKeys =
        List.of("issuer", "jwksUrl", "jwksFile", "jkuAllowlist", "tenants", "fhirServers");
    Set<String> seenIssuers = new HashSet<>();
    int index = 0;
    for (JsonNode node : trusted.isArray() ? trusted : List.<JsonNode>of()) {
      String at = file + ": trustedIssuers[" + index++ + "]";
      if (!node.isObject()) {
        problems.add(at + ": must be a map with 'issuer' and its keys");
        continue;
      }
      node.fieldNames()
          .forEachRemaining(
              k -> {
                if (!issuerKeys.contains(k)) {
                  problems.add(at + ": unknown key '" + k + "' (known: " + issuerKeys + ")");
                }
              });
      String issuer = node.path("issuer").asText("");
      if (issuer.isBlank()) {
        problems.add(at + ": 'issuer' is required");
      } else if (!seenIssuers.add(issuer)) {
        problems.add(at + ": issuer '" + issuer + "' is listed twice; merge the entries");
      }
      String jwksUrl = node.hasNonNull("jwksUrl") ? node.get("jwksUrl").asText() : null;
      Path jwksFile =
          node.hasNonNull("jwksFile") ? resolve(file, node.get("jwksFile").asText()) : null;
      List<String> jku = strings(node.path("jkuAllowlist"));
      if (jwksUrl == null && jwksFile == null && jku.isEmpty()) {
        problems.add(
            at + ": needs 'jwksUrl', 'jwksFile' or 'jkuAllowlist' to find the issuer's keys");
      }
      if (jwksUrl != null && jwksFile != null) {
        problems.add(at + ": give 'jwksUrl' or 'jwksFile', not both");
      }
      if (jwksUrl != null) {
        requireHttpUrl(at + ".jwksUrl", jwksUrl, problems);
      }
      if (jwksFile != null && !Files.isRegularFile(jwksFile)) {
        problems.add(at + ".jwksFile: " + jwksFile + " does not exist");
      }
      jku.forEach(u -> requireHttpUrl(at + ".jkuAllowlist", u, problems));
      List<String> servers = strings(node.path("fhirServers"));
      servers.forEach(u -> requireHttpUrl(at + ".fhirServers", u, problems));
      issuers.add(
          new TrustedIssuer(
              issuer, jwksUrl, jwksFile, jku, strings(node.path("tenants")), servers));
    }
  }

  private static Path resolve(Path configFile, String path) {
    Path p = Path.of(path);
    Path parent = configFile.toAbsolutePath().getParent();
    return p.isAbsolute() || parent == null ? p : parent.resolve(p);
  }

  private static List<String> strings(JsonNode node) {
    List<String> out = new ArrayList<>();
    if (node.isArray()) {
      node.forEach(v -> out.add(v.asText()));
    } else if (node.isTextual()) {
      out.addAll(list(node.asText()));
    }
    return out;
  }

  private static boolean isHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
          && uri.getHost() != null;
    } catch (Exception e) {
      return false;
    }
  }

  private static void requireHttpUrl(String where, String url, List<String> problems) {
    if (!isHttpUrl(url)) {
      problems.add(where + ": '" + url + "' is not an http(s) URL");
    }
  }

  private static int integer(
      Map<String, String> values, String name, int min, int max, List<String> problems) {
    String v = values.get(name);
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        problems.add(name + " must be between " + min + " and " + max + ", not " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      problems.add(name + " must be a whole number, not '" + v + "'");
      return min;
    }
  }

  private static boolean bool(Map<String, String> values, String name, List<String> problems) {
    String v = values.get(name).trim();
    if (!v.equals("true") && !v.equals("false")) {
      problems.add(name + " must be true or false, not '" + v + "'");
    }
    return v.equals("true");
  }

  /** One line per option for --help: option, environment variable, default. */
  public static String describeOptions() {
    StringBuilder out = new StringBuilder();
    List<Setting> all = new ArrayList<>(SETTINGS);
    all.add(0, CONFIG_FILE);
    for (Setting s : all) {
      out.append(
          String.format(
              "  %-42s %-48s default: %s%n",
              s.option(), s.env(), s.defaultValue().isEmpty() ? "(none)" : s.defaultValue()));
    }
    return out.toString();
  }

  /** Every option with its environment variable, for documentation checks. */
  public static Map<String, String> optionsAndEnvironment() {
    Map<String, String> names = new LinkedHashMap<>();
    names.put(CONFIG_FILE.option(), CONFIG_FILE.env());
    SETTINGS.forEach(s -> names.put(s.option(), s.env()));
    return names;
  }

  private static List<String> list(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
