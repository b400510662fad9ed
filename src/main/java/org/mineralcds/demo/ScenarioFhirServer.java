package org.mineralcds.demo;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/** A HAPI {@link RestfulServer} serving a {@link ScenarioStore}, mountable in Jetty. */
public final class ScenarioFhirServer {

  private ScenarioFhirServer() {}

  public static RestfulServer restfulServer(FhirContext fhir, ScenarioStore store) {
    RestfulServer server = new RestfulServer(fhir);
    server.setResourceProviders(ScenarioProviders.all(store));
    FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(200);
    paging.setDefaultPageSize(50);
    paging.setMaximumPageSize(200);
    server.setPagingProvider(paging);
    server.setDefaultPrettyPrint(false);
    return server;
  }

  /** A servlet context at {@code contextPath} (e.g. "/fhir") serving the store. */
  public static ServletContextHandler context(
      String contextPath, FhirContext fhir, ScenarioStore store) {
    ServletContextHandler context = new ServletContextHandler(contextPath);
    // HAPI's paging links are "base?_getpages=...": serve them without a redirect to "base/".
    context.setAllowNullPathInContext(true);
    context.addServlet(new ServletHolder(restfulServer(fhir, store)), "/*");
    return context;
  }
}
