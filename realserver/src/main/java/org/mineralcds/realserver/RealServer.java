package org.mineralcds.realserver;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * A HAPI FHIR JPA R4 server on Jetty, on loopback, for tests and measurements (see
 * docs/real-server.md). Optionally generates a Synthea population (in a JVM of its own) and loads
 * it before announcing itself with one line on standard output:
 *
 * <pre>real-server ready on http://127.0.0.1:PORT/fhir</pre>
 *
 * It runs until the process is stopped.
 */
public final class RealServer {

  private RealServer() {}

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("real-server: " + e.getMessage());
      System.err.println(Options.USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(Options.USAGE);
      return;
    }
    try {
      run(options);
    } catch (Throwable e) {
      // Spring's and Jetty's non-daemon threads would otherwise keep a failed server alive.
      e.printStackTrace();
      System.err.println("real-server: failed: " + e);
      System.exit(1);
    }
  }

  private static void run(Options options) throws Exception {
    long started = System.nanoTime();
    Path population = null;
    if (options.population() != null) {
      population = Synthea.ensurePopulation(options.population());
    }

    Database database = options.database();
    Path loadedMarker = null;
    if (options.h2Directory() != null) {
      loadedMarker = options.h2Directory().resolve("loaded.txt");
      if (population != null && !Files.exists(loadedMarker)) {
        // A database left half-loaded (an interrupted run) is thrown away.
        deleteTree(options.h2Directory());
      }
      Files.createDirectories(options.h2Directory());
    }

    AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
    context.registerBean(Database.class, () -> database);
    context.register(JpaServerConfig.class);
    context.refresh();

    Server jetty = startJetty(context, options.port());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    jetty.stop();
                  } catch (Exception ignored) {
                    // stopping anyway
                  }
                  context.close();
                },
                "real-server-stop"));
    int port = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    String base = "http://127.0.0.1:" + port + "/fhir";
    System.out.printf(
        "real-server: JPA server up in %.1f s (%s)%n",
        (System.nanoTime() - started) / 1e9, database.url().replaceAll(";.*", ""));

    if (population != null) {
      Loader loader = new Loader(base, options.loadThreads(), options.skipTypes());
      boolean loadNow =
          loadedMarker != null ? !Files.exists(loadedMarker) : loader.count("Patient") == 0;
      if (loadNow) {
        Loader.Result result = loader.load(population);
        System.out.println("real-server: " + result);
        if (loadedMarker != null) {
          Files.writeString(loadedMarker, result + System.lineSeparator());
        }
      } else {
        System.out.println("real-server: population already loaded");
      }
    }
    if (options.printCounts()) {
      Loader counter = new Loader(base, 1, java.util.Set.of());
      System.out.println(
          "real-server: holds "
              + counter.count("Patient")
              + " Patients, "
              + counter.count("Observation")
              + " Observations, "
              + counter.count("MedicationRequest")
              + " MedicationRequests, "
              + counter.count("Condition")
              + " Conditions");
    }
    System.out.println("real-server ready on " + base);
    System.out.flush();
    jetty.join();
  }

  private static Server startJetty(AnnotationConfigApplicationContext context, int port)
      throws Exception {
    FhirContext fhirContext = context.getBean(FhirContext.class);
    RestfulServer fhir = new RestfulServer(fhirContext);
    fhir.registerProviders(context.getBean(ResourceProviderFactory.class).createProviders());
    fhir.registerProvider(context.getBean(JpaSystemProvider.class));
    JpaStorageSettings settings = context.getBean(JpaStorageSettings.class);
    fhir.setServerConformanceProvider(
        new JpaCapabilityStatementProvider(
            fhir,
            context.getBean(IFhirSystemDao.class),
            settings,
            context.getBean(ISearchParamRegistry.class),
            context.getBean(IValidationSupport.class)));
    DatabaseBackedPagingProvider paging = context.getBean(DatabaseBackedPagingProvider.class);
    paging.setDefaultPageSize(20);
    paging.setMaximumPageSize(1000);
    fhir.setPagingProvider(paging);
    fhir.setDefaultResponseEncoding(EncodingEnum.JSON);

    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost(InetAddress.getLoopbackAddress().getHostAddress());
    connector.setPort(port);
    connector.setIdleTimeout(Duration.ofMinutes(10).toMillis());
    jetty.addConnector(connector);
    ServletContextHandler handler = new ServletContextHandler();
    handler.setContextPath("/");
    handler.addServlet(new ServletHolder("fhir", fhir), "/fhir/*");
    jetty.setHandler(handler);
    jetty.start();
    return jetty;
  }

  static void deleteTree(Path directory) throws java.io.IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
