package org.mineralcds;

import ca.uhn.fhir.context.FhirContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.CrossOriginHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.mineralcds.auth.EhrAuthenticator;
import org.mineralcds.auth.ReplayCache;
import org.mineralcds.cards.CardRenderer;
import org.mineralcds.cards.OrderCards;
import org.mineralcds.cli.CheckCommand;
import org.mineralcds.config.ConfigLoader;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.config.TrustedIssuer;
import org.mineralcds.demo.ScenarioFhirServer;
import org.mineralcds.demo.ScenarioStore;
import org.mineralcds.fhir.FhirServerPolicy;
import org.mineralcds.fhir.HapiFhirFetcher;
import org.mineralcds.fhir.PatientDataLoader;
import org.mineralcds.fhir.R4Mapper;
import org.mineralcds.fhir.WaitBracket;
import org.mineralcds.hook.HookJson;
import org.mineralcds.http.AnalyticsHandler;
import org.mineralcds.http.CdsHooksHandler;
import org.mineralcds.http.CpuSlots;
import org.mineralcds.http.KnowledgePagesHandler;
import org.mineralcds.http.MetricsHandler;
import org.mineralcds.http.NotFoundHandler;
import org.mineralcds.http.StaticFilesHandler;
import org.mineralcds.io.ByteBudget;
import org.mineralcds.knowledge.Knowledge;
import org.mineralcds.knowledge.KnowledgeLoader;
import org.mineralcds.knowledge.KnowledgePages;
import org.mineralcds.knowledge.KnowledgeReport;
import org.mineralcds.knowledge.Prescribing;
import org.mineralcds.knowledge.PrescribingLoader;
import org.mineralcds.knowledge.ServiceDefinition;
import org.mineralcds.memory.JdbcMemory;
import org.mineralcds.memory.JdbcRunAhead;
import org.mineralcds.memory.Memory;
import org.mineralcds.memory.RunAheadStore;
import org.mineralcds.observability.Logging;
import org.mineralcds.observability.Metrics;
import org.mineralcds.rules.Evaluator;
import org.mineralcds.rules.OrderEvaluator;
import org.mineralcds.service.CardMemory;
import org.mineralcds.service.CdsService;
import org.mineralcds.service.MineralBalanceService;
import org.mineralcds.service.OrderCheck;
import org.mineralcds.service.OrderSelectService;
import org.mineralcds.service.OrderSignService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point and composition root: every object is built here with {@code new}. */
public final class MineralCds implements AutoCloseable {

  public static final String SERVICE_ID = "mineral-balance";

  /** How long stopping waits for the calls in flight (Jetty's graceful stop). */
  static final java.time.Duration DRAIN = java.time.Duration.ofSeconds(10);

  private final Server server;
  private final ExecutorService fetchPool;
  private final JdbcMemory memory;
  private final CdsHooksHandler hooks;
  private final EhrAuthenticator authenticator;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private MineralCds(
      Server server,
      ExecutorService fetchPool,
      JdbcMemory memory,
      CdsHooksHandler hooks,
      EhrAuthenticator authenticator) {
    this.server = server;
    this.fetchPool = fetchPool;
    this.memory = memory;
    this.hooks = hooks;
    this.authenticator = authenticator;
  }

  /** The memory, or null when it is off. */
  public JdbcMemory memory() {
    return memory;
  }

