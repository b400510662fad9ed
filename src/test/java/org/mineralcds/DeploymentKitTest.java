package org.mineralcds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.config.ConfigLoader;

/**
 * Static checks of the deployment kit (docker/ and docs/registering.md). Docker is not available on
 * the build machines, so the image is never built in CI; these checks catch the mistakes that do
 * not need a build: settings that do not exist, ports and paths that disagree, files that are not
 * there. {@link #eachCheckCatchesTheBreakageItIsFor} proves every check can fail.
 */
class DeploymentKitTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Pattern SETTING_NAME = Pattern.compile("MINERALCDS_[A-Z0-9_]+");
  private static final Pattern HEALTH_URL =
      Pattern.compile("https?://[^\\s/:\"']+(?::(\\d+))?(/[^\\s\"']*)");
  private static final Set<String> HEALTH_PATHS = Set.of("/health/ready", "/health/live");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The kit's texts; existence checks resolve paths against {@code root}. */
  private record Kit(
      Path root,
      String dockerfile,
      String compose,
      String dockerReadme,
      String registering,
      String pom) {

    static Kit load(Path root) throws IOException {
      return new Kit(
          root,
          Files.readString(root.resolve("docker/Dockerfile")),
          Files.readString(root.resolve("docker/compose.yaml")),
          Files.readString(root.resolve("docker/README.md")),
          Files.readString(root.resolve("docs/registering.md")),
          Files.readString(root.resolve("pom.xml")));
    }

    /** This kit with every {@code from} in one file replaced by {@code to}. */
    Kit replace(String file, String from, String to) {
      String text = text(file);
      assertThat(text).as("the breakage must change %s", file).contains(from);
      String changed = text.replace(from, to);
      return new Kit(
          root,
          file.equals("Dockerfile") ? changed : dockerfile,
          file.equals("compose.yaml") ? changed : compose,
          file.equals("README.md") ? changed : dockerReadme,
          file.equals("registering.md") ? changed : registering,
          file.equals("pom.xml") ? changed : pom);
    }

    String text(String file) {
      return switch (file) {
        case "Dockerfile" -> dockerfile;
        case "compose.yaml" -> compose;
        case "README.md" -> dockerReadme;
        case "registering.md" -> registering;
        case "pom.xml" -> pom;
        default -> throw new IllegalArgumentException(file);
      };
    }

    Path composeDir() {
      return root.resolve("docker");
    }
  }

  // ---- the checks, run on the repository's files -----------------------------------------------

  @Test
  void everySettingNameInTheKitIsARealSetting() throws IOException {
    settingNamesAreReal(Kit.load(ROOT));
  }

  @Test
  void everySettingIsDocumentedInTheDockerfile() throws IOException {
    everySettingDocumentedInDockerfile(Kit.load(ROOT));
  }

  @Test
  void exposedEnvironmentAndHealthcheckPortsAgree() throws IOException {
    portsAndHealthcheckAgree(Kit.load(ROOT));
  }

  @Test
  void copiedFilesExist() throws IOException {
    copiedFilesExist(Kit.load(ROOT));
  }

  @Test
  void entrypointRunsTheJarMavenBuilds() throws IOException {
    entrypointRunsTheBuiltJar(Kit.load(ROOT));
  }

  @Test
  void runtimeStageIsNotRoot() throws IOException {
    runtimeUserIsNotRoot(Kit.load(ROOT));
  }

  @Test
  void composeFileMatchesTheDockerfileAndTheRepository() throws IOException {
    composeIsConsistent(Kit.load(ROOT));
  }

  @Test
  void registeringGuideNamesTheServiceAndTheVendors() throws IOException {
    registeringGuideIsComplete(Kit.load(ROOT));
  }

  // ---- every check can fail ----------------------------------------------------------------

  static Stream<Arguments> breakages() {
    return Stream.of(
        breakage("Dockerfile", "MINERALCDS_HOST=", "MINERALCDS_BIND=", "settings"),
        breakage("compose.yaml", "MINERALCDS_CORS_ORIGINS:", "MINERALCDS_CORS:", "settings"),
        breakage("README.md", "## Run the demo", "MINERALCDS_TLS_CERT\n## Run", "settings"),
        breakage(
            "registering.md", "`MINERALCDS_HOOK_DEADLINE_MS", "`MINERALCDS_DEADLINE", "settings"),
        breakage("Dockerfile", "#   MINERALCDS_MAX_FHIR_PAGES", "#   pages", "documented"),
        breakage("Dockerfile", "EXPOSE 8080", "EXPOSE 9090", "ports"),
        breakage("Dockerfile", "MINERALCDS_PORT=8080", "MINERALCDS_PORT=9090", "ports"),
        breakage("Dockerfile", "127.0.0.1:8080/health", "127.0.0.1:8081/health", "ports"),
        breakage("Dockerfile", "/health/ready", "/healthz", "ports"),
        breakage("Dockerfile", "no-install-recommends curl", "no-install-recommends wget", "ports"),
        breakage("Dockerfile", "COPY hooks ./hooks", "COPY hookz ./hooks", "copies"),
        breakage("Dockerfile", "\"/app/mineral-cds.jar\"]", "\"/app/app.jar\"]", "jar"),
        breakage("Dockerfile", "target/mineral-cds.jar /app", "target/mineral.jar /app", "jar"),
        breakage("Dockerfile", "WORKDIR /build", "WORKDIR /workspace", "jar"),
        breakage("pom.xml", "<finalName>mineral-cds<", "<finalName>cds<", "jar"),
        breakage("Dockerfile", "USER 10001:10001", "USER root", "user"),
        breakage("Dockerfile", "USER 10001:10001", "", "user"),
        breakage("compose.yaml", ":8080:8080\"", ":8080:9090\"", "compose"),
        breakage("compose.yaml", "\"127.0.0.1:8080:8080\"", "\"8080:8080\"", "compose"),
        breakage("compose.yaml", "\"127.0.0.1:8090:8080\"", "\"0.0.0.0:8090:8080\"", "compose"),
        breakage("compose.yaml", "postgres:5432/mineralcds", "db:5432/mineralcds", "compose"),
        breakage("compose.yaml", "    mem_limit: 384m\n", "", "compose"),
        breakage("compose.yaml", "docker/Dockerfile", "docker/Dockerfile.prod", "compose"),
        breakage("compose.yaml", "../fhir-resources/scenarios:", "../fhir/scenarios:", "compose"),
        breakage(
            "compose.yaml",
            "SERVERS: \"http://hapi:8080/fhir\"",
            "SERVERS: \"http://localhost:8090/fhir\"",
            "compose"),
        breakage("compose.yaml", "services:", "services: [", "compose"),
        breakage("registering.md", "mineral-balance", "mineral", "guide"),
        breakage("registering.md", "/cds-services", "/services", "guide"),
        breakage("registering.md", "Epic", "E.", "guide"),
        breakage("registering.md", "Oracle Health", "Oracle", "guide"),
        breakage("registering.md", "athenahealth", "athena", "guide"));
  }

  private static Arguments breakage(String file, String from, String to, String check) {
    return Arguments.of(file, from, to, check);
  }

  @ParameterizedTest(name = "{3} check fails when {0}: {1} -> {2}")
  @MethodSource("breakages")
  void eachCheckCatchesTheBreakageItIsFor(String file, String from, String to, String check)
      throws IOException {
    Kit kit = Kit.load(ROOT);
    Consumer<Kit> checker =
        switch (check) {
          case "settings" -> DeploymentKitTest::settingNamesAreReal;
          case "documented" -> DeploymentKitTest::everySettingDocumentedInDockerfile;
          case "ports" -> DeploymentKitTest::portsAndHealthcheckAgree;
          case "copies" -> DeploymentKitTest::copiedFilesExist;
          case "jar" -> DeploymentKitTest::entrypointRunsTheBuiltJar;
          case "user" -> DeploymentKitTest::runtimeUserIsNotRoot;
          case "compose" -> DeploymentKitTest::composeIsConsistent;
          case "guide" -> DeploymentKitTest::registeringGuideIsComplete;
          default -> throw new IllegalArgumentException(check);
        };
    checker.accept(kit);
    Kit broken = kit.replace(file, from, to);
    assertThatThrownBy(() -> checker.accept(broken)).isInstanceOf(AssertionError.class);
  }

  // ---- checks ------------------------------------------------------------------------------

  private static void settingNamesAreReal(Kit kit) {
    Set<String> real = new java.util.HashSet<>(ConfigLoader.optionsAndEnvironment().values());
    // Database credentials are read from the environment only, not options.
    real.add(ConfigLoader.DATABASE_USER_ENV);
    real.add(ConfigLoader.DATABASE_PASSWORD_ENV);
    for (String file : List.of("Dockerfile", "compose.yaml", "README.md", "registering.md")) {
      Matcher m = SETTING_NAME.matcher(kit.text(file));
      while (m.find()) {
        assertThat(real)
            .as("%s names %s, which is not a setting in ConfigLoader", file, m.group())
            .contains(m.group());
      }
    }
  }

  private static void everySettingDocumentedInDockerfile(Kit kit) {
    String comments =
        kit.dockerfile()
            .lines()
            .map(String::strip)
            .filter(l -> l.startsWith("#"))
            .reduce("", (a, b) -> a + "\n" + b);
    for (String env : ConfigLoader.optionsAndEnvironment().values()) {
      assertThat(Pattern.compile("\\b" + env + "\\b").matcher(comments).find())
          .as("the Dockerfile's comments document %s", env)
          .isTrue();
    }
  }

  private static void portsAndHealthcheckAgree(Kit kit) {
    List<Instruction> runtime = runtimeStage(kit).instructions();
    String expose = single(runtime, "EXPOSE").args().replace("/tcp", "").strip();
    assertThat(expose).as("one EXPOSEd port").matches("\\d+");

    Map<String, String> env = new LinkedHashMap<>();
    all(runtime, "ENV").forEach(i -> env.putAll(envPairs(i.args())));
    assertThat(env.get("MINERALCDS_PORT")).as("ENV MINERALCDS_PORT = EXPOSE").isEqualTo(expose);

    String healthcheck = single(runtime, "HEALTHCHECK").args();
    Matcher url = HEALTH_URL.matcher(healthcheck);
    assertThat(url.find()).as("HEALTHCHECK calls an http URL: %s", healthcheck).isTrue();
    assertThat(url.group(1)).as("HEALTHCHECK port = EXPOSE").isEqualTo(expose);
    assertThat(url.group(2)).as("HEALTHCHECK path is served").isIn(HEALTH_PATHS);
    String command = healthcheck.substring(healthcheck.indexOf("CMD") + 3).strip();
    String tool = command.replaceAll("^\\[?\\s*\"?", "").split("[\\s\"]")[0];
    boolean installed =
        all(runtime, "RUN").stream().anyMatch(i -> i.args().matches("(?s).*\\b" + tool + "\\b.*"));
    assertThat(installed)
        .as("the runtime stage installs %s, which the HEALTHCHECK runs", tool)
        .isTrue();
  }

  private static void copiedFilesExist(Kit kit) {
    List<Instruction> copies = new ArrayList<>();
    stages(kit).forEach(s -> copies.addAll(all(s.instructions(), "COPY")));
    assertThat(copies).isNotEmpty();
    for (Instruction copy : copies) {
      if (copy.args().startsWith("--from")) {
        continue;
      }
      List<String> paths = copyPaths(copy.args());
      for (String source : paths.subList(0, paths.size() - 1)) {
        assertThat(kit.root().resolve(source))
            .as("COPY %s: %s exists in the repository", copy.args(), source)
            .exists();
      }
    }
  }

  private static void entrypointRunsTheBuiltJar(Kit kit) {
    Matcher finalName = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(kit.pom());
    assertThat(finalName.find()).as("pom.xml has a finalName").isTrue();
    String jarName = finalName.group(1).strip() + ".jar";

    Stage runtime = runtimeStage(kit);
    String entrypoint = single(runtime.instructions(), "ENTRYPOINT").args();
    List<String> exec = jsonArray(entrypoint, "ENTRYPOINT must use the exec (JSON) form");
    int jarFlag = exec.indexOf("-jar");
    assertThat(jarFlag).as("ENTRYPOINT runs java -jar").isBetween(0, exec.size() - 2);
    String jarPath = exec.get(jarFlag + 1);
    assertThat(Path.of(jarPath).getFileName()).hasToString(jarName);

    Instruction copy =
        all(runtime.instructions(), "COPY").stream()
            .filter(i -> i.args().startsWith("--from="))
            .filter(i -> i.args().endsWith(" " + jarPath))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no COPY --from=... puts a jar at " + jarPath));
    List<String> paths = copyPaths(copy.args());
    String from = copy.args().substring("--from=".length()).split("\\s")[0];
    Stage build =
        stages(kit).stream()
            .filter(s -> from.equals(s.name()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no build stage named " + from));
    String workdir = last(build.instructions(), "WORKDIR").args();
    assertThat(paths.get(0))
        .as("the jar is copied from where Maven writes it in stage %s", from)
        .isEqualTo(workdir.replaceAll("/$", "") + "/target/" + jarName);
  }

  private static void runtimeUserIsNotRoot(Kit kit) {
    List<Instruction> users = all(runtimeStage(kit).instructions(), "USER");
    assertThat(users).as("the runtime stage sets a USER").isNotEmpty();
    String user = users.get(users.size() - 1).args().split(":")[0].strip();
    assertThat(user).as("runtime USER").isNotIn("root", "0");
  }

  private static void composeIsConsistent(Kit kit) {
    JsonNode services;
    try {
      services = new YAMLMapper().readTree(kit.compose()).path("services");
    } catch (IOException e) {
      throw new AssertionError("compose.yaml is not valid YAML: " + e.getMessage(), e);
    }
    assertThat(services.isObject()).as("compose.yaml has services").isTrue();
    String expose = single(runtimeStage(kit).instructions(), "EXPOSE").args();

    JsonNode service = services.path("mineral-cds");
    assertThat(containerPorts(service)).as("mineral-cds container port").contains(expose);
    JsonNode build = service.path("build");
    Path dockerfile =
        kit.composeDir()
            .resolve(build.path("context").asText("."))
            .resolve(build.path("dockerfile").asText("Dockerfile"))
            .normalize();
    assertThat(dockerfile).as("the build's dockerfile").exists();
    assertThat(dockerfile).isEqualTo(kit.root().resolve("docker/Dockerfile").normalize());

    List<String> binds = new ArrayList<>();
    for (JsonNode volume : services.path("seed").path("volumes")) {
      String source =
          volume.isTextual() ? volume.asText().split(":")[0] : volume.path("source").asText();
      if (source.startsWith(".") || source.startsWith("/")) {
        binds.add(source);
      }
    }
    assertThat(binds).as("seed mounts the scenarios").isNotEmpty();
    binds.forEach(b -> assertThat(kit.composeDir().resolve(b).normalize()).exists());

    // Every published port is bound to loopback (the demo answers unauthenticated callers).
    services
        .properties()
        .forEach(
            e -> {
              for (JsonNode port : e.getValue().path("ports")) {
                String published =
                    port.isObject() ? port.path("host_ip").asText("") : port.asText();
                assertThat(published)
                    .as(e.getKey() + " publishes its port on loopback only")
                    .startsWith("127.0.0.1");
              }
            });
    // The memory lives in the compose file's PostgreSQL, with credentials from the environment.
    Map<String, String> env = environment(service);
    URI database = URI.create(env.getOrDefault("MINERALCDS_DATABASE_URL", "jdbc:").substring(5));
    assertThat(database.getHost()).as("MINERALCDS_DATABASE_URL names a service").isNotNull();
    assertThat(services.has(database.getHost()))
        .as("MINERALCDS_DATABASE_URL names a compose service")
        .isTrue();
    assertThat(env.get("MINERALCDS_DATABASE_PASSWORD")).startsWith("${");
    // The service has a memory limit that fits its JVM options (160 MiB heap, ~300 MB resident).
    assertThat(service.path("mem_limit").asText()).as("mineral-cds mem_limit").isNotEmpty();

    String allowed = environment(service).get("MINERALCDS_ALLOWED_FHIR_SERVERS");
    assertThat(allowed).as("mineral-cds sets MINERALCDS_ALLOWED_FHIR_SERVERS").isNotNull();
    List<URI> urls = Arrays.stream(allowed.split(",")).map(String::strip).map(URI::create).toList();
    assertThat(urls)
        .as("an allowed FHIR server is the hapi service")
        .anySatisfy(
            u -> {
              assertThat(u.getHost()).isEqualTo("hapi");
              assertThat(services.has("hapi")).isTrue();
              assertThat(containerPorts(services.path("hapi")))
                  .contains(String.valueOf(u.getPort()));
            });
  }

  private static void registeringGuideIsComplete(Kit kit) {
    assertThat(kit.registering())
        .contains(MineralCds.SERVICE_ID, "/cds-services", "Epic", "Oracle Health", "athenahealth");
  }

  // ---- Dockerfile and compose parsing ------------------------------------------------------

  private record Instruction(String keyword, String args) {}

  private record Stage(String name, List<Instruction> instructions) {}

  /** Instructions with line continuations joined and comments dropped. */
  private static List<Instruction> instructions(String dockerfile) {
    List<Instruction> out = new ArrayList<>();
    StringBuilder current = null;
    for (String raw : dockerfile.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("#") || line.isEmpty() && current == null) {
        continue;
      }
      boolean continues = line.endsWith("\\");
      if (continues) {
        line = line.substring(0, line.length() - 1).strip();
      }
      current = current == null ? new StringBuilder(line) : current.append(' ').append(line);
      if (!continues) {
        String text = current.toString().strip();
        int space = text.indexOf(' ');
        out.add(
            space < 0
                ? new Instruction(text.toUpperCase(Locale.ROOT), "")
                : new Instruction(
                    text.substring(0, space).toUpperCase(Locale.ROOT),
                    text.substring(space + 1).strip()));
        current = null;
      }
    }
    return out;
  }

  private static List<Stage> stages(Kit kit) {
    List<Stage> stages = new ArrayList<>();
    for (Instruction i : instructions(kit.dockerfile())) {
      if (i.keyword().equals("FROM")) {
        String[] words = i.args().split("\\s+");
        String name =
            words.length == 3 && words[1].equalsIgnoreCase("AS")
                ? words[2]
                : "stage" + stages.size();
        stages.add(new Stage(name, new ArrayList<>()));
      } else {
        assertThat(stages).as("%s before the first FROM", i.keyword()).isNotEmpty();
        stages.get(stages.size() - 1).instructions().add(i);
      }
    }
    assertThat(stages).as("the Dockerfile has a build and a runtime stage").hasSizeGreaterThan(1);
    return stages;
  }

  private static Stage runtimeStage(Kit kit) {
    List<Stage> stages = stages(kit);
    return stages.get(stages.size() - 1);
  }

  private static List<Instruction> all(List<Instruction> instructions, String keyword) {
    return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
  }

  private static Instruction single(List<Instruction> instructions, String keyword) {
    List<Instruction> found = all(instructions, keyword);
    assertThat(found).as("exactly one %s in the runtime stage", keyword).hasSize(1);
    return found.get(0);
  }

  private static Instruction last(List<Instruction> instructions, String keyword) {
    List<Instruction> found = all(instructions, keyword);
    assertThat(found).as("a %s", keyword).isNotEmpty();
    return found.get(found.size() - 1);
  }

  /** ENV in both forms: {@code K=V K2="V 2"} (values may be quoted) and {@code K V}. */
  private static Map<String, String> envPairs(String args) {
    Map<String, String> pairs = new LinkedHashMap<>();
    String[] words = args.split("\\s+");
    if (!words[0].contains("=")) {
      pairs.put(words[0], args.substring(words[0].length()).strip());
      return pairs;
    }
    Matcher pair = Pattern.compile("([^=\\s]+)=(\"[^\"]*\"|\\S*)").matcher(args);
    while (pair.find()) {
      pairs.put(pair.group(1), pair.group(2).replace("\"", ""));
    }
    return pairs;
  }

  /** COPY's sources and destination, without its --flags. */
  private static List<String> copyPaths(String args) {
    String rest = args;
    while (rest.startsWith("--")) {
      int space = rest.indexOf(' ');
      rest = space < 0 ? "" : rest.substring(space + 1).strip();
    }
    List<String> paths =
        rest.startsWith("[") ? jsonArray(rest, "COPY") : List.of(rest.split("\\s+"));
    assertThat(paths).as("COPY %s has a source and a destination", args).hasSizeGreaterThan(1);
    return paths;
  }

  private static List<String> jsonArray(String text, String what) {
    try {
      JsonNode node = JSON.readTree(text);
      assertThat(node.isArray()).as(what).isTrue();
      List<String> items = new ArrayList<>();
      node.forEach(n -> items.add(n.asText()));
      return items;
    } catch (IOException e) {
      throw new AssertionError(what + ": " + text, e);
    }
  }

  /** Container ports of a compose service: short ("8080:8080/tcp") and long ({target}) syntax. */
  private static Set<String> containerPorts(JsonNode service) {
    Set<String> ports = new LinkedHashSet<>();
    for (JsonNode port : service.path("ports")) {
      if (port.isObject()) {
        ports.add(port.path("target").asText());
      } else {
        String text = port.asText().split("/")[0];
        ports.add(text.substring(text.lastIndexOf(':') + 1));
      }
    }
    return ports;
  }

  /** A compose service's environment, written as a map or as a list of K=V. */
  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode node = service.path("environment");
    if (node.isArray()) {
      node.forEach(
          e -> {
            String[] kv = e.asText().split("=", 2);
            env.put(kv[0], kv.length > 1 ? kv[1] : "");
          });
    } else {
      node.properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    return env;
  }
}
