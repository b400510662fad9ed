package org.mineralcds.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration in one place: defaults, a YAML file, the environment and the command line, in
 * that order of precedence, with every problem reported at once.
 */
class ConfigLoaderTest {

  private static final String[] NO_ARGS = {};
  private static final String JWKS = "{\"keys\":[]}";

  @TempDir Path dir;

  private static ServiceConfig load(Map<String, String> env, String... args) {
    return ConfigLoader.load(args, env);
  }

  private Path write(String name, String text) throws Exception {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  /** The problem lines of a ConfigException, without the heading. */
  private static List<String> problems(Runnable load) {
    ConfigLoader.ConfigException e =
        catchThrowableOfType(ConfigLoader.ConfigException.class, load::run);
    assertThat(e).as("a ConfigException").isNotNull();
    String[] lines = e.getMessage().split("\n");
    assertThat(lines[0]).isEqualTo("invalid configuration:");
    List<String> problems = Arrays.asList(lines).subList(1, lines.length);
    assertThat(problems).allMatch(l -> l.startsWith("  - "));
    return problems.stream().map(l -> l.substring(4)).toList();
  }

  @Test
  void plainHttpToAnotherHostStopsStartUpUnlessAllowed() throws Exception {
    Path file =
        write(
            "plain.yaml",
            """
            publicBaseUrl: https://cds.example.org
            trustedIssuers:
              - issuer: https://ehr.example.org
                jwksUrl: http://keys.example.org/jwks.json
                jkuAllowlist: [http://127.0.0.1:9999/jwks.json]
                fhirServers: [https://fhir.example.org/r4]
            """);
    List<String> problems =
        problems(
            () ->
                load(
                    Map.of(),
                    "--config",
                    file.toString(),
                    "--allowed-fhir-servers",
                    "http://fhir.internal/r4,http://localhost:8090/fhir"));
    assertThat(problems)
        .singleElement()
        .asString()
        .contains("http://fhir.internal/r4", "http://keys.example.org/jwks.json")
        .doesNotContain("localhost", "127.0.0.1")
        .contains("--allow-plain-http");

    ServiceConfig allowed =
        load(
            Map.of("MINERALCDS_ALLOW_PLAIN_HTTP", "true"),
            "--config",
            file.toString(),
            "--allowed-fhir-servers",
            "http://fhir.internal/r4");
    assertThat(allowed.operations().allowPlainHttp()).isTrue();
    assertThat(ConfigLoader.plainHttpUrls(allowed.allowedFhirServers(), allowed.trustedIssuers()))
        .containsExactly("http://fhir.internal/r4", "http://keys.example.org/jwks.json");
  }

  @Test
  void theProxyRetryHeaderIsOffByDefaultAndMustBeAHeaderOnlyTheProxySets() throws Exception {
    assertThat(load(Map.of(), NO_ARGS).operations().proxyRetryHeader()).isNull();
    assertThat(load(Map.of(), "--proxy-retry-header", " ").operations().proxyRetryHeader())
        .isNull();
    assertThat(
            load(Map.of("MINERALCDS_PROXY_RETRY_HEADER", "X-Request-ID"), NO_ARGS)
                .operations()
                .proxyRetryHeader())
        .isEqualTo("X-Request-ID");
    Path file = write("retry.yaml", "proxyRetryHeader: X-Mineral-Request-Id\n");
    assertThat(load(Map.of(), "--config", file.toString()).operations().proxyRetryHeader())
        .isEqualTo("X-Mineral-Request-Id");
    assertThat(
            load(
                    Map.of("MINERALCDS_PROXY_RETRY_HEADER", "X-Request-ID"),
                    "--proxy-retry-header=X-Unique-ID")
                .operations()
                .proxyRetryHeader())
        .isEqualTo("X-Unique-ID");
    assertThat(problems(() -> load(Map.of(), "--proxy-retry-header", "X Request: id")))
        .containsExactly(
            "--proxy-retry-header must be a header name (e.g. X-Request-ID), not 'X Request: id'");
    assertThat(problems(() -> load(Map.of(), "--proxy-retry-header", "authorization")))
        .singleElement()
        .asString()
        .contains("--proxy-retry-header cannot be authorization");
    assertThat(problems(() -> load(Map.of(), "--proxy-retry-header", "X-Forwarded-For")))
        .hasSize(1);
  }

  @Test
  void logLevelAndFormat() {
    ServiceConfig c = load(Map.of("MINERALCDS_LOG_FORMAT", "json"), "--log-level", "WARN");
    assertThat(c.operations().logLevel()).isEqualTo("warn");
    assertThat(c.operations().logFormat()).isEqualTo("json");
    assertThat(load(Map.of(), NO_ARGS).operations()).isEqualTo(Operations.defaults());
    assertThat(problems(() -> load(Map.of(), "--log-level", "trace", "--log-format", "xml")))
        .containsExactly(
            "--log-level must be error, warn, info or debug, not 'trace'",
            "--log-format must be text or json, not 'xml'");
  }

  @Test
  void theDefaults() {
    ServiceConfig c = load(Map.of(), NO_ARGS);
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.publicBaseUrl()).isNull();
    assertThat(c.corsAllowedOrigins()).containsExactly("*");
    assertThat(c.allowedFhirServers()).isEmpty();
    assertThat(c.fhirConnectTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.fhirReadTimeout()).isEqualTo(Duration.ofMillis(3000));
    assertThat(c.hookDeadline()).isEqualTo(Duration.ofMillis(4000));
    assertThat(c.maxBodyBytes()).isEqualTo(10_000_000);
    assertThat(c.maxFhirPages()).isEqualTo(10);
    assertThat(c.maxConcurrentHooks()).isEqualTo(ServiceConfig.DEFAULT_MAX_CONCURRENT_HOOKS);
    assertThat(c.clockSkew()).isEqualTo(ServiceConfig.DEFAULT_CLOCK_SKEW);
    assertThat(c.allowSandboxIssuer()).isFalse();
    assertThat(c.knowledgeDir()).isNull();
    assertThat(c.demo()).isTrue();
    assertThat(c.insecureAllowRemoteUnauthenticated()).isFalse();
    assertThat(c.trustedIssuers()).isEmpty();
    assertThat(c.authenticationRequired()).isFalse();
    assertThat(c.now()).isNull();
    assertThat(c.clock().getZone()).isEqualTo(java.time.ZoneOffset.UTC);
  }

