package org.mineralcds.fhir;

import ca.uhn.fhir.rest.client.apache.ApacheHttpRequest;
import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import ca.uhn.fhir.rest.client.api.IHttpRequest;
import ca.uhn.fhir.rest.client.api.IHttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.http.client.methods.HttpRequestBase;

/**
 * Aborts the HTTP requests of one fetch when the hook call's deadline passes. Read timeouts alone
 * cannot: a server that drips a byte every few hundred milliseconds never trips them, and would
 * hold a fetch thread (and the EHR's clinician) for as long as it likes.
 */
final class RequestDeadline implements IClientInterceptor, AutoCloseable {

  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fhir-deadline");
            t.setDaemon(true);
            return t;
          });

  private final List<HttpRequestBase> requests = new CopyOnWriteArrayList<>();
  private final ScheduledFuture<?> abort;
  private volatile boolean expired;

  RequestDeadline(long deadlineNanos) {
    long delay = Math.max(0, deadlineNanos - System.nanoTime());
    this.abort = TIMER.schedule(this::expire, delay, TimeUnit.NANOSECONDS);
  }

  private void expire() {
    expired = true;
    requests.forEach(HttpRequestBase::abort);
  }

  @Override
  public void interceptRequest(IHttpRequest request) {
    if (request instanceof ApacheHttpRequest apache) {
      HttpRequestBase base = apache.getApacheRequest();
      requests.add(base);
      if (expired) {
        base.abort();
      }
    }
  }

  @Override
  public void interceptResponse(IHttpResponse response) {
    // The body is read after this call, so the request stays abortable until close().
  }

  /** The deadline passed while the fetch was running. */
  boolean expired() {
    return expired;
  }

  @Override
  public void close() {
    abort.cancel(false);
  }
}
