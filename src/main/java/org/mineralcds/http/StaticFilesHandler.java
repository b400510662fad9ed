package org.mineralcds.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the demo page from the jar: {@code /} is {@code demo/index.html}, {@code /demo/name.ext}
 * is {@code demo/name.ext} on the classpath. Plain file names only, so no path can leave the
 * folder; no build step and nothing fetched from a CDN.
 */
public final class StaticFilesHandler extends Handler.Abstract {

  private static final Pattern SAFE_NAME =
      Pattern.compile("[A-Za-z0-9_-]+\\.(html|js|css|svg|png|ico)");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");

  private final String folder;
  private final Map<String, Optional<byte[]>> cache = new ConcurrentHashMap<>();

  public StaticFilesHandler(String classpathFolder) {
    this.folder = classpathFolder;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    String name;
    if (path.equals("/") || path.equals("/index.html")) {
      name = "index.html";
    } else if (path.startsWith("/demo/")) {
      name = path.substring("/demo/".length());
    } else {
      return false;
    }
    if (!SAFE_NAME.matcher(name).matches()) {
      return false;
    }
    Optional<byte[]> body = cache.computeIfAbsent(name, this::load);
    if (body.isEmpty()) {
      return false;
    }
    if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      OperationOutcomes.write(response, callback, 405, "not-supported", "Use GET.");
      return true;
    }
    String extension = name.substring(name.lastIndexOf('.') + 1);
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, TYPES.get(extension));
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.write(
        true,
        ByteBuffer.wrap(request.getMethod().equals("HEAD") ? new byte[0] : body.get()),
        callback);
    return true;
  }

  private Optional<byte[]> load(String name) {
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(folder + "/" + name)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
