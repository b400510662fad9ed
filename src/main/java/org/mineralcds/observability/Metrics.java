package org.mineralcds.observability;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/**
 * The service's Prometheus metrics. Labels carry endpoints, statuses, topics and reasons, never
 * patient data. One instance per service, thread-safe.
 */
public final class Metrics {

  /**
   * Seconds. Fine below 25 ms, where a prefetch hook call lands (its p99 target is 10 ms,
   * BENCHMARKS.md); coarse above, where FHIR server round trips and timeouts land.
   */
  private static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests =
      Counter.builder()
          .name("mineralcds_http_requests_total")
          .help("HTTP requests by endpoint and status")
          .labelNames("endpoint", "status")
          .register(registry);
  private final Histogram hookLatency =
      Histogram.builder()
          .name("mineralcds_hook_duration_seconds")
          .help("Time to answer a hook call, from request to response")
          .labelNames("service", "outcome")
          .classicUpperBounds(LATENCY_BUCKETS)
          .register(registry);
  private final Histogram fetchLatency =
      Histogram.builder()
          .name("mineralcds_fhir_fetch_duration_seconds")
          .help("Time of one FHIR server query (all pages)")
          .labelNames("outcome")
          .classicUpperBounds(LATENCY_BUCKETS)
          .register(registry);
  private final Counter fetchFailures =
      Counter.builder()
          .name("mineralcds_fhir_fetch_failures_total")
          .help("FHIR server queries that failed, by reason")
          .labelNames("reason")
          .register(registry);
  private final Counter fhirRequests =
      Counter.builder()
          .name("mineralcds_fhir_requests_total")
          .help("HTTP requests sent to FHIR servers (pages and retries included)")
          .register(registry);
  private final Counter fhirBytes =
      Counter.builder()
          .name("mineralcds_fhir_response_bytes_total")
          .help("Bytes of FHIR answers read for hook calls")
          .register(registry);
  private final Counter fhirRetries =
      Counter.builder()
          .name("mineralcds_fhir_retries_total")
          .help("FHIR requests sent a second time, by what went wrong the first time")
          .labelNames("reason")
          .register(registry);
  private final Counter fhirRefusedParameters =
      Counter.builder()
          .name("mineralcds_fhir_refused_parameters_total")
          .help("Optional search parameters a FHIR server refused (left out from then on)")
          .labelNames("parameter")
          .register(registry);
  private final Counter dataUnavailable =
      Counter.builder()
          .name("mineralcds_hook_data_unavailable_total")
          .help(
              "Hook calls answered without some of their data (prefetch key that could not be"
                  + " obtained), by key")
          .labelNames("key")
          .register(registry);
  private final Counter cards =
      Counter.builder()
          .name("mineralcds_cards_total")
          .help("Cards returned, by topic and indicator")
          .labelNames("topic", "indicator")
          .register(registry);
  private final Counter authFailures =
      Counter.builder()
          .name("mineralcds_auth_failures_total")
          .help("Calls refused with 401, by reason")
          .labelNames("reason")
          .register(registry);
  private final Counter proxyRetries =
      Counter.builder()
          .name("mineralcds_auth_proxy_retries_total")
          .help(
              "JWT calls accepted as the trusted proxy's retry of a request seen before (same jti,"
                  + " same --proxy-retry-header id and body)")
          .register(registry);
  private final Counter rejected =
      Counter.builder()
          .name("mineralcds_hook_rejected_total")
          .help("Hook calls refused with 503 because the service was at its concurrency limit")
          .register(registry);

  private final Counter memory =
      Counter.builder()
          .name("mineralcds_memory_events_total")
          .help(
              "Card log, feedback and suppression events: card-suppressed, suggestion-suppressed,"
                  + " card-silent, suppression-skipped (database unavailable), card-log-dropped,"
                  + " card-log-retry, feedback-stored, feedback-duplicate, feedback-unknown-card")
          .labelNames("event")
          .register(registry);

  public void memory(String event) {
    memory.labelValues(event).inc();
  }

  public void request(String endpoint, int status) {
    requests.labelValues(endpoint, Integer.toString(status)).inc();
  }

  public void hook(String service, String outcome, long nanos) {
    hookLatency.labelValues(service, outcome).observe(nanos / 1e9);
  }

  public void fhirFetch(boolean ok, long nanos) {
    fetchLatency.labelValues(ok ? "ok" : "failed").observe(nanos / 1e9);
  }

  public void fhirFetchFailure(String reason) {
    fetchFailures.labelValues(reason).inc();
  }

  public void fhirRequest() {
    fhirRequests.inc();
  }

  public void fhirBytes(long bytes) {
    fhirBytes.inc(bytes);
  }

  public void fhirRetry(String reason) {
    fhirRetries.labelValues(reason).inc();
  }

  /** {@code parameter} is one of the service's own optional parameters, never a caller's text. */
  public void fhirParameterRefused(String parameter) {
    fhirRefusedParameters.labelValues(parameter).inc();
  }

  /** {@code key} is one of the service's declared prefetch keys. */
  public void dataUnavailable(String key) {
    dataUnavailable.labelValues(key).inc();
  }

  public void card(String topic, String indicator) {
    cards.labelValues(topic, indicator).inc();
  }

  public void authFailure(String reason) {
    authFailures.labelValues(reason).inc();
  }

  public void proxyRetry() {
    proxyRetries.inc();
  }

  public void rejectedAtCapacity() {
    rejected.inc();
  }

  /**
   * Publishes the hook calls admitted now (reading their body, waiting for FHIR servers or
   * evaluating) beside the limit: how close the service is to answering 503. Called once, by the
   * handler that holds the limit.
   */
  public void hookCallsInFlight(IntSupplier inFlight, int limit) {
    GaugeWithCallback.builder()
        .name("mineralcds_hook_calls_in_flight")
        .help("Hook calls admitted now (at most mineralcds_hook_calls_limit)")
        .callback(callback -> callback.call(inFlight.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("mineralcds_hook_calls_limit")
        .help("Hook calls admitted at once (--max-concurrent-hooks); more get 503")
        .callback(callback -> callback.call(limit))
        .register(registry);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
