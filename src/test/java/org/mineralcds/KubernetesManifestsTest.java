package org.mineralcds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.config.ConfigLoader;
import org.mineralcds.config.ServiceConfig;

/**
 * The Kubernetes manifests (deploy/kubernetes), parsed into fabric8's typed model (no cluster runs
 * here) and checked for what matters: probes on paths the service serves and ports that agree,
 * non-root read-only containers, resources that fit the recommended JVM options, selectors that
 * select the Deployment's pods, egress limited to DNS, the database and HTTPS, secrets referenced
 * and never inlined, settings that the service accepts. {@link #eachCheckCatchesItsBreakage} proves
 * the checks can fail.
 */
class KubernetesManifestsTest {

  private static final Path DIR = Path.of("deploy/kubernetes");
  private static final ObjectMapper YAML =
      new YAMLMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final Map<String, Class<? extends HasMetadata>> KINDS =
      Map.of(
          "ConfigMap", ConfigMap.class,
          "Secret", Secret.class,
          "Deployment", Deployment.class,
          "Service", Service.class,
          "PodDisruptionBudget", PodDisruptionBudget.class,
          "HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
          "NetworkPolicy", NetworkPolicy.class);
  private static final Set<String> HEALTH = Set.of("/health/live", "/health/ready");
  private static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|SECRET|USER|TOKEN).*");

  /** The manifests' texts by file name. */
  static Map<String, String> files() throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> list = Files.list(DIR)) {
      for (Path p : list.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        files.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return files;
  }

  /** Parsed manifests. */
  record Manifests(Map<String, JsonNode> kustomization, List<HasMetadata> objects) {

    <T extends HasMetadata> List<T> all(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, List<String> problems) {
      List<T> found = all(type);
      if (found.size() != 1) {
        problems.add("expected one " + type.getSimpleName() + ", found " + found.size());
        return null;
      }
      return found.get(0);
    }
  }

  static Manifests parse(Map<String, String> files, List<String> problems) throws IOException {
    Map<String, JsonNode> kustomization = new LinkedHashMap<>();
    List<HasMetadata> objects = new ArrayList<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      for (JsonNode doc :
          YAML.readerFor(JsonNode.class).<JsonNode>readValues(f.getValue()).readAll()) {
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
          continue;
        }
        String kind = doc.path("kind").asText();
        if (kind.equals("Kustomization")) {
          kustomization.put(f.getKey(), doc);
          continue;
        }
        Class<? extends HasMetadata> type = KINDS.get(kind);
        if (type == null) {
          problems.add(f.getKey() + ": unexpected kind '" + kind + "'");
          continue;
        }
        objects.add(YAML.treeToValue(doc, type));
      }
    }
    return new Manifests(kustomization, objects);
  }

  /** Every problem found in the manifests. */
  static List<String> problems(Map<String, String> files, String readme, String dockerfile)
      throws IOException {
    List<String> problems = new ArrayList<>();
    Manifests m = parse(files, problems);

    // kustomization lists every manifest
    JsonNode kustomization = m.kustomization().get("kustomization.yaml");
    Set<String> listed = new LinkedHashSet<>();
    if (kustomization == null) {
      problems.add("no kustomization.yaml");
    } else {
      kustomization.path("resources").forEach(r -> listed.add(r.asText()));
    }
    Set<String> manifests = new LinkedHashSet<>(files.keySet());
    manifests.remove("kustomization.yaml");
    if (!listed.equals(manifests)) {
      problems.add("kustomization resources " + listed + " are not the manifests " + manifests);
    }

    // secrets: never in the repository
    if (!m.all(Secret.class).isEmpty()) {
      problems.add("a Secret is in the repository: create it in the cluster (deploy/README.md)");
    }
    Map<String, String> env = new HashMap<>();
    for (ConfigMap cm : m.all(ConfigMap.class)) {
      if (cm.getData() == null) {
        continue;
      }
      for (Map.Entry<String, String> e : cm.getData().entrySet()) {
        if (SECRET_NAME.matcher(e.getKey().toUpperCase(java.util.Locale.ROOT)).matches()
            || e.getValue().toLowerCase(java.util.Locale.ROOT).contains("password")) {
          problems.add(
              "ConfigMap " + cm.getMetadata().getName() + " holds a secret: " + e.getKey());
        }
        if (e.getKey().startsWith("MINERALCDS_")) {
          env.put(e.getKey(), e.getValue());
        }
      }
    }

    Deployment deployment = m.one(Deployment.class, problems);
    if (deployment == null) {
      return problems;
    }
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    if (!selects(deployment.getSpec().getSelector().getMatchLabels(), podLabels)) {
      problems.add("the Deployment's selector does not select its own pods");
    }
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    if (pod.getContainers().size() != 1) {
      problems.add("expected one container");
      return problems;
    }
    Container c = pod.getContainers().get(0);
    for (EnvVar v : c.getEnv()) {
      if (v.getName().startsWith("MINERALCDS_") && v.getValue() != null) {
        env.put(v.getName(), v.getValue());
      }
      if (SECRET_NAME.matcher(v.getName()).matches()
          && (v.getValue() != null
              || v.getValueFrom() == null
              || v.getValueFrom().getSecretKeyRef() == null)) {
        problems.add("env " + v.getName() + " is not taken from a Secret (secretKeyRef)");
      }
    }

    // settings: every name is one the service reads, and the service accepts them all
    Set<String> known = new LinkedHashSet<>(ConfigLoader.optionsAndEnvironment().values());
    known.add(ConfigLoader.DATABASE_USER_ENV);
    known.add(ConfigLoader.DATABASE_PASSWORD_ENV);
    for (String name : env.keySet()) {
      if (!known.contains(name)) {
        problems.add("unknown setting " + name);
      }
    }

    // ports
    Map<String, Integer> ports = new HashMap<>();
    for (ContainerPort p : c.getPorts()) {
      ports.put(p.getName(), p.getContainerPort());
    }
    int port = Integer.parseInt(env.getOrDefault("MINERALCDS_PORT", "8080"));
    if (!Objects.equals(ports.get("http"), port)) {
      problems.add("container port http " + ports.get("http") + " is not MINERALCDS_PORT " + port);
    }
    String management = env.get("MINERALCDS_MANAGEMENT_PORT");
    if (management != null
        && !Objects.equals(ports.get("management"), Integer.parseInt(management))) {
      problems.add("container port management is not MINERALCDS_MANAGEMENT_PORT " + management);
    }
    if (!"0.0.0.0".equals(env.get("MINERALCDS_HOST"))) {
      problems.add("MINERALCDS_HOST must be 0.0.0.0 in a pod (127.0.0.1 is unreachable)");
    }

    // probes
    Map<String, Probe> probes = new LinkedHashMap<>();
    probes.put("liveness", c.getLivenessProbe());
    probes.put("readiness", c.getReadinessProbe());
    probes.put("startup", c.getStartupProbe());
    for (Map.Entry<String, Probe> p : probes.entrySet()) {
      if (p.getValue() == null || p.getValue().getHttpGet() == null) {
        problems.add(p.getKey() + " probe missing or not httpGet");
        continue;
      }
      String path = p.getValue().getHttpGet().getPath();
      if (!HEALTH.contains(path)) {
        problems.add(p.getKey() + " probe path " + path + " is not served");
      }
      if (!Objects.equals(resolve(p.getValue().getHttpGet().getPort(), ports), port)) {
        problems.add(p.getKey() + " probe port is not the service port " + port);
      }
    }
    if (c.getReadinessProbe() != null
        && c.getReadinessProbe().getHttpGet() != null
        && !"/health/ready".equals(c.getReadinessProbe().getHttpGet().getPath())) {
      problems.add("readiness probe must be /health/ready (knowledge loaded, database reachable)");
    }

    // security
    boolean podNonRoot =
        pod.getSecurityContext() != null
            && Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot());
    var sc = c.getSecurityContext();
    if (sc == null) {
      problems.add("container has no securityContext");
    } else {
      if (!podNonRoot && !Boolean.TRUE.equals(sc.getRunAsNonRoot())) {
        problems.add("runAsNonRoot is not set");
      }
      if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
        problems.add("readOnlyRootFilesystem is not true");
      }
      if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        problems.add("allowPrivilegeEscalation is not false");
      }
      if (sc.getCapabilities() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
        problems.add("capabilities are not all dropped");
      }
    }
    Matcher user = Pattern.compile("(?m)^USER (\\d+)").matcher(dockerfile);
    Long uid = pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsUser();
    if (!user.find() || uid == null || uid != Long.parseLong(user.group(1))) {
      problems.add("runAsUser " + uid + " is not the image's USER");
    }
    VolumeMount tmp =
        c.getVolumeMounts().stream()
            .filter(v -> v.getMountPath().equals("/tmp"))
            .findFirst()
            .orElse(null);
    Volume tmpVolume =
        tmp == null
            ? null
            : pod.getVolumes().stream()
                .filter(v -> v.getName().equals(tmp.getName()))
                .findFirst()
                .orElse(null);
    if (tmpVolume == null || tmpVolume.getEmptyDir() == null) {
      problems.add("no writable emptyDir at /tmp");
    }

    // resources against the recommended JVM options
    String javaOptions =
        c.getEnv().stream()
            .filter(v -> v.getName().equals("JDK_JAVA_OPTIONS"))
            .map(EnvVar::getValue)
            .findFirst()
            .orElse("");
    Matcher recommended = Pattern.compile("`java (-Xmx(\\d+)m -Xmn\\d+m)").matcher(readme);
    if (!recommended.find()) {
      problems.add("README names no recommended JVM options");
    } else {
      if (!javaOptions.contains(recommended.group(1))) {
        problems.add(
            "JDK_JAVA_OPTIONS '" + javaOptions + "' lacks the recommended " + recommended.group(1));
      }
      long heap = Long.parseLong(recommended.group(2)) * 1024 * 1024;
      var res = c.getResources();
      if (res == null || res.getLimits() == null || res.getRequests() == null) {
        problems.add("resources requests and limits are not set");
      } else {
        BigDecimal limit = bytes(res.getLimits().get("memory"));
        BigDecimal request = bytes(res.getRequests().get("memory"));
        if (limit == null || request == null || res.getRequests().get("cpu") == null) {
          problems.add("memory limit, memory request and cpu request are required");
        } else {
          // Heap plus metaspace, code cache, thread stacks and buffers: 213 MiB resident was
          // measured with a 160 MiB heap (BENCHMARKS.md); at least 2x the heap leaves headroom.
          if (limit.compareTo(BigDecimal.valueOf(2 * heap)) < 0) {
            problems.add("memory limit " + limit + " is under twice the heap " + heap);
          }
          if (request.compareTo(limit) > 0) {
            problems.add("memory request above the limit");
          }
        }
      }
    }

    // graceful stop fits in the grace period
    long preStop = 0;
    if (c.getLifecycle() != null
        && c.getLifecycle().getPreStop() != null
        && c.getLifecycle().getPreStop().getExec() != null) {
      List<String> cmd = c.getLifecycle().getPreStop().getExec().getCommand();
      preStop = Long.parseLong(cmd.get(cmd.size() - 1));
    }
    long needed = preStop + MineralCds.DRAIN.toSeconds() + 5; // + the card log flush
    if (pod.getTerminationGracePeriodSeconds() == null
        || pod.getTerminationGracePeriodSeconds() < needed) {
      problems.add("terminationGracePeriodSeconds under " + needed + " s");
    }

    // Service
    Service service = m.one(Service.class, problems);
    if (service != null) {
      if (!selects(service.getSpec().getSelector(), podLabels)) {
        problems.add("the Service's selector does not select the Deployment's pods");
      }
      for (ServicePort sp : service.getSpec().getPorts()) {
        Integer target = resolve(sp.getTargetPort(), ports);
        if (!Objects.equals(target, port)) {
          problems.add("Service port " + sp.getPort() + " targets " + target + ", not " + port);
        }
      }
    }

    // PodDisruptionBudget and HPA
    PodDisruptionBudget pdb = m.one(PodDisruptionBudget.class, problems);
    HorizontalPodAutoscaler hpa = m.one(HorizontalPodAutoscaler.class, problems);
    if (pdb != null) {
      if (!selects(pdb.getSpec().getSelector().getMatchLabels(), podLabels)) {
        problems.add("the PodDisruptionBudget's selector does not match the Deployment's pods");
      }
      IntOrString min = pdb.getSpec().getMinAvailable();
      int minReplicas =
          hpa == null ? deployment.getSpec().getReplicas() : hpa.getSpec().getMinReplicas();
      if (min == null || min.getIntVal() == null || min.getIntVal() >= minReplicas) {
        problems.add(
            "PodDisruptionBudget minAvailable must be a number below the minimum replicas");
      }
    }
    if (hpa != null) {
      var target = hpa.getSpec().getScaleTargetRef();
      if (!target.getKind().equals("Deployment")
          || !target.getName().equals(deployment.getMetadata().getName())) {
        problems.add("the HorizontalPodAutoscaler does not scale the Deployment");
      }
      if (hpa.getSpec().getMinReplicas() == null || hpa.getSpec().getMinReplicas() < 2) {
        problems.add("HorizontalPodAutoscaler minReplicas under 2");
      }
    }

    // NetworkPolicy: egress to DNS, the database and HTTPS only; ingress to the hook port only
    NetworkPolicy policy = m.one(NetworkPolicy.class, problems);
    if (policy != null) {
      if (!selects(policy.getSpec().getPodSelector().getMatchLabels(), podLabels)) {
        problems.add("the NetworkPolicy does not select the Deployment's pods");
      }
      if (!policy.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress"))) {
        problems.add("NetworkPolicy policyTypes must include Ingress and Egress");
      }
      int dbPort = databasePort(env.get("MINERALCDS_DATABASE_URL"));
      for (NetworkPolicyEgressRule rule : policy.getSpec().getEgress()) {
        if (rule.getTo() == null || rule.getTo().isEmpty()) {
          problems.add("an egress rule has no 'to': it allows every destination");
          continue;
        }
        if (rule.getPorts() == null || rule.getPorts().isEmpty()) {
          problems.add("an egress rule has no ports: it allows every port");
          continue;
        }
        for (NetworkPolicyPeer peer : rule.getTo()) {
          if (peer.getIpBlock() != null
              && (peer.getIpBlock().getCidr().endsWith("/0")
                  || peer.getIpBlock().getCidr().isBlank())) {
            problems.add("egress to " + peer.getIpBlock().getCidr() + " is anywhere");
          }
        }
        for (NetworkPolicyPort p : rule.getPorts()) {
          int n = p.getPort() == null ? -1 : p.getPort().getIntVal();
          if (n == 53) {
            boolean dnsOnly =
                rule.getTo().stream()
                    .allMatch(
                        peer ->
                            peer.getIpBlock() == null
                                && peer.getNamespaceSelector() != null
                                && peer.getPodSelector() != null);
            if (!dnsOnly) {
              problems.add("egress on port 53 goes beyond the cluster's DNS pods");
            }
          } else if (n != dbPort && n != 443) {
            problems.add("egress on port " + n + " (allowed: 53, " + dbPort + ", 443)");
          }
        }
      }
      Integer managementPort = ports.get("management");
      boolean scraped = management == null;
      for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
        if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
          problems.add("an ingress rule has no 'from': anyone may connect");
        }
        if (rule.getPorts() == null || rule.getPorts().isEmpty()) {
          problems.add("an ingress rule has no ports");
          continue;
        }
        // The management port (/metrics, analytics) only from the monitoring namespace.
        boolean monitoringOnly =
            rule.getFrom() != null
                && !rule.getFrom().isEmpty()
                && rule.getFrom().stream()
                    .allMatch(
                        peer ->
                            peer.getIpBlock() == null
                                && peer.getNamespaceSelector() != null
                                && "monitoring"
                                    .equals(
                                        peer.getNamespaceSelector()
                                            .getMatchLabels()
                                            .get("kubernetes.io/metadata.name")));
        for (NetworkPolicyPort p : rule.getPorts()) {
          Integer to = resolve(p.getPort(), ports);
          if (management != null && Objects.equals(to, managementPort) && monitoringOnly) {
            scraped = true;
          } else if (!Objects.equals(to, port)) {
            problems.add(
                "ingress allowed to port "
                    + p.getPort()
                    + " (only the hook port, and the management port from monitoring)");
          }
        }
      }
      if (!scraped) {
        problems.add(
            "/metrics cannot be scraped: with MINERALCDS_MANAGEMENT_PORT it is served there only,"
                + " and no ingress rule admits the monitoring namespace to that port");
      }
    }

    // the service accepts the settings (the settings file from the ConfigMap, secrets stubbed)
    String configPath = env.get("MINERALCDS_CONFIG");
    ConfigMap file =
        m.all(ConfigMap.class).stream()
            .filter(cm -> cm.getData() != null && cm.getData().containsKey("config.yaml"))
            .findFirst()
            .orElse(null);
    if (configPath == null || file == null) {
      problems.add("no settings file: MINERALCDS_CONFIG and a ConfigMap with config.yaml");
    } else {
      boolean mounted =
          c.getVolumeMounts().stream()
              .anyMatch(
                  v ->
                      configPath.equals(v.getMountPath() + "/config.yaml")
                          && Boolean.TRUE.equals(v.getReadOnly())
                          && pod.getVolumes().stream()
                              .anyMatch(
                                  vol ->
                                      vol.getName().equals(v.getName())
                                          && vol.getConfigMap() != null
                                          && vol.getConfigMap()
                                              .getName()
                                              .equals(file.getMetadata().getName())));
      if (!mounted) {
        problems.add("config.yaml is not mounted read-only at " + configPath);
      }
      Path tmpFile = Files.createTempFile("mineral-cds-config", ".yaml");
      try {
        Files.writeString(tmpFile, file.getData().get("config.yaml"));
        Map<String, String> loaded = new HashMap<>(env);
        loaded.put("MINERALCDS_CONFIG", tmpFile.toString());
        loaded.put(ConfigLoader.DATABASE_USER_ENV, "from-the-secret");
        loaded.put(ConfigLoader.DATABASE_PASSWORD_ENV, "from-the-secret");
        loaded.put("MINERALCDS_PSEUDONYM_SECRET", "from-the-secret-0123456789");
        ServiceConfig config = ConfigLoader.load(new String[0], loaded);
        if (config.trustedIssuers().isEmpty()) {
          problems.add("no trusted issuer in config.yaml: EHR calls would be refused");
        }
        if (config.demo()) {
          problems.add("the demo is on");
        }
        if (config.memory().databaseUrl() == null) {
          problems.add("no PostgreSQL: replicas must share one database");
        }
      } catch (ConfigLoader.ConfigException e) {
        problems.add("the service refuses the settings: " + e.getMessage());
      } finally {
        Files.deleteIfExists(tmpFile);
      }
    }
    return problems;
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null
        && !selector.isEmpty()
        && labels != null
        && labels.entrySet().containsAll(selector.entrySet());
  }

  private static Integer resolve(IntOrString port, Map<String, Integer> named) {
    if (port == null) {
      return null;
    }
    return port.getIntVal() != null ? port.getIntVal() : named.get(port.getStrVal());
  }

  private static BigDecimal bytes(Quantity q) {
    return q == null ? null : Quantity.getAmountInBytes(q);
  }

  private static int databasePort(String url) {
    if (url == null) {
      return -1;
    }
    URI uri = URI.create(url.substring("jdbc:".length()));
    return uri.getPort() < 0 ? 5432 : uri.getPort();
  }

  private static String read(String path) throws IOException {
    return Files.readString(Path.of(path));
  }

  @Test
  void theManifestsAreValid() throws Exception {
    assertThat(problems(files(), read("README.md"), read("docker/Dockerfile"))).isEmpty();
  }

  @Test
  void theProbePathsAreServedByTheService(@TempDir Path tmp) throws Exception {
    ServiceConfig config =
        ConfigLoader.load(
            new String[] {"--port", "0", "--demo", "false", "--memory", "false"}, Map.of());
    List<String> paths = new ArrayList<>();
    Deployment d = parse(files(), new ArrayList<>()).all(Deployment.class).get(0);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    for (Probe p : List.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
      paths.add(p.getHttpGet().getPath());
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try (MineralCds app = MineralCds.start(config, java.time.Clock.systemUTC())) {
      for (String path : paths) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
      }
    }
  }

  static Stream<Arguments> breakages() {
    return Stream.of(
        Arguments.of(
            "deployment.yaml",
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
            "readOnlyRootFilesystem"),
        Arguments.of(
            "deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"),
        Arguments.of("deployment.yaml", "path: /health/ready", "path: /healthz", "not served"),
        Arguments.of(
            "deployment.yaml", "containerPort: 8080", "containerPort: 9090", "MINERALCDS_PORT"),
        Arguments.of("deployment.yaml", "mountPath: /tmp", "mountPath: /scratch", "/tmp"),
        Arguments.of("deployment.yaml", "memory: 384Mi", "memory: 256Mi", "twice the heap"),
        Arguments.of("deployment.yaml", "-Xmx160m -Xmn64m", "-Xmx512m", "recommended"),
        Arguments.of(
            "deployment.yaml",
            "              valueFrom:\n                secretKeyRef:\n                  name: mineral-cds\n                  key: database-password",
            "              value: hunter2",
            "MINERALCDS_DATABASE_PASSWORD is not taken from a Secret"),
        Arguments.of(
            "deployment.yaml",
            "terminationGracePeriodSeconds: 30",
            "terminationGracePeriodSeconds: 10",
            "terminationGracePeriodSeconds"),
        Arguments.of("service.yaml", "targetPort: http", "targetPort: management", "targets"),
        Arguments.of(
            "service.yaml",
            "  selector:\n    app.kubernetes.io/name: mineral-cds",
            "  selector:\n    app.kubernetes.io/name: other",
            "Service's selector"),
        Arguments.of(
            "poddisruptionbudget.yaml",
            "app.kubernetes.io/name: mineral-cds\n",
            "app.kubernetes.io/name: mineral\n",
            "PodDisruptionBudget's selector"),
        Arguments.of(
            "poddisruptionbudget.yaml", "minAvailable: 2", "minAvailable: 3", "minAvailable"),
        Arguments.of(
            "horizontalpodautoscaler.yaml",
            "    name: mineral-cds\n  minReplicas",
            "    name: other\n  minReplicas",
            "does not scale"),
        Arguments.of("networkpolicy.yaml", "cidr: 203.0.113.10/32", "cidr: 0.0.0.0/0", "anywhere"),
        Arguments.of(
            "networkpolicy.yaml", "        - port: 443", "        - port: 80", "egress on port 80"),
        Arguments.of(
            "networkpolicy.yaml",
            "        - port: 8080",
            "        - port: 8081",
            "ingress allowed"),
        Arguments.of(
            "networkpolicy.yaml",
            "        - port: 8081",
            "        - port: 8080",
            "cannot be scraped"),
        Arguments.of(
            "configmap.yaml", "MINERALCDS_DEMO: \"false\"", "MINERALCDS_DEMO: \"true\"", "demo"),
        Arguments.of(
            "configmap.yaml",
            "hookDeadlineMs: 3000",
            "hookDeadlineMs: soon",
            "refuses the settings"),
        Arguments.of(
            "configmap.yaml",
            "MINERALCDS_PORT: \"8080\"",
            "MINERALCDS_PROT: \"8080\"",
            "unknown setting"),
        Arguments.of(
            "kustomization.yaml", "  - networkpolicy.yaml\n", "", "kustomization resources"));
  }

  @ParameterizedTest
  @MethodSource("breakages")
  void eachCheckCatchesItsBreakage(String file, String from, String to, String expected)
      throws Exception {
    Map<String, String> files = files();
    assertThat(files.get(file)).as(file).contains(from);
    files.put(file, files.get(file).replace(from, to));
    assertThat(problems(files, read("README.md"), read("docker/Dockerfile")))
        .anySatisfy(p -> assertThat(p).contains(expected));
  }
}
