package org.mineralcds.observability;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

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

  public void card(String topic, String indicator) {
    cards.labelValues(topic, indicator).inc();
  }

  public void authFailure(String reason) {
    authFailures.labelValues(reason).inc();
  }

  public void rejectedAtCapacity() {
    rejected.inc();
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
