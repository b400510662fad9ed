package org.mineralcds.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CpuSlotsTest {

  @Test
  void noMoreCallsThanSlotsRunAtOnce() throws Exception {
    CpuSlots slots = new CpuSlots(2);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CyclicBarrier bothSlotsHeld = new CyclicBarrier(2);
    ExecutorService threads = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        calls.add(
            threads.submit(
                () -> {
                  slots.acquire();
                  try {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    // The two slot holders meet here, so two do run at once whatever the timing
                    // (with one slot, or a third holder, the meeting times out or overlaps).
                    bothSlotsHeld.await(10, TimeUnit.SECONDS);
                    Thread.sleep(1);
                    running.decrementAndGet();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  } finally {
                    slots.release();
                  }
                  return null;
                }));
      }
      for (Future<?> call : calls) {
        call.get(10, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(most.get()).isEqualTo(2);
  }

  @Test
  void aCallWaitingForAFhirServerLetsAnotherRun() throws Exception {
    CpuSlots slots = new CpuSlots(1);
    CountDownLatch waiting = new CountDownLatch(1);
    CountDownLatch otherDone = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<Boolean> first =
          threads.submit(
              () -> {
                slots.acquire();
                try {
                  boolean[] otherRan = new boolean[1];
                  slots.whileWaiting(
                      () -> {
                        waiting.countDown();
                        try {
                          otherRan[0] = otherDone.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      });
                  return otherRan[0];
                } finally {
                  slots.release();
                }
              });
      assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
      threads
          .submit(
              () -> {
                slots.acquire();
                slots.release();
                otherDone.countDown();
              })
          .get(10, TimeUnit.SECONDS);
      // The first call only finished its wait because the second got the only slot meanwhile.
      assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void waitingWithoutASlotGivesNothingBack() throws Exception {
    CpuSlots slots = new CpuSlots(1);
    AtomicInteger ran = new AtomicInteger();
    slots.whileWaiting(ran::incrementAndGet);
    assertThat(ran.get()).isEqualTo(1);
    // Still exactly one slot: a second thread cannot take one while this one holds it.
    slots.acquire();
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      CountDownLatch acquired = new CountDownLatch(1);
      thread.submit(
          () -> {
            slots.acquire();
            acquired.countDown();
            slots.release();
          });
      assertThat(acquired.await(200, TimeUnit.MILLISECONDS)).isFalse();
      slots.release();
      assertThat(acquired.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      thread.shutdownNow();
    }
  }

  @Test
  void atLeastOneSlot() {
    assertThatThrownBy(() -> new CpuSlots(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