  @Test
  void nowFixesTheClockAtAnInstantOrAtTheStartOfADate() {
    ServiceConfig instant = load(Map.of(), "--now", "2026-11-20T12:00:00Z");
    assertThat(instant.now()).isEqualTo(java.time.Instant.parse("2026-11-20T12:00:00Z"));
    assertThat(instant.clock().instant()).isEqualTo(instant.now());
    assertThat(instant.clock().instant()).isEqualTo(instant.clock().instant());

    ServiceConfig date = load(Map.of("MINERALCDS_NOW", "2026-11-20"), NO_ARGS);
    assertThat(date.clock().instant()).isEqualTo(java.time.Instant.parse("2026-11-20T00:00:00Z"));
  }

  @Test
  void aNowThatIsNeitherAnInstantNorADateIsRefused() {
    assertThat(problems(() -> load(Map.of(), "--now", "yesterday")))
        .singleElement()
        .satisfies(p -> assertThat(p).contains("--now").contains("'yesterday'"));
  }

  @Test
  void theEnvironmentOverridesTheDefaults() {
    ServiceConfig c =
        load(
            Map.ofEntries(
                Map.entry("MINERALCDS_HOST", "0.0.0.0"),
                Map.entry("MINERALCDS_PORT", "9000"),
                Map.entry("MINERALCDS_PUBLIC_BASE_URL", "https://cds.example.org//"),
                Map.entry("MINERALCDS_CORS_ORIGINS", "https://a.example, https://b.example"),
                Map.entry(
                    "MINERALCDS_ALLOWED_FHIR_SERVERS",
                    "https://fhir.example.org/r4,https://other.example.org/fhir"),
                Map.entry("MINERALCDS_FHIR_CONNECT_TIMEOUT_MS", "500"),
                Map.entry("MINERALCDS_FHIR_READ_TIMEOUT_MS", "2500"),
                Map.entry("MINERALCDS_HOOK_DEADLINE_MS", "3500"),
                Map.entry("MINERALCDS_MAX_BODY_BYTES", "2048"),
                Map.entry("MINERALCDS_MAX_FHIR_PAGES", "3"),
                Map.entry("MINERALCDS_MAX_CONCURRENT_HOOKS", "7"),
                Map.entry("MINERALCDS_CLOCK_SKEW_SECONDS", "15"),
                Map.entry("MINERALCDS_ALLOW_SANDBOX_ISSUER", "true"),
                Map.entry("MINERALCDS_KNOWLEDGE_DIR", dir.toString()),
                Map.entry("MINERALCDS_DEMO", "false"),
                Map.entry("UNRELATED", "ignored")),
            NO_ARGS);
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.port()).isEqualTo(9000);
    assertThat(c.publicBaseUrl()).isEqualTo("https://cds.example.org");
    assertThat(c.corsAllowedOrigins()).containsExactly("https://a.example", "https://b.example");
    assertThat(c.allowedFhirServers())
        .containsExactly("https://fhir.example.org/r4", "https://other.example.org/fhir");
    assertThat(c.fhirConnectTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.fhirReadTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.hookDeadline()).isEqualTo(Duration.ofMillis(3500));
    assertThat(c.maxBodyBytes()).isEqualTo(2048);
    assertThat(c.maxFhirPages()).isEqualTo(3);
    assertThat(c.maxConcurrentHooks()).isEqualTo(7);
    assertThat(c.clockSkew()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.allowSandboxIssuer()).isTrue();
    assertThat(c.authenticationRequired()).isTrue();
    assertThat(c.knowledgeDir()).isEqualTo(dir);
    assertThat(c.demo()).isFalse();

