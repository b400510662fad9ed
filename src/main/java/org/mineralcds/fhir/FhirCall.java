package org.mineralcds.fhir;

import java.util.concurrent.atomic.AtomicInteger;
import org.mineralcds.io.ByteBudget;

/**
 * What one hook call may spend on FHIR servers (a deadline, a byte budget) and what it spent (HTTP
 * requests, bytes read). Closing it gives the bytes back to the process.
 */
public final class FhirCall implements AutoCloseable {

  private final long deadlineNanos;
  private final ByteBudget bytes;
  private final AtomicInteger requests = new AtomicInteger();

  /**
   * @param deadlineNanos a {@link System#nanoTime()} value: requests still running then are aborted
   */
  public FhirCall(long deadlineNanos, ByteBudget bytes) {
    this.deadlineNanos = deadlineNanos;
    this.bytes = bytes;
  }

  public long deadlineNanos() {
    return deadlineNanos;
  }

  public long remainingNanos() {
    return deadlineNanos - System.nanoTime();
  }

  public ByteBudget bytes() {
    return bytes;
  }

  void requestSent() {
    requests.incrementAndGet();
  }

  /** HTTP requests sent to FHIR servers for this call, retries included. */
  public int requests() {
    return requests.get();
  }

  /** Bytes of FHIR answers read for this call. */
  public long bytesRead() {
    return bytes.held();
  }

  @Override
  public void close() {
    bytes.close();
  }
}