  /** The management port (admin endpoints), or -1 when there is none. */
  public int managementPort() {
    for (var c : server.getConnectors()) {
      if ("management".equals(c.getName())) {
        return ((ServerConnector) c).getLocalPort();
      }
    }
    return -1;
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("check")) {
      System.exit(
          CheckCommand.run(
              Arrays.copyOfRange(args, 1, args.length), System.out, System.err, Clock.systemUTC()));
      return;
    }
    if (args.length > 0 && args[0].equals("knowledge-report")) {
      System.exit(
          KnowledgeReport.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
      return;
    }
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(USAGE);
      return;
    }
    ServiceConfig config;
    try {
      config = ConfigLoader.load(args, System.getenv());
    } catch (ConfigLoader.ConfigException e) {
      System.err.println(e.getMessage());
      System.err.println("Run with --help for the options.");
      System.exit(2);
      return;
    }
    Logging.configure(config.operations().logLevel(), config.operations().logFormat());
    try {
      MineralCds app = start(config, config.clock());
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  // SIGTERM (docker stop, Kubernetes) or Ctrl-C: close() logs a line when
                  // stopping starts and one when it is done.
                  app::close, "shutdown"));
      System.out.println("mineral-cds listening on " + app.baseUrl());
    } catch (RuntimeException e) {
      System.err.println("mineral-cds failed to start: " + e.getMessage());
      System.exit(1);
    }
  }

  /**
   * Threads that wait on FHIR servers: enough for every admitted hook call to have a typical first
   * round in flight (4 requests, BENCHMARKS.md) and, at the default call limit, for several servers
   * at their request limits. Were there fewer, a call's queries would queue behind other calls'
   * held ones rather than wait for their server's turn.
   */
  static int fetchThreads(int maxConcurrentHooks) {
    return Math.max(128, 4 * maxConcurrentHooks);
  }

  /**
   * HTTP threads beyond the hook calls' own: Jetty's acceptors and selectors (up to 8 per connector
   * on a large machine) and the requests that take no hook slot (health probes, discovery,
   * feedback, metrics), which must be answered while every hook slot is taken.
   */
  private static final int HTTP_THREADS_BESIDE_HOOK_CALLS = 32;

  /**
   * The HTTP thread pool: every admitted hook call may hold a thread (reading a slow client's body,
   * waiting for its FHIR servers), so the pool grows with the configured call limit; were it
   * smaller, calls beyond it would queue inside Jetty and starve the health probes.
   */
  static int httpThreads(int maxConcurrentHooks) {
    return Math.max(64, maxConcurrentHooks + HTTP_THREADS_BESIDE_HOOK_CALLS);
  }

  static final String USAGE =
      """
      mineral-cds: a CDS Hooks service for calcium, magnesium, potassium, PTH, TSH and vitamin D.

      Usage:
        java -jar mineral-cds.jar [options]        serve CDS Hooks (the default)
        java -jar mineral-cds.jar check --help     evaluate one patient on a FHIR server, or one
                                                   hook request (patient-view, order-select,
                                                   order-sign) from a file
        java -jar mineral-cds.jar knowledge-report --help
                                                   write the clinical knowledge as a Markdown
                                                   report for clinical review

      Options (each also read from the environment variable shown; options win):
      """
          + ConfigLoader.describeOptions();

  /**
   * Builds the mineral-balance service: knowledge, data access, rules and cards. Shared by the HTTP
   * server and the check command.
   */
  public static MineralBalanceService service(
      ServiceConfig config, Clock clock, ExecutorService fetchPool, Metrics metrics) {
    return service(config, clock, fetchPool, metrics, FhirContext.forR4(), WaitBracket.NONE);
  }

  /**
   * The three services (mineral-balance, mineral-order-select, mineral-order-sign) by id, without
   * memory, sharing one data loader: what the check command runs.
   */
  public static Map<String, CdsService> services(
      ServiceConfig config, Clock clock, ExecutorService fetchPool, Metrics metrics) {
    Knowledge knowledge = knowledge(config);
    PatientDataLoader loader =
        loader(config, clock, fetchPool, metrics, FhirContext.forR4(), WaitBracket.NONE, knowledge);
    Map<String, CdsService> services = new LinkedHashMap<>();
    services.put(SERVICE_ID, service(config, clock, metrics, knowledge, null, loader));
    services.putAll(
        orderServices(
            config, clock, metrics, knowledge, prescribing(config, knowledge), loader, null));
    return services;
  }

  /**
   * As {@link #service(ServiceConfig, Clock, ExecutorService, Metrics)}, on {@code fhir}: a context
   * of the service's own, never the JVM-wide {@code FhirContext.forR4Cached()}, because the FHIR
   * client's HTTP settings (no cross-server redirects, capped bodies, timeouts) are configured on
   * its client factory (HAPI's requests take their HTTP client from the context's factory) and must
   * not leak into other users. Building a context's model costs hundreds of milliseconds of
   * start-up, so the service's parser, client and demo server share this one. {@code fhirWaits}
   * runs around each wait for a FHIR server.
   */
  static MineralBalanceService service(
      ServiceConfig config,
      Clock clock,
      ExecutorService fetchPool,
      Metrics metrics,
      FhirContext fhir,
      WaitBracket fhirWaits) {
    return service(config, clock, fetchPool, metrics, fhir, fhirWaits, knowledge(config), null);
  }

  /** The knowledge: the packaged copy, or the one under --knowledge-dir. */
  static Knowledge knowledge(ServiceConfig config) {
    return config.knowledgeDir() == null
        ? KnowledgeLoader.fromClasspath(SERVICE_ID)
        : KnowledgeLoader.fromDirectory(config.knowledgeDir().resolve(SERVICE_ID));
  }

  /** As above, with {@code memory} (null: none) for suppression, silent mode and the card log. */
  static MineralBalanceService service(
      ServiceConfig config,
      Clock clock,
      ExecutorService fetchPool,
      Metrics metrics,
      FhirContext fhir,
      WaitBracket fhirWaits,
      Knowledge knowledge,
      Memory memory) {
    return service(
        config,
        clock,
        metrics,
        knowledge,
        memory,
        loader(config, clock, fetchPool, metrics, fhir, fhirWaits, knowledge));
  }

  /** As above, on {@code loader} (shared with the prescribing services). */
  static MineralBalanceService service(
      ServiceConfig config,
      Clock clock,
      Metrics metrics,
      Knowledge knowledge,
      Memory memory,
      PatientDataLoader loader) {
    return new MineralBalanceService(
        knowledge.service(),
        loader,
        new Evaluator(knowledge.rules(), knowledge.labs()),
        new CardRenderer(knowledge.labs(), knowledge.rules()),
        clock,
        config.allowedFhirServers(),
        metrics,
        cardMemory(config, metrics, knowledge, memory));
  }

  /**
   * The data loader: the query plan of mineral-balance (hooks/mineral-balance/service.yaml), which
   * the prescribing services share.
   */
  static PatientDataLoader loader(
      ServiceConfig config,
      Clock clock,
      ExecutorService fetchPool,
      Metrics metrics,
      FhirContext fhir,
      WaitBracket fhirWaits,
      Knowledge knowledge) {
    return new PatientDataLoader(
        fhir.getResourceTypes(),
        knowledge.service(),
        new HapiFhirFetcher(
            fhir,
            new HapiFhirFetcher.Settings(
                config.fhirConnectTimeout(),
                config.fhirReadTimeout(),
                config.fhirLimits().maxRequestsPerServer(),
                knowledge.service().optionalParameters()),
            metrics),
        new FhirServerPolicy(config.allowedFhirServers(), !config.authenticationRequired()),
        new R4Mapper(knowledge.labs(), knowledge.drugs(), knowledge.conditions()),
        fetchPool,
        clock,
        config.hookDeadline(),
        config.maxFhirPages(),
        fhirWaits,
        new ByteBudget.Pool(config.fhirLimits().maxBytesInFlight()),
        config.fhirLimits().maxBytesPerCall());
  }

  private static CardMemory cardMemory(
      ServiceConfig config, Metrics metrics, Knowledge knowledge, Memory memory) {
    return memory == null
        ? CardMemory.none(knowledge.labs(), metrics)
        : new CardMemory(
            memory,
            knowledge.labs(),
            metrics,
            config.memory().silentIssuers(),
            config.memory().silentRules());
  }

  /** The prescribing knowledge: the packaged copy, or the one under --knowledge-dir. */
  static Prescribing prescribing(ServiceConfig config, Knowledge knowledge) {
    if (knowledge.prescribing() != null) {
      return knowledge.prescribing();
    }
    return config.knowledgeDir() == null
        ? PrescribingLoader.fromClasspath(knowledge)
        : PrescribingLoader.fromDirectory(
            knowledge, config.knowledgeDir().resolve(PrescribingLoader.FOLDER));
  }

  /** The services on order-select and order-sign, by id, sharing the data loader. */
  static Map<String, CdsService> orderServices(
      ServiceConfig config,
      Clock clock,
      Metrics metrics,
      Knowledge knowledge,
      Prescribing prescribing,
      PatientDataLoader loader,
      JdbcMemory memory) {
    R4Mapper mapper = new R4Mapper(knowledge.labs(), knowledge.drugs(), knowledge.conditions());
    OrderEvaluator evaluator =
        new OrderEvaluator(prescribing.rules(), knowledge.rules(), knowledge.labs());
    OrderCards cards = new OrderCards(knowledge.labs());
    RunAheadStore runAhead = memory == null ? RunAheadStore.none() : new JdbcRunAhead(memory);
    Map<String, CdsService> services = new LinkedHashMap<>();
    for (String hook : List.of("order-select", "order-sign")) {
      ServiceDefinition definition = prescribing.service(hook);
      OrderCheck check =
          new OrderCheck(
              definition,
              loader,
              mapper,
              evaluator,
              cards,
              clock,
              config.allowedFhirServers(),
              metrics,
              cardMemory(config, metrics, knowledge, memory),
              memory,
              runAhead);
      services.put(
          definition.id(),
          hook.equals("order-select")
              ? new OrderSelectService(check)
              : new OrderSignService(check));
    }
    return services;
  }

  /** Every rule id of the knowledge, for checking the silent-rules setting. */
  private static Set<String> ruleIds(Knowledge knowledge) {
    Set<String> ids = new LinkedHashSet<>();
    knowledge.rules().bands().forEach(b -> ids.add(b.id()));
    knowledge.rules().patterns().forEach(p -> ids.add(p.band().id()));
    knowledge.rules().trends().forEach(t -> ids.add(t.band().id()));
    knowledge.rules().dueTests().forEach(d -> ids.add(d.id()));
    if (knowledge.prescribing() != null) {
      knowledge.prescribing().rules().all().forEach(r -> ids.add(r.id()));
    }
    return ids;
  }

  /** A short, stable fingerprint of the clinical knowledge in use (logged with every card). */
  static String knowledgeVersion(Knowledge knowledge) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(
                  (knowledge.service().toString() + knowledge.rules().toString())
                      .getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String serviceVersion() {
    String v = MineralCds.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Silent mode may name only rules the knowledge has. */
  private static void checkSilentRules(ServiceConfig config, Knowledge knowledge) {
    Set<String> unknown = new LinkedHashSet<>(config.memory().silentRules());
    unknown.removeAll(ruleIds(knowledge));
    if (!unknown.isEmpty()) {
      throw new IllegalStateException("--silent-rules names unknown rule ids: " + unknown);
    }
  }

  /** Builds and starts the service; {@code clock} is the service's notion of now. */
  public static MineralCds start(ServiceConfig config, Clock clock) {
    FhirContext fhir = FhirContext.forR4();
    // Start-up: the demo FHIR server (which parses the scenario bundles) is built on a thread of
    // its own while this one loads the knowledge and builds the service.
    CompletableFuture<Handler> demoFhir =
        config.demo()
            ? CompletableFuture.supplyAsync(
                () -> demoFhirServer(config, clock, fhir),
                r -> daemonThreads("demo-init").newThread(r).start())
            : null;
    Metrics metrics = new Metrics();
    // FHIR queries mostly wait on the network (or for a turn at a busy server): threads created
    // on demand and let go after a minute idle.
    ThreadPoolExecutor fetchPool =
        new ThreadPoolExecutor(
            fetchThreads(config.maxConcurrentHooks()),
            fetchThreads(config.maxConcurrentHooks()),
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            daemonThreads("fhir-fetch"));
    fetchPool.allowCoreThreadTimeOut(true);
    // Hook calls use the CPU two per core at most, in arrival order, and give up their slot while
    // they wait for a FHIR server (CpuSlots, BENCHMARKS.md).
    CpuSlots cpuSlots = new CpuSlots(2 * Runtime.getRuntime().availableProcessors());
    // The memory opens first and migrates on a thread of its own while this one loads and
    // validates the knowledge (the two longest parts of start-up, overlapped); its card rows name
    // the knowledge version, known by the time the first call is logged. Joined before the first
    // request can arrive.
    CompletableFuture<Knowledge> knowledgeLoaded = new CompletableFuture<>();
    // Computed once (it digests every rule), not for each card row.
    CompletableFuture<String> knowledgeVersion =
        knowledgeLoaded.thenApply(MineralCds::knowledgeVersion);
    JdbcMemory memory =
        config.memory().enabled()
            ? new JdbcMemory(
                config.memory(), metrics::memory, clock, serviceVersion(), knowledgeVersion::join)
            : null;
    CompletableFuture<Void> memoryStarted =
        memory == null
            ? CompletableFuture.completedFuture(null)
            : CompletableFuture.runAsync(
                memory::start, r -> daemonThreads("memory-init").newThread(r).start());
    Knowledge knowledge;
    try {
      knowledge = knowledge(config);
      if (memory != null) {
        checkSilentRules(config, knowledge);
      }
    } catch (RuntimeException e) {
      knowledgeLoaded.completeExceptionally(e);
      if (memory != null) {
        memory.close();
      }
      throw e;
    }
    knowledgeLoaded.complete(knowledge);
    // Used jti values are kept in the memory database when there is one (shared by replicas, kept
    // across restarts; JWT calls are refused with 503 while it is down), else in this process.
    EhrAuthenticator authenticator =
        new EhrAuthenticator(
            config.trustedIssuers(),
            config.allowSandboxIssuer(),
            config.clockSkew(),
            clock,
            memory == null ? ReplayCache.inProcess(200_000) : memory.replayCache());
    // One loader (one FHIR client, one byte budget) for the three services: one query plan.
    PatientDataLoader loader =
        loader(config, clock, fetchPool, metrics, fhir, cpuSlots::whileWaiting, knowledge);
    MineralBalanceService service = service(config, clock, metrics, knowledge, memory, loader);
    Map<String, CdsService> services = new LinkedHashMap<>();
    services.put(SERVICE_ID, service);
    services.putAll(
        orderServices(
            config, clock, metrics, knowledge, prescribing(config, knowledge), loader, memory));
    CdsHooksHandler hooks =
        new CdsHooksHandler(
            services,
            HookJson.newMapper(),
            new CdsHooksHandler.Settings(
                config.corsAllowedOrigins(),
                config.maxBodyBytes(),
                !config.insecureAllowRemoteUnauthenticated(),
                config.publicBaseUrl(),
                config.maxConcurrentHooks(),
                config.operations().proxyRetryHeader()),
            authenticator,
            metrics,
            cpuSlots);
    // Not a static field: logging starts up in ~0.3 s, which the demo thread can overlap.
    Logger log = LoggerFactory.getLogger(MineralCds.class);
    if (authenticator.enabled()) {
      log.info("EHR calls must carry a JWT from: {}", authenticator.issuerNames());
    } else if (config.insecureAllowRemoteUnauthenticated()) {
      log.warn(
          "INSECURE: unauthenticated calls are accepted from any address"
              + " (--insecure-allow-remote-unauthenticated). Use only on a private demo network.");
    } else {
      log.info("no trusted EHR issuer configured: only loopback callers are answered");
    }
    if (config.operations().proxyRetryHeader() != null && authenticator.enabled()) {
      log.info(
          "a JWT seen again is accepted only as the proxy's retry of the same request (same {}"
              + " header and body): the replicas must be reachable through the proxy only, and the"
              + " proxy must overwrite that header",
          config.operations().proxyRetryHeader());
    }
    for (TrustedIssuer issuer : config.trustedIssuers()) {
      log.info(
          "issuer {} may name as fhirServer: {}",
          issuer.issuer(),
          issuer.fhirServers().isEmpty()
              ? "the global --allowed-fhir-servers " + config.allowedFhirServers()
              : "its own fhirServers " + issuer.fhirServers() + " only");
    }
    for (String url :
        ConfigLoader.plainHttpUrls(config.allowedFhirServers(), config.trustedIssuers())) {
      // Start-up stops on these unless --allow-plain-http (ConfigLoader); say so loudly anyway.
      log.warn(
          "PLAIN HTTP: {} is not https: keys fetched or access tokens sent there cross the network"
              + " in clear (--allow-plain-http)",
          url);
    }

    AnalyticsHandler analytics =
        memory == null ? null : new AnalyticsHandler(memory, HookJson.newMapper(), clock);
    QueuedThreadPool threads = new QueuedThreadPool(httpThreads(config.maxConcurrentHooks()), 4);
    threads.setName("http");
    Server server = new Server(threads);
    ServerConnector connector = new ServerConnector(server);
    connector.setName("main");
    connector.setHost(config.host());
    connector.setPort(config.port());
    server.addConnector(connector);
    ServerConnector management = null;
    if (config.memory().managementPort() >= 0) {
      management = new ServerConnector(server);
      management.setName("management");
      management.setHost(config.host());
      management.setPort(config.memory().managementPort());
      server.addConnector(management);
    }
    ContextHandlerCollection contexts = new ContextHandlerCollection();
    Handler.Sequence root = new Handler.Sequence();
    root.addHandler(hooks);
    // The pages cards link to (source.url): one per rule, and the knowledge report; rendered on
    // a thread of their own once the service listens (or by the first request for one).
    KnowledgePages pages = new KnowledgePages(knowledge);
    root.addHandler(new KnowledgePagesHandler(pages));
    if (management == null) {
      // No management port: /metrics for loopback callers only (a local scraper or curl).
      root.addHandler(new MetricsHandler(metrics, true));
    }
    if (analytics != null
        && config.memory().managementPort() < 0
        && !config.authenticationRequired()
        && !config.insecureAllowRemoteUnauthenticated()) {
      // No management port: the admin pages are served to loopback callers of an unconfigured
      // service only (the same callers it answers).
      root.addHandler(analytics.loopbackOnly());
    }
    if (config.demo()) {
      root.addHandler(new StaticFilesHandler("demo"));
      contexts.addHandler(joinStartUp(demoFhir));
    }
    root.addHandler(new NotFoundHandler());
    ContextHandler main = new ContextHandler(root, "/");
    if (management != null) {
      main.setVirtualHosts(List.of("@" + connector.getName()));
      Handler.Sequence adminHandlers = new Handler.Sequence();
      adminHandlers.addHandler(new MetricsHandler(metrics, false));
      if (analytics != null) {
        adminHandlers.addHandler(analytics);
      }
      adminHandlers.addHandler(new NotFoundHandler());
      ContextHandler admin = new ContextHandler(adminHandlers, "/");
      admin.setVirtualHosts(List.of("@management"));
      contexts.addHandler(admin);
    }
    contexts.addHandler(main);
    // Stopping finishes the hook calls in flight (up to the stop timeout) and takes no new ones.
    server.setHandler(new GracefulHandler(contexts));
    server.setStopTimeout(DRAIN.toMillis());
    try {
      memoryStarted.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("memory database not ready at start: hook calls answer without it until it is");
    }
    try {
      server.start();
    } catch (Exception e) {
      fetchPool.shutdownNow();
      authenticator.close();
      if (memory != null) {
        memory.close();
      }
      throw new IllegalStateException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
    daemonThreads("knowledge-pages").newThread(pages::render).start();
    return new MineralCds(server, fetchPool, memory, hooks, authenticator);
  }

  /** The demo FHIR server, with CORS for browser-based clients. */
  private static Handler demoFhirServer(ServiceConfig config, Clock clock, FhirContext fhir) {
    int shift =
        (int)
            ChronoUnit.DAYS.between(
                ScenarioStore.ANCHOR_DATE, LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
    // Browser-based clients (the CDS Hooks sandbox) read the demo FHIR server directly.
    CrossOriginHandler fhirCors = new CrossOriginHandler();
    fhirCors.setAllowedOriginPatterns(originPatterns(config.corsAllowedOrigins()));
    fhirCors.setAllowedMethods(Set.of("GET", "POST", "OPTIONS"));
    fhirCors.setAllowedHeaders(Set.of("Authorization", "Content-Type", "Accept"));
    fhirCors.setHandler(
        ScenarioFhirServer.context("/fhir", fhir, ScenarioStore.loadScenarios(fhir, shift)));
    return fhirCors;
  }

  /** The result of start-up work done on another thread; its failure as if done on this one. */
  private static <T> T joinStartUp(CompletableFuture<T> work) {
    try {
      return work.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  private static Set<String> originPatterns(List<String> origins) {
    Set<String> patterns = new LinkedHashSet<>();
    for (String origin : origins) {
      patterns.add(origin.equals("*") ? ".*" : Pattern.quote(origin));
    }
    return patterns;
  }

  /** The base URL, e.g. http://127.0.0.1:8080 (127.0.0.1 when bound to all interfaces). */
  public String baseUrl() {
    ServerConnector connector = (ServerConnector) server.getConnectors()[0];
    String host = connector.getHost();
    if (host == null || host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    return "http://" + host + ":" + connector.getLocalPort();
  }

  public int port() {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  /**
   * Stops gracefully (SIGTERM runs this): readiness turns DOWN at once, no new connection is
   * accepted, the calls in flight finish (up to {@link #DRAIN}; requests arriving meanwhile on open
   * connections get 503), then the card log queue is written and the database closed. Logs a line
   * when it starts and one when it is done.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Logger log = LoggerFactory.getLogger(MineralCds.class);
    long started = System.nanoTime();
    hooks.stopping();
    log.info(
        "mineral-cds stopping: readiness DOWN, finishing the calls in flight (up to {} s)",
        DRAIN.toSeconds());
    boolean drained = true;
    try {
      server.stop();
    } catch (Exception e) {
      drained = false;
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    } finally {
      fetchPool.shutdownNow();
      authenticator.close();
      long unwritten = 0;
      if (memory != null) {
        memory.close();
        unwritten = memory.unwritten();
      }
      log.info(
          "mineral-cds stopped in {} ms: calls in flight {}, card log {}",
          (System.nanoTime() - started) / 1_000_000,
          drained ? "finished" : "cut short",
          unwritten == 0 ? "flushed" : unwritten + " calls not written");
    }
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger counter = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + counter.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
