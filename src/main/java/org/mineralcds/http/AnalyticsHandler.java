package org.mineralcds.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.mineralcds.memory.AnalyticsPage;
import org.mineralcds.memory.AnalyticsReport;
import org.mineralcds.memory.Memory;
import org.mineralcds.memory.MemoryUnavailableException;

/**
 * Admin endpoints: {@code GET /admin/analytics} (JSON) and {@code /admin/analytics.html} (charts),
 * with optional {@code from} and {@code to} (dates or instants; default the last 30 days) and
 * {@code issuer}. Served on the management port, or on the main port to loopback callers only.
 */
public final class AnalyticsHandler extends Handler.Abstract {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(AnalyticsHandler.class);

  private final Memory memory;
  private final ObjectMapper json;
  private final Clock clock;
  private final boolean loopbackOnly;

  public AnalyticsHandler(Memory memory, ObjectMapper json, Clock clock) {
    this(memory, json, clock, false);
  }

  private AnalyticsHandler(Memory memory, ObjectMapper json, Clock clock, boolean loopbackOnly) {
    this.memory = memory;
    this.json = json;
    this.clock = clock;
    this.loopbackOnly = loopbackOnly;
  }

  /** The same endpoints, answering loopback callers only (others fall through to 404). */
  public AnalyticsHandler loopbackOnly() {
    return new AnalyticsHandler(memory, json, clock, true);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    boolean page = path.equals("/admin/analytics.html");
    if (!page && !path.equals("/admin/analytics")) {
      return false;
    }
    if (loopbackOnly && !CdsHooksHandler.isLocalCaller(request)) {
      return false;
    }
    if (!request.getMethod().equals("GET")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET");
      OperationOutcomes.write(response, callback, 405, "not-supported", "Use GET.");
      return true;
    }
    Fields query = Request.extractQueryParameters(request);
    Instant to;
    Instant from;
    try {
      to = query.getValue("to") == null ? clock.instant() : instant(query.getValue("to"), true);
      from =
          query.getValue("from") == null
              ? to.minus(Duration.ofDays(30))
              : instant(query.getValue("from"), false);
    } catch (DateTimeParseException e) {
      OperationOutcomes.write(
          response,
          callback,
          400,
          "invalid",
          "'from' and 'to' must be dates (2026-11-01) or instants (2026-11-01T00:00:00Z).");
      return true;
    }
    if (!from.isBefore(to)) {
      OperationOutcomes.write(response, callback, 400, "invalid", "'from' must be before 'to'.");
      return true;
    }
    String issuer = query.getValue("issuer");
    AnalyticsReport report;
    try {
      try {
        report = memory.analytics(from, to, issuer == null || issuer.isBlank() ? null : issuer);
      } catch (MemoryUnavailableException e) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "2");
        OperationOutcomes.write(
            response, callback, 503, "transient", "The service's database is unavailable.");
        return true;
      }
    } catch (RuntimeException e) {
      LOG.error("analytics failed: {}", e.getClass().getName(), e);
      OperationOutcomes.write(
          response, callback, 500, "exception", "The analytics could not be computed.");
      return true;
    }
    String body;
    String type;
    if (page) {
      body = AnalyticsPage.html(report);
      type = "text/html; charset=utf-8";
    } else {
      try {
        body = json.writeValueAsString(report);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      type = "application/json";
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }

  private static Instant instant(String text, boolean endOfDay) {
    if (text.length() == 10) {
      LocalDate day = LocalDate.parse(text);
      return (endOfDay ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
    return Instant.parse(text);
  }
}
