package org.mineralcds.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.mineralcds.knowledge.KnowledgePages;
import org.mineralcds.knowledge.KnowledgeSchemas;

/**
 * The knowledge as web pages: {@code /knowledge/rules/{ruleId}} (the page each card's {@code
 * source.url} names), {@code /knowledge/report} (HTML) and {@code /knowledge/report.md}, and the
 * JSON Schemas of the knowledge files at {@code /knowledge/schema/{name}.schema.json}. They hold no
 * patient data and are opened by clinicians' browsers from the EHR, which send no CDS Hooks JWT:
 * they are public, read-only (GET and HEAD).
 */
public final class KnowledgePagesHandler extends Handler.Abstract.NonBlocking {

  public static final String PREFIX = "/knowledge/";
  private static final Pattern RULE_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,99}");
  private static final Pattern SCHEMA = Pattern.compile("[a-z-]{1,40}\\.schema\\.json");

  private final KnowledgePages pages;

  public KnowledgePagesHandler(KnowledgePages pages) {
    this.pages = pages;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    if (!path.startsWith(PREFIX)) {
      return false;
    }
    String method = request.getMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      OperationOutcomes.write(response, callback, 405, "not-supported", "Use GET.");
      return true;
    }
    String rest = path.substring(PREFIX.length());
    Optional<String> body = Optional.empty();
    String type = "text/html; charset=utf-8";
    if (rest.equals("report")) {
      body = Optional.of(pages.reportHtml());
    } else if (rest.equals("report.md")) {
      body = Optional.of(pages.reportMarkdown());
      type = "text/markdown; charset=utf-8";
    } else if (rest.startsWith("rules/") && RULE_ID.matcher(rest.substring(6)).matches()) {
      body = pages.rulePage(rest.substring(6));
    } else if (rest.startsWith("schema/") && SCHEMA.matcher(rest.substring(7)).matches()) {
      body = KnowledgeSchemas.schemaText(rest.substring(7));
      type = "application/schema+json; charset=utf-8";
    }
    if (body.isEmpty()) {
      OperationOutcomes.write(
          response,
          callback,
          404,
          "not-found",
          "No such knowledge page: " + path + ". The report is at " + PREFIX + "report.");
      return true;
    }
    byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(method.equals("HEAD") ? new byte[0] : bytes), callback);
    return true;
  }
}
