package org.mineralcds.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {

  @Test
  void aCallMayReadUpToItsBudgetAndNoFurther() throws Exception {
    ByteBudget.Pool pool = new ByteBudget.Pool(1_000);
    try (ByteBudget call = pool.forCall(100)) {
      InputStream in = call.meter(new ByteArrayInputStream(new byte[100]));
      assertThat(in.readAllBytes()).hasSize(100);
      assertThat(call.held()).isEqualTo(100);

      InputStream more = call.meter(new ByteArrayInputStream(new byte[1]));
      assertThatThrownBy(more::read)
          .isInstanceOf(ByteBudget.Exhausted.class)
          .hasMessageContaining("more than 100 bytes")
          .satisfies(e -> assertThat(((ByteBudget.Exhausted) e).process()).isFalse());
      assertThat(call.held()).isEqualTo(100);
    }
    assertThat(pool.used()).isZero();
  }

  @Test
  void callsTogetherMayNotHoldMoreThanTheProcessBudget() throws Exception {
    ByteBudget.Pool pool = new ByteBudget.Pool(150);
    try (ByteBudget first = pool.forCall(100);
        ByteBudget second = pool.forCall(100)) {
      first.charge(100);
      assertThatThrownBy(() -> second.charge(60))
          .isInstanceOf(ByteBudget.Exhausted.class)
          .satisfies(e -> assertThat(((ByteBudget.Exhausted) e).process()).isTrue());
      second.charge(50);
      assertThat(pool.used()).isEqualTo(150);
    }
    // What the calls held went back when they ended.
    assertThat(pool.used()).isZero();
    try (ByteBudget third = pool.forCall(200)) {
      assertThat(third.maxBytes())
          .as("a call's budget is never above the process's")
          .isEqualTo(150);
      third.charge(150);
    }
  }

  @Test
  void aDeclaredLengthIsChargedWholeBeforeTheFirstByte() throws Exception {
    ByteBudget.Pool pool = new ByteBudget.Pool(150);
    try (ByteBudget first = pool.forCall(100);
        ByteBudget second = pool.forCall(100)) {
      InputStream a = first.meter(new ByteArrayInputStream(new byte[80]), 80);
      assertThat(pool.used()).as("charged before reading").isEqualTo(80);
      // The second answer does not fit beside the first: refused before any byte is read.
      assertThatThrownBy(() -> second.meter(new ByteArrayInputStream(new byte[80]), 80))
          .isInstanceOf(ByteBudget.Exhausted.class);
      assertThat(a.readAllBytes()).hasSize(80);
      assertThat(pool.used()).as("reading what was declared costs nothing more").isEqualTo(80);
    }
    try (ByteBudget liar = pool.forCall(100)) {
      // A body longer than it declared pays for the rest as it comes.
      InputStream in = liar.meter(new ByteArrayInputStream(new byte[120]), 10);
      assertThatThrownBy(in::readAllBytes).isInstanceOf(ByteBudget.Exhausted.class);
    }
    assertThat(pool.used()).isZero();
  }

  @Test
  void aChargeAfterTheCallEndedFailsAndTakesNothing() throws Exception {
    ByteBudget.Pool pool = new ByteBudget.Pool(100);
    ByteBudget call = pool.forCall(100);
    call.close();
    assertThatThrownBy(() -> call.charge(1)).isInstanceOf(ByteBudget.Exhausted.class);
    assertThat(pool.used()).isZero();
  }

  @Test
  void concurrentChargesAndClosesLeaveNothingBehind() throws Exception {
    ByteBudget.Pool pool = new ByteBudget.Pool(10_000_000);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(
            threads.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 300; i++) {
                    ByteBudget call = pool.forCall(1_000_000);
                    Thread charger =
                        new Thread(
                            () -> {
                              try {
                                call.charge(10);
                              } catch (ByteBudget.Exhausted closedFirst) {
                                // The close won the race: nothing was taken.
                              }
                            });
                    charger.start();
                    call.close();
                    charger.join();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(pool.used()).isZero();
  }
}
