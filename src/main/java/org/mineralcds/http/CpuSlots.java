package org.mineralcds.http;

import java.util.concurrent.Semaphore;

/**
 * Hook calls take a slot while they use the CPU (parsing the request, mapping, evaluating,
 * serialising the answer): not while their request body arrives, and not while they wait for a FHIR
 * server. With more calls running than cores, the operating system time-slices them and a call
 * preempted mid-way finishes late: with slots, the rest wait their turn in arrival order instead,
 * which cut the prefetch path's p99 on two cores from about 10 ms to about 7.5 ms (BENCHMARKS.md).
 */
public final class CpuSlots {

  private final Semaphore slots;
  private final ThreadLocal<Boolean> held = ThreadLocal.withInitial(() -> Boolean.FALSE);

  /**
   * @param slots calls using the CPU at once; twice the cores keeps the cores busy while a call is
   *     between two steps
   */
  public CpuSlots(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("at least one CPU slot");
    }
    this.slots = new Semaphore(slots, true);
  }

  /** Waits for a slot for this thread, in arrival order. */
  void acquire() {
    slots.acquireUninterruptibly();
    held.set(Boolean.TRUE);
  }

  /** Gives up this thread's slot. */
  void release() {
    held.set(Boolean.FALSE);
    slots.release();
  }

  /**
   * Runs {@code wait} (a wait for a FHIR server) without this thread's slot, if it holds one, and
   * takes a slot again afterwards.
   */
  public void whileWaiting(Runnable wait) {
    if (!held.get()) {
      wait.run();
      return;
    }
    release();
    try {
      wait.run();
    } finally {
      acquire();
    }
  }
}
