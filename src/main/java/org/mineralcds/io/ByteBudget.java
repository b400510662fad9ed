package org.mineralcds.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes a hook call may hold from FHIR servers, drawn from what the whole process may hold. A
 * response is charged as it is read, so a server cannot make the service buffer more than the
 * budget however many queries a call sends or however long a body it declares; what a call read is
 * given back to the process when the call ends ({@link #close}).
 *
 * <p>The process budget exists because the per-call one alone does not bound the heap: eight calls
 * each near their cap, all answered at once, would be eight times the cap in flight.
 */
public final class ByteBudget implements AutoCloseable {

  /** The budget was spent: the caller's or the whole process's. */
  public static final class Exhausted extends IOException {
    private final boolean process;

    Exhausted(String message, boolean process) {
      super(message);
      this.process = process;
    }

    /** True when it was the process's budget, shared by every call, that ran out. */
    public boolean process() {
      return process;
    }
  }

  /** What the whole process may hold at once. Thread-safe. */
  public static final class Pool {
    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();

    public Pool(long maxBytes) {
      if (maxBytes <= 0) {
        throw new IllegalArgumentException("maxBytes must be positive");
      }
      this.maxBytes = maxBytes;
    }

    /** A budget of at most {@code maxBytes} for one call, drawn from this pool. */
    public ByteBudget forCall(long maxBytes) {
      return new ByteBudget(this, Math.min(maxBytes, this.maxBytes));
    }

    public long maxBytes() {
      return maxBytes;
    }

    /** Bytes held by calls now. */
    public long used() {
      return used.get();
    }

    private boolean take(long n) {
      while (true) {
        long current = used.get();
        if (current + n > maxBytes) {
          return false;
        }
        if (used.compareAndSet(current, current + n)) {
          return true;
        }
      }
    }

    private void give(long n) {
      used.addAndGet(-n);
    }
  }

  private final Pool pool;
  private final long maxBytes;
  private final AtomicLong held = new AtomicLong();
  // Charges and close are synchronized: a charge racing the close would otherwise leave its
  // bytes taken from the pool for ever.
  private boolean closed;

  private ByteBudget(Pool pool, long maxBytes) {
    this.pool = pool;
    this.maxBytes = maxBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Bytes charged to this call so far. */
  public long held() {
    return held.get();
  }

  /** Charges {@code n} bytes, or throws when this call or the process would go past its budget. */
  public synchronized void charge(long n) throws Exhausted {
    if (closed) {
      throw new Exhausted("the hook call has ended", false);
    }
    long after = held.addAndGet(n);
    if (after > maxBytes) {
      held.addAndGet(-n);
      throw new Exhausted(
          "the FHIR answers of this hook call came to more than " + maxBytes + " bytes", false);
    }
    if (!pool.take(n)) {
      held.addAndGet(-n);
      throw new Exhausted(
          "the service holds its limit of "
              + pool.maxBytes
              + " bytes of FHIR answers for calls in progress",
          true);
    }
  }

  /** A stream that charges this budget for every byte read from {@code in}. */
  public InputStream meter(InputStream in) {
    return metered(in, 0);
  }

  /**
   * A stream that charges this budget for the bytes read from {@code in}. When the body declares
   * its length, the whole of it is charged before the first byte is read: calls reading at once
   * then either get their whole answer's worth or fail at once, instead of each charging part of
   * its answer until all of them are refused (what charging as the bytes arrive does when several
   * large answers come in together). Bytes beyond the declared length are charged as they come.
   *
   * @param declaredLength the body's Content-Length, or a negative number when it is unknown
   */
  public InputStream meter(InputStream in, long declaredLength) throws Exhausted {
    long prepaid = Math.max(0, declaredLength);
    if (prepaid > 0) {
      charge(prepaid);
    }
    return metered(in, prepaid);
  }

  private InputStream metered(InputStream in, long prepaid) {
    return new FilterInputStream(in) {
      private long credit = prepaid;

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          spend(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          spend(n);
        }
        return n;
      }

      private void spend(long n) throws Exhausted {
        long fromCredit = Math.min(credit, n);
        credit -= fromCredit;
        if (n > fromCredit) {
          charge(n - fromCredit);
        }
      }
    };
  }

  /** Gives what this call held back to the process; later charges fail. */
  @Override
  public synchronized void close() {
    closed = true;
    long n = held.getAndSet(0);
    if (n > 0) {
      pool.give(n);
    }
  }
}
