package org.mineralcds.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client on one keep-alive connection: it sends a prepared request and reads
 * the response, so the load generator spends as little of the shared CPU as possible. Reconnects
 * when the server closes the connection.
 */
final class KeepAliveClient implements AutoCloseable {

  /** A response: status and body. */
  record Response(int status, byte[] body) {}

  private final String host;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  KeepAliveClient(URI base) {
    this.host = base.getHost();
    this.port = base.getPort();
  }

  static byte[] post(URI url, byte[] body, String extraHeaders) {
    String head =
        "POST "
            + url.getRawPath()
            + " HTTP/1.1\r\nHost: "
            + url.getHost()
            + ":"
            + url.getPort()
            + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: "
            + body.length
            + "\r\n"
            + extraHeaders
            + "\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  static byte[] get(URI url) {
    String query = url.getRawQuery() == null ? "" : "?" + url.getRawQuery();
    return ("GET "
            + url.getRawPath()
            + query
            + " HTTP/1.1\r\nHost: "
            + url.getHost()
            + ":"
            + url.getPort()
            + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  Response send(byte[] request) throws IOException {
    for (int attempt = 0; ; attempt++) {
      if (socket == null) {
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
      }
      try {
        out.write(request);
        out.flush();
        return read();
      } catch (IOException e) {
        close();
        if (attempt > 0) {
          throw e;
        }
      }
    }
  }

  private Response read() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed");
    }
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    long length = -1;
    boolean chunked = false;
    boolean close = false;
    String header;
    while ((header = line()) != null && !header.isEmpty()) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
        case "connection" -> close = value.equalsIgnoreCase("close");
        default -> {}
      }
    }
    byte[] body;
    if (chunked) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      while (true) {
        int size = Integer.parseInt(line().split(";")[0].trim(), 16);
        if (size == 0) {
          line();
          break;
        }
        all.write(in.readNBytes(size));
        line();
      }
      body = all.toByteArray();
    } else if (length >= 0) {
      body = in.readNBytes((int) length);
    } else {
      body = in.readAllBytes();
      close = true;
    }
    if (close) {
      close();
    }
    return new Response(status, body);
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
      socket = null;
    }
  }
}
