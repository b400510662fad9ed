package org.mineralcds.memory;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Which keys (a pair of strings: a patient pseudonym and caller, a run-ahead scope and draft) may
 * have rows in a table of the embedded database, so that a hook call for any other key, nearly
 * every call, does not read it. A fixed-size bit set with two positions per key: it can answer
 * "maybe" for a key with no rows (then the database is read, as without it), never "no" for one
 * that has some, as long as every key is added before its rows are committed.
 *
 * <p>The bits live in a file beside the database, mapped into memory: every process that opens the
 * same embedded database (SQLite allows several on one host, sharing its WAL index the same way)
 * sees the bits another sets at once. Bits are only ever set, never cleared, so a crash between
 * setting them and committing leaves a harmless "maybe". 256 KiB whatever the number of keys:
 * bounded by design.
 */
final class RememberedKeys {

  static final int BITS = 1 << 21;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final ByteBuffer words;

  private RememberedKeys(ByteBuffer words) {
    this.words = words;
  }

  /** Maps (creating it when missing) the bit file. */
  static RememberedKeys mapped(Path file) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      // The mapping outlives the channel; a shorter file is extended with zero bytes.
      return new RememberedKeys(channel.map(FileChannel.MapMode.READ_WRITE, 0, BITS / 8));
    }
  }

  /** A bit set of this process only (tests). */
  static RememberedKeys inMemory() {
    return new RememberedKeys(ByteBuffer.allocateDirect(BITS / 8));
  }

  void add(String first, String second) {
    long h = hash(first, second);
    set((int) h & (BITS - 1));
    set((int) (h >>> 32) & (BITS - 1));
  }

  boolean mayHave(String first, String second) {
    long h = hash(first, second);
    return isSet((int) h & (BITS - 1)) && isSet((int) (h >>> 32) & (BITS - 1));
  }

  private void set(int bit) {
    long mask = 1L << (bit & 63);
    int at = (bit >>> 6) * Long.BYTES;
    long old;
    do {
      old = (long) LONGS.getVolatile(words, at);
      if ((old & mask) != 0) {
        return;
      }
    } while (!LONGS.compareAndSet(words, at, old, old | mask));
  }

  private boolean isSet(int bit) {
    return ((long) LONGS.getVolatile(words, (bit >>> 6) * Long.BYTES) & (1L << (bit & 63))) != 0;
  }

  /** 64 well-mixed bits of the pair. */
  static long hash(String first, String second) {
    long h = 0x9E3779B97F4A7C15L;
    h = mix(h ^ first.hashCode());
    h = mix(h ^ ((long) first.length() << 32));
    return mix(h ^ second.hashCode());
  }

  /** The finaliser of SplitMix64: every input bit affects every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
