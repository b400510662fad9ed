package org.mineralcds.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the configuration: command-line options override environment variables, which override the
 * embedded defaults. All problems are reported together.
 *
 * <pre>
 * option                 environment variable                  default
 * --host                 MINERALCDS_HOST                       127.0.0.1
 * --port                 MINERALCDS_PORT                       8080 (0 = any free port)
 * --cors-origins         MINERALCDS_CORS_ORIGINS               * (comma-separated origins)
 * --allowed-fhir-servers MINERALCDS_ALLOWED_FHIR_SERVERS       (none: loopback only)
 * --fhir-connect-timeout-ms MINERALCDS_FHIR_CONNECT_TIMEOUT_MS 1000
 * --fhir-read-timeout-ms MINERALCDS_FHIR_READ_TIMEOUT_MS       3000
 * --hook-deadline-ms     MINERALCDS_HOOK_DEADLINE_MS           4000
 * --max-body-bytes       MINERALCDS_MAX_BODY_BYTES             10000000
 * --max-fhir-pages       MINERALCDS_MAX_FHIR_PAGES             10
 * --knowledge-dir        MINERALCDS_KNOWLEDGE_DIR              (packaged hooks/)
 * --demo true|false      MINERALCDS_DEMO                       true
 * --insecure-allow-remote-unauthenticated true|false
 *                        MINERALCDS_INSECURE_ALLOW_REMOTE_UNAUTHENTICATED false
 * </pre>
 */
public final class ConfigLoader {

  private record Setting(String option, String env, String defaultValue) {}

  private static final List<Setting> SETTINGS =
      List.of(
          new Setting("--host", "MINERALCDS_HOST", "127.0.0.1"),
          new Setting("--port", "MINERALCDS_PORT", "8080"),
          new Setting("--cors-origins", "MINERALCDS_CORS_ORIGINS", "*"),
          new Setting("--allowed-fhir-servers", "MINERALCDS_ALLOWED_FHIR_SERVERS", ""),
          new Setting("--fhir-connect-timeout-ms", "MINERALCDS_FHIR_CONNECT_TIMEOUT_MS", "1000"),
          new Setting("--fhir-read-timeout-ms", "MINERALCDS_FHIR_READ_TIMEOUT_MS", "3000"),
          new Setting("--hook-deadline-ms", "MINERALCDS_HOOK_DEADLINE_MS", "4000"),
          new Setting("--max-body-bytes", "MINERALCDS_MAX_BODY_BYTES", "10000000"),
          new Setting("--max-fhir-pages", "MINERALCDS_MAX_FHIR_PAGES", "10"),
          new Setting("--knowledge-dir", "MINERALCDS_KNOWLEDGE_DIR", ""),
          new Setting("--demo", "MINERALCDS_DEMO", "true"),
          new Setting(
              "--insecure-allow-remote-unauthenticated",
              "MINERALCDS_INSECURE_ALLOW_REMOTE_UNAUTHENTICATED",
              "false"));

  private ConfigLoader() {}

  /** Thrown with every problem found; the message is printed as is at start-up. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(List<String> problems) {
      super("invalid configuration:\n  - " + String.join("\n  - ", problems));
    }
  }

  public static ServiceConfig load(String[] args, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Map<String, String> values = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      String v = env.get(s.env());
      values.put(s.option(), v == null ? s.defaultValue() : v);
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (!values.containsKey(name)) {
        problems.add(
            "unknown option " + name + " (known: " + String.join(", ", values.keySet()) + ")");
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          problems.add(name + " needs a value");
          continue;
        }
        value = args[++i];
      }
      values.put(name, value);
    }
    String host = values.get("--host");
    int port = integer(values, "--port", 0, 65535, problems);
    List<String> cors = list(values.get("--cors-origins"));
    List<String> fhirServers = list(values.get("--allowed-fhir-servers"));
    for (String server : fhirServers) {
      if (!server.startsWith("https://") && !server.startsWith("http://")) {
        problems.add("--allowed-fhir-servers: '" + server + "' is not an http(s) URL");
      }
    }
    Duration connect =
        Duration.ofMillis(integer(values, "--fhir-connect-timeout-ms", 1, 60_000, problems));
    Duration read =
        Duration.ofMillis(integer(values, "--fhir-read-timeout-ms", 1, 120_000, problems));
    Duration deadline =
        Duration.ofMillis(integer(values, "--hook-deadline-ms", 1, 120_000, problems));
    int maxBody = integer(values, "--max-body-bytes", 1024, Integer.MAX_VALUE, problems);
    int maxPages = integer(values, "--max-fhir-pages", 1, 1000, problems);
    String dir = values.get("--knowledge-dir");
    Path knowledgeDir = dir.isBlank() ? null : Path.of(dir);
    if (knowledgeDir != null && !Files.isDirectory(knowledgeDir)) {
      problems.add("--knowledge-dir: " + dir + " is not a directory");
    }
    boolean demo = bool(values, "--demo", problems);
    boolean insecureRemote = bool(values, "--insecure-allow-remote-unauthenticated", problems);
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
        insecureRemote);
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
    for (Setting s : SETTINGS) {
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
    SETTINGS.forEach(s -> names.put(s.option(), s.env()));
    return names;
  }

  private static List<String> list(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
