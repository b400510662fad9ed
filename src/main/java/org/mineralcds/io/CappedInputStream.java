package org.mineralcds.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A body that fails once more than a cap has been read, whatever length it declared: a hook request
 * from an EHR, an answer from a FHIR server. No sender can make the service hold more.
 */
public final class CappedInputStream extends FilterInputStream {

  /** The body went past the cap. */
  public static final class TooLarge extends IOException {
    public TooLarge(long maxBytes) {
      super("body larger than " + maxBytes + " bytes");
    }
  }

  private final long maxBytes;
  private long count;

  public CappedInputStream(InputStream in, long maxBytes) {
    super(in);
    this.maxBytes = maxBytes;
  }

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

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    if (skipped > 0) {
      count(skipped);
    }
    return skipped;
  }

  private void count(long n) throws TooLarge {
    count += n;
    if (count > maxBytes) {
      throw new TooLarge(maxBytes);
    }
  }
}
