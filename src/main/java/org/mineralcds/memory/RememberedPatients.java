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
 * Which patients (pseudonym and caller) may have something remembered (an override still in force
 * or an accepted test), so that a hook call for anyone else, nearly every call, does not read the
 * embedded database. A fixed-size bit set with two positions per key: it can answer "maybe" for a
 * patient with nothing remembered (then the database is read, as without it), never "no" for one
 * that has something, as long as every key is added before its rows are committed.
 *
 * <p>The bits live in a file beside the database, mapped into memory: every process that opens the
 * same embedded database (SQLite allows several on one host, sharing its WAL index the same way)
 * sees the bits another sets at once. Bits are only ever set, never cleared, so a crash between
 * setting them and committing leaves a harmless "maybe". 256 KiB whatever the number of patients:
 * bounded by design.
 */
final class RememberedPatients {

  static final int BITS = 1 << 21;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final ByteBuffer words;

  private RememberedPatients(ByteBuffer words) {
    this.words = words;
  }

  /** Maps (creating it when missing) the bit file. */
  static RememberedPatients mapped(Path file) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      // The mapping outlives the channel; a shorter file is extended with zero bytes.
      return new RememberedPatients(channel.map(FileChannel.MapMode.READ_WRITE, 0, BITS / 8));
    }
  }

  /** A bit set of this process only (tests). */
  static RememberedPatients inMemory() {
    return new RememberedPatients(ByteBuffer.allocateDirect(BITS / 8));
  }

  void add(String pseudonym, String issuer) {
    long h = hash(pseudonym, issuer);
    set((int) h & (BITS - 1));
    set((int) (h >>> 32) & (BITS - 1));
  }

  boolean mayRemember(String pseudonym, String issuer) {
    long h = hash(pseudonym, issuer);
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

  /** 64 well-mixed bits of the pair (the pseudonym is already a keyed hash, the issuer is not). */
  static long hash(String pseudonym, String issuer) {
    long h = 0x9E3779B97F4A7C15L;
    h = mix(h ^ pseudonym.hashCode());
    h = mix(h ^ ((long) pseudonym.length() << 32));
    return mix(h ^ issuer.hashCode());
  }

  /** The finaliser of SplitMix64: every input bit affects every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
