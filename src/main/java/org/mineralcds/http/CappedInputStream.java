package org.mineralcds.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** A request body that fails once more than a cap has been read, whatever its declared length. */
final class CappedInputStream extends FilterInputStream {

  /** The body went past the cap. */
  static final class TooLarge extends IOException {
    TooLarge() {
      super("request body over the cap", null);
    }
  }

  private final long maxBytes;
  private long count;

  CappedInputStream(InputStream in, long maxBytes) {
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
      throw new TooLarge();
    }
  }
}
