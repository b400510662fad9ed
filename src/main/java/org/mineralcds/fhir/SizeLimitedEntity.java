package org.mineralcds.fhir;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.http.HttpEntity;
import org.apache.http.entity.HttpEntityWrapper;

/** A response body that fails once it exceeds a size cap, so no FHIR server can exhaust memory. */
final class SizeLimitedEntity extends HttpEntityWrapper {

  /** The body went past the cap. */
  static final class TooLarge extends IOException {
    TooLarge(long maxBytes) {
      super("FHIR response larger than " + maxBytes + " bytes");
    }
  }

  private final long maxBytes;

  SizeLimitedEntity(HttpEntity entity, long maxBytes) {
    super(entity);
    this.maxBytes = maxBytes;
  }

  @Override
  public InputStream getContent() throws IOException {
    return new FilterInputStream(super.getContent()) {
      private long count;

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          count(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          count(n);
        }
        return n;
      }

      private void count(int n) throws IOException {
        count += n;
        if (count > maxBytes) {
          throw new TooLarge(maxBytes);
        }
      }
    };
  }
}
