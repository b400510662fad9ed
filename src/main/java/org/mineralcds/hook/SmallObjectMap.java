package org.mineralcds.hook;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The members of one JSON object of a request, in their order, kept in two small arrays instead of
 * a {@link LinkedHashMap}. Nearly every object of a FHIR resource has a handful of members (a
 * Coding has two to four); a hash table with an entry object per member cost more to build and to
 * read than the whole rest of a hook call's mapping (BENCHMARKS.md, "The request's JSON tree").
 *
 * <p>A lookup compares names one by one, which is faster than hashing for a few members and
 * quadratic for many: an object that grows past {@value #LINEAR_LIMIT} members moves into a {@link
 * LinkedHashMap}, so a hostile body with thousands of members per object costs what it did before,
 * not more.
 */
final class SmallObjectMap extends AbstractMap<String, JsonNode> {

  static final int LINEAR_LIMIT = 12;
  private static final int FIRST_CAPACITY = 4;

  private String[] names;
  private JsonNode[] values;
  private int size;
  private int modifications;

  /** Set once the object outgrew the arrays; from then on every operation goes to it. */
  private LinkedHashMap<String, JsonNode> large;

  SmallObjectMap() {
    names = new String[FIRST_CAPACITY];
    values = new JsonNode[FIRST_CAPACITY];
  }

  @Override
  public int size() {
    return large != null ? large.size() : size;
  }

  @Override
  public boolean isEmpty() {
    return size() == 0;
  }

  private int indexOf(Object key) {
    if (!(key instanceof String wanted)) {
      return -1;
    }
    // Names are canonical strings from the parser's symbol table, usually the very instance a
    // caller's literal is (both interned): a pass comparing references finds them without reading
    // the strings. Then, for a name asked for by another instance or absent, one pass of hash
    // comparisons (every String keeps its hash once computed), contents compared only when the
    // hashes agree.
    String[] names = this.names;
    for (int i = 0; i < size; i++) {
      if (names[i] == wanted) {
        return i;
      }
    }
    int hash = wanted.hashCode();
    for (int i = 0; i < size; i++) {
      String name = names[i];
      if (name.hashCode() == hash && name.equals(wanted)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * As {@link #indexOf}, for a name about to be added: usually absent (a duplicate member is rare),
   * so one pass comparing references and hashes together.
   */
  private int indexOfNew(String wanted) {
    int hash = wanted.hashCode();
    for (int i = 0; i < size; i++) {
      String name = names[i];
      if (name == wanted || name.hashCode() == hash && name.equals(wanted)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public JsonNode get(Object name) {
    if (large != null) {
      return large.get(name);
    }
    int i = indexOf(name);
    return i < 0 ? null : values[i];
  }

  @Override
  public boolean containsKey(Object name) {
    return large != null ? large.containsKey(name) : indexOf(name) >= 0;
  }

  @Override
  public JsonNode put(String name, JsonNode value) {
    if (large != null) {
      return large.put(name, value);
    }
    if (name == null) {
      throw new NullPointerException("a JSON member has a name");
    }
    int i = indexOfNew(name);
    if (i >= 0) {
      JsonNode previous = values[i];
      values[i] = value;
      return previous;
    }
    if (size == LINEAR_LIMIT) {
      large = new LinkedHashMap<>(LINEAR_LIMIT * 4);
      for (int j = 0; j < size; j++) {
        large.put(names[j], values[j]);
      }
      names = null;
      values = null;
      size = 0;
      modifications++;
      return large.put(name, value);
    }
    append(name, value);
    return null;
  }

  /** Adds a member to the arrays, which hold fewer than {@link #LINEAR_LIMIT}. */
  private void append(String name, JsonNode value) {
    if (size == names.length) {
      int capacity = Math.min(LINEAR_LIMIT, size * 2);
      names = Arrays.copyOf(names, capacity);
      values = Arrays.copyOf(values, capacity);
    }
    names[size] = name;
    values[size] = value;
    size++;
    modifications++;
  }

  /**
   * As {@link #put}, for a name from a parser that canonicalises names (JsonTrees): every mention
   * of a name in the document is the same instance, so a repeated member is found by reference.
   */
  void putCanonical(String name, JsonNode value) {
    if (large == null && name != null) {
      for (int i = 0; i < size; i++) {
        if (names[i] == name) {
          values[i] = value;
          return;
        }
      }
      if (size < LINEAR_LIMIT) {
        append(name, value);
        return;
      }
    }
    put(name, value);
  }

  @Override
  public JsonNode remove(Object name) {
    if (large != null) {
      return large.remove(name);
    }
    int i = indexOf(name);
    if (i < 0) {
      return null;
    }
    JsonNode previous = values[i];
    removeAt(i);
    return previous;
  }

  private void removeAt(int i) {
    System.arraycopy(names, i + 1, names, i, size - i - 1);
    System.arraycopy(values, i + 1, values, i, size - i - 1);
    size--;
    names[size] = null;
    values[size] = null;
    modifications++;
  }

  @Override
  public void clear() {
    if (large != null) {
      large.clear();
      return;
    }
    Arrays.fill(names, 0, size, null);
    Arrays.fill(values, 0, size, null);
    size = 0;
    modifications++;
  }

  @Override
  public Set<Entry<String, JsonNode>> entrySet() {
    return large != null ? large.entrySet() : new Entries();
  }

  /** The members in order; {@code setValue} and {@code remove} write through, as a map's do. */
  private final class Entries extends AbstractSet<Entry<String, JsonNode>> {
    @Override
    public int size() {
      return SmallObjectMap.this.size();
    }

    @Override
    public Iterator<Entry<String, JsonNode>> iterator() {
      if (large != null) {
        return large.entrySet().iterator();
      }
      return new Iterator<>() {
        private int next;
        private int last = -1;
        private int expected = modifications;

        @Override
        public boolean hasNext() {
          return next < size;
        }

        @Override
        public Entry<String, JsonNode> next() {
          if (expected != modifications) {
            throw new ConcurrentModificationException();
          }
          if (next >= size) {
            throw new NoSuchElementException();
          }
          last = next++;
          return new Member(last);
        }

        @Override
        public void remove() {
          if (last < 0) {
            throw new IllegalStateException();
          }
          if (expected != modifications) {
            throw new ConcurrentModificationException();
          }
          removeAt(last);
          next = last;
          last = -1;
          expected = modifications;
        }
      };
    }
  }

  private final class Member implements Map.Entry<String, JsonNode> {
    private final String name;
    private final int index;

    Member(int index) {
      this.name = names[index];
      this.index = index;
    }

    @Override
    public String getKey() {
      return name;
    }

    @Override
    public JsonNode getValue() {
      return large == null && index < size && names[index] == name ? values[index] : get(name);
    }

    @Override
    public JsonNode setValue(JsonNode value) {
      return put(name, value);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Map.Entry<?, ?> e
          && name.equals(e.getKey())
          && java.util.Objects.equals(getValue(), e.getValue());
    }

    @Override
    public int hashCode() {
      return name.hashCode() ^ java.util.Objects.hashCode(getValue());
    }

    @Override
    public String toString() {
      return name + "=" + getValue();
    }
  }
}