    assertThat(
            load(Map.of("MINERALCDS_INSECURE_ALLOW_REMOTE_UNAUTHENTICATED", "true"), NO_ARGS)
                .insecureAllowRemoteUnauthenticated())
        .isTrue();
  }

  @Test
  void theCommandLineOverridesTheEnvironment() {
    Map<String, String> env =
        Map.of(
            "MINERALCDS_PORT", "9000",
            "MINERALCDS_DEMO", "false",
            "MINERALCDS_CORS_ORIGINS", "https://env.example",
            "MINERALCDS_CLOCK_SKEW_SECONDS", "15");
    ServiceConfig c =
        load(
            env,
            "--port",
            "9100",
            "--demo=true",
            "--cors-origins",
            "https://cli.example",
            "--public-base-url=https://cds.example.org/base/");
    assertThat(c.port()).isEqualTo(9100);
    assertThat(c.demo()).isTrue();
    assertThat(c.corsAllowedOrigins()).containsExactly("https://cli.example");
    assertThat(c.publicBaseUrl()).isEqualTo("https://cds.example.org/base");
    // Not given on the command line: the environment still applies.
    assertThat(c.clockSkew()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void aYamlFileGivesSettingsAndTrustedIssuers() throws Exception {
    Path keys = write("keys/ehr-jwks.json", JWKS);
    Path file =
        write(
            "mineral-cds.yaml",
            """
            port: 9090
            publicBaseUrl: https://cds.example.org/
            corsOrigins: [https://ehr.example.org, https://portal.example.org]
            allowedFhirServers: https://fhir.example.org/r4
            clockSkewSeconds: 30
            maxConcurrentHooks: 8
            demo: false
            trustedIssuers:
              - issuer: https://ehr.example.org
                jwksFile: keys/ehr-jwks.json
                jkuAllowlist: [https://ehr.example.org/.well-known/jwks.json]
                tenants: [north, south]
                fhirServers: [https://fhir.ehr.example.org/r4]
              - issuer: https://other.example.org
                jwksUrl: https://other.example.org/.well-known/jwks.json
              - issuer: https://jku-only.example.org
                jkuAllowlist: https://jku-only.example.org/jwks.json
            """);
    ServiceConfig c = load(Map.of(), "--config", file.toString());
    assertThat(c.port()).isEqualTo(9090);
    assertThat(c.publicBaseUrl()).isEqualTo("https://cds.example.org");
    assertThat(c.corsAllowedOrigins())
        .containsExactly("https://ehr.example.org", "https://portal.example.org");
    assertThat(c.allowedFhirServers()).containsExactly("https://fhir.example.org/r4");
    assertThat(c.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.maxConcurrentHooks()).isEqualTo(8);
    assertThat(c.demo()).isFalse();
    assertThat(c.authenticationRequired()).isTrue();

    assertThat(c.trustedIssuers()).hasSize(3);
    TrustedIssuer ehr = c.trustedIssuers().get(0);
    assertThat(ehr.issuer()).isEqualTo("https://ehr.example.org");
    assertThat(ehr.jwksUrl()).isNull();
    assertThat(ehr.jwksFile()).isAbsolute();
    assertThat(Files.isSameFile(ehr.jwksFile(), keys)).isTrue();
    assertThat(ehr.jkuAllowlist()).containsExactly("https://ehr.example.org/.well-known/jwks.json");
    assertThat(ehr.tenants()).containsExactly("north", "south");
    assertThat(ehr.fhirServers()).containsExactly("https://fhir.ehr.example.org/r4");

    TrustedIssuer other = c.trustedIssuers().get(1);
    assertThat(other.jwksUrl()).isEqualTo("https://other.example.org/.well-known/jwks.json");
    assertThat(other.jwksFile()).isNull();
    assertThat(other.jkuAllowlist()).isEmpty();
    assertThat(other.tenants()).isEmpty();
    assertThat(other.fhirServers()).isEmpty();

    assertThat(c.trustedIssuers().get(2).jkuAllowlist())
        .containsExactly("https://jku-only.example.org/jwks.json");
  }

  @Test
  void aRelativeJwksFileIsResolvedAgainstTheConfigFilesFolderNotTheWorkingDirectory()
      throws Exception {
    write("etc/keys.json", JWKS);
    Path file =
        write(
            "etc/config.yaml",
            """
            publicBaseUrl: https://cds.example.org
            trustedIssuers:
              - issuer: https://ehr.example.org
                jwksFile: keys.json
            """);
    ServiceConfig c = load(Map.of("MINERALCDS_CONFIG", file.toString()), NO_ARGS);
    assertThat(c.trustedIssuers().get(0).jwksFile())
        .isEqualTo(dir.resolve("etc").toAbsolutePath().resolve("keys.json"));

    Path absolute = write("elsewhere/abs.json", JWKS).toAbsolutePath();
    Path file2 =
        write(
            "etc/config2.yaml",
            "publicBaseUrl: https://cds.example.org\ntrustedIssuers:\n  - issuer: https://ehr.example.org\n    jwksFile: "
                + absolute
                + "\n");
    assertThat(load(Map.of(), "--config=" + file2).trustedIssuers().get(0).jwksFile())
        .isEqualTo(absolute);
  }

  @Test
  void precedenceIsFileThenEnvironmentThenCommandLine() throws Exception {
    Path file =
        write(
            "c.yaml",
            """
            port: 9001
            host: 10.0.0.1
            maxFhirPages: 4
            hookDeadlineMs: 2000
            """);
    Map<String, String> env =
        Map.of(
            "MINERALCDS_CONFIG", file.toString(),
            "MINERALCDS_PORT", "9002",
            "MINERALCDS_MAX_FHIR_PAGES", "5");

    ServiceConfig fileOnly = load(Map.of(), "--config", file.toString());
    assertThat(fileOnly.port()).isEqualTo(9001);
    assertThat(fileOnly.host()).isEqualTo("10.0.0.1");

    ServiceConfig fileAndEnv = load(env, NO_ARGS);
    assertThat(fileAndEnv.port()).isEqualTo(9002);
    assertThat(fileAndEnv.maxFhirPages()).isEqualTo(5);
    assertThat(fileAndEnv.host()).isEqualTo("10.0.0.1");
    assertThat(fileAndEnv.hookDeadline()).isEqualTo(Duration.ofMillis(2000));

    ServiceConfig all = load(env, "--port", "9003");
    assertThat(all.port()).isEqualTo(9003);
    assertThat(all.maxFhirPages()).isEqualTo(5);
    assertThat(all.host()).isEqualTo("10.0.0.1");
    // Defaults fill what no source names.
    assertThat(all.maxConcurrentHooks()).isEqualTo(32);
  }

  @Test
  void theConfigOptionWinsOverTheConfigVariable() throws Exception {
    Path envFile = write("env.yaml", "port: 9001\n");
    Path cliFile = write("cli.yaml", "port: 9002\n");
    ServiceConfig c =
        load(Map.of("MINERALCDS_CONFIG", envFile.toString()), "--config", cliFile.toString());
    assertThat(c.port()).isEqualTo(9002);
  }

  @Test
  void everyProblemIsReportedTogether() throws Exception {
    Path bothKeys = write("both.json", JWKS);
    Path file =
        write(
            "bad.yaml",
            "colour: blue\n"
                + "trustedIssuers:\n"
                + "  - issuer: https://no-keys.example.org\n"
                + "  - issuer: https://missing-file.example.org\n"
                + "    jwksFile: nowhere/jwks.json\n"
                + "  - issuer: https://both.example.org\n"
                + "    jwksUrl: https://both.example.org/jwks.json\n"
                + "    jwksFile: "
                + bothKeys
                + "\n"
                + "  - jwksUrl: https://anonymous.example.org/jwks.json\n"
                + "  - issuer: https://bad-url.example.org\n"
                + "    jwksUrl: file:///etc/passwd\n"
                + "    fhirServers: [not a url]\n");
    List<String> problems =
        problems(
            () ->
                load(
                    Map.of("MINERALCDS_INSECURE_ALLOW_REMOTE_UNAUTHENTICATED", "true"),
                    "--config",
                    file.toString(),
                    "--port",
                    "70000",
                    "--public-base-url",
                    "ftp://cds.example.org",
                    "--frobnicate=yes",
                    "--allowed-fhir-servers",
                    "https://ok.example.org/fhir,nope"));
    assertThat(problems)
        .anyMatch(p -> p.contains("--port") && p.contains("65535") && p.contains("70000"))
        .anyMatch(p -> p.contains("--public-base-url") && p.contains("ftp://cds.example.org"))
        .anyMatch(p -> p.contains("unknown option --frobnicate"))
        .anyMatch(p -> p.contains("--allowed-fhir-servers") && p.contains("'nope'"))
        .anyMatch(p -> p.contains("unknown setting 'colour'"))
        .anyMatch(p -> p.contains("trustedIssuers[0]") && p.contains("needs 'jwksUrl', 'jwksFile'"))
        .anyMatch(p -> p.contains("trustedIssuers[1].jwksFile") && p.contains("does not exist"))
        .anyMatch(p -> p.contains("trustedIssuers[2]") && p.contains("not both"))
        .anyMatch(p -> p.contains("trustedIssuers[3]") && p.contains("'issuer' is required"))
        .anyMatch(p -> p.contains("trustedIssuers[4].jwksUrl") && p.contains("file:///etc/passwd"))
        .anyMatch(p -> p.contains("trustedIssuers[4].fhirServers") && p.contains("not a url"))
        .anyMatch(
            p ->
                p.contains("--insecure-allow-remote-unauthenticated")
                    && p.contains("trusted issuers"));
    assertThat(problems).hasSize(12);
  }

  @Test
  void anUnknownKeyInATrustedIssuerIsAProblem() throws Exception {
    Path file =
        write(
            "typo.yaml",
            """
            publicBaseUrl: https://cds.example.org
            trustedIssuers:
              - issuer: https://ehr.example.org
                jwksUrl: https://ehr.example.org/jwks.json
                tenant: [north]
            """);
    assertThat(problems(() -> load(Map.of(), "--config", file.toString())))
        .singleElement()
        .asString()
        .contains("trustedIssuers[0]")
        .contains("tenant");
  }

  @Test
  void trustedIssuersThatIsNotAListIsAProblem() throws Exception {
    Path file = write("scalar.yaml", "trustedIssuers: https://ehr.example.org\n");
    assertThat(problems(() -> load(Map.of(), "--config", file.toString())))
        .singleElement()
        .asString()
        .contains("trustedIssuers");
  }

  @Test
  void aDuplicateIssuerIsAProblem() throws Exception {
    Path file =
        write(
            "dup.yaml",
            """
            publicBaseUrl: https://cds.example.org
            trustedIssuers:
              - issuer: https://ehr.example.org
                jwksUrl: https://ehr.example.org/jwks-1.json
              - issuer: https://ehr.example.org
                jwksUrl: https://ehr.example.org/jwks-2.json
            """);
    assertThat(problems(() -> load(Map.of(), "--config", file.toString())))
        .singleElement()
        .asString()
        .contains("https://ehr.example.org");
  }

  @Test
  void theInsecureFlagCannotBeCombinedWithTheSandboxIssuer() {
    assertThat(
            problems(
                () ->
                    load(
                        Map.of("MINERALCDS_ALLOW_SANDBOX_ISSUER", "true"),
                        "--insecure-allow-remote-unauthenticated",
                        "true")))
        .singleElement()
        .asString()
        .contains("--insecure-allow-remote-unauthenticated");
  }

  @Test
  void badValuesAreAClearStartUpErrorWithOneProblemPerLine() {
    // What MineralCds.main prints before exiting with status 2.
    ConfigLoader.ConfigException e =
        catchThrowableOfType(
            ConfigLoader.ConfigException.class,
            () ->
                ConfigLoader.load(
                    new String[] {
                      "--port", "eighty", "--max-fhir-pages", "0", "--demo", "maybe", "--host"
                    },
                    Map.of(
                        "MINERALCDS_CLOCK_SKEW_SECONDS",
                        "-1",
                        "MINERALCDS_KNOWLEDGE_DIR",
                        dir.resolve("no-such-dir").toString())));
    assertThat(e.getMessage().lines().toList())
        .containsExactly(
            "invalid configuration:",
            "  - --host needs a value",
            "  - --port must be a whole number, not 'eighty'",
            "  - --max-fhir-pages must be between 1 and 1000, not 0",
            "  - --clock-skew-seconds must be between 0 and 600, not -1",
            "  - --knowledge-dir: " + dir.resolve("no-such-dir") + " is not a directory",
            "  - --demo must be true or false, not 'maybe'");
  }

  @Test
  void anUnreadableOrNonMapConfigFileIsAProblem() throws Exception {
    assertThat(problems(() -> load(Map.of(), "--config", dir.resolve("absent.yaml").toString())))
        .singleElement()
        .asString()
        .contains("--config: cannot read");
    Path list = write("list.yaml", "- a\n- b\n");
    assertThat(problems(() -> load(Map.of(), "--config", list.toString())))
        .singleElement()
        .asString()
        .contains("must be a YAML map");
  }

  @Test
  void aValidConfigurationIsNotAnError() {
    assertThat(load(Map.of(), "--port", "0", "--demo", "false").port()).isZero();
    assertThatThrownBy(() -> load(Map.of(), "--port", "-1"))
        .isInstanceOf(ConfigLoader.ConfigException.class)
        .hasMessageContaining("--port must be between 0 and 65535, not -1");
  }

  private static final List<String> ALL_OPTIONS =
      List.of(
          "--config",
          "--host",
          "--port",
          "--public-base-url",
          "--cors-origins",
          "--allowed-fhir-servers",
          "--fhir-connect-timeout-ms",
          "--fhir-read-timeout-ms",
          "--hook-deadline-ms",
          "--fhir-max-concurrent-requests",
          "--fhir-max-bytes-per-call",
          "--fhir-max-bytes-in-flight",
          "--max-body-bytes",
          "--max-fhir-pages",
          "--max-concurrent-hooks",
          "--clock-skew-seconds",
          "--allow-sandbox-issuer",
          "--knowledge-dir",
          "--demo",
          "--now",
          "--insecure-allow-remote-unauthenticated",
          "--memory",
          "--data-dir",
          "--database-url",
          "--pseudonym-secret",
          "--card-log-retention-days",
          "--suppression-days",
          "--suppression-days-by-reason",
          "--accepted-test-days",
          "--silent-issuers",
          "--silent-rules",
          "--management-port",
          "--override-flag-percent",
          "--log-level",
          "--log-format",
          "--allow-plain-http",
          "--proxy-retry-header");

  @Test
  void everyOptionHasAnEnvironmentVariableAndIsDescribed() {
    Map<String, String> names = ConfigLoader.optionsAndEnvironment();
    assertThat(names.keySet()).containsExactlyInAnyOrderElementsOf(ALL_OPTIONS);
    assertThat(names).containsEntry("--config", "MINERALCDS_CONFIG");
    names.forEach(
        (option, env) ->
            assertThat(env)
                .isEqualTo(
                    "MINERALCDS_"
                        + option.substring(2).replace('-', '_').toUpperCase(Locale.ROOT)));

    String help = ConfigLoader.describeOptions();
    List<String> lines = help.lines().toList();
    assertThat(lines).hasSize(ALL_OPTIONS.size());
    for (String option : ALL_OPTIONS) {
      assertThat(lines)
          .as(option)
          .anyMatch(
              l ->
                  l.trim().startsWith(option + " ")
                      && l.contains(names.get(option))
                      && l.contains("default: "));
    }
    assertThat(help).contains("default: 8080").contains("default: 127.0.0.1");
  }

  @Test
  void everyOptionIsAcceptedOnTheCommandLine() {
    // Each option parses (with a valid value), so none is listed but unusable.
    ServiceConfig c =
        load(
            Map.of(),
            "--host=127.0.0.1",
            "--port=0",
            "--public-base-url=https://cds.example.org",
            "--cors-origins=*",
            "--allowed-fhir-servers=https://fhir.example.org",
            "--fhir-connect-timeout-ms=100",
            "--fhir-read-timeout-ms=200",
            "--hook-deadline-ms=300",
            "--max-body-bytes=4096",
            "--max-fhir-pages=2",
            "--max-concurrent-hooks=3",
            "--clock-skew-seconds=0",
            "--allow-sandbox-issuer=false",
            "--knowledge-dir=" + dir,
            "--demo=false",
            "--insecure-allow-remote-unauthenticated=false");
    assertThat(c.clockSkew()).isZero();
    assertThat(c.maxBodyBytes()).isEqualTo(4096);
  }

  @Test
  void trustedIssuersNeedAPublicBaseUrl() throws Exception {
    Path file =
        write(
            "no-base.yaml",
            """
            trustedIssuers:
              - issuer: https://ehr.example.org
                jwksUrl: https://ehr.example.org/jwks.json
            """);
    assertThat(problems(() -> load(Map.of(), "--config", file.toString())))
        .singleElement()
        .asString()
        .contains("--public-base-url is required with trusted issuers");
    assertThat(
            load(
                    Map.of("MINERALCDS_PUBLIC_BASE_URL", "https://cds.example.org"),
                    "--config",
                    file.toString())
                .publicBaseUrl())
        .isEqualTo("https://cds.example.org");
  }
}
