package org.mineralcds.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The compact object members behave as the {@link LinkedHashMap} they replace. */
class SmallObjectMapTest {

  private static JsonNode n(int i) {
    return IntNode.valueOf(i);
  }

  @Test
  void keepsMembersInOrderAndAPutOfAKnownNameReplacesInPlace() {
    SmallObjectMap map = new SmallObjectMap();
    map.put("b", n(1));
    map.put("a", n(2));
    map.put("c", n(3));

    assertThat(map.put(new String("a"), n(9))).isEqualTo(n(2));
    assertThat(map)
        .containsExactly(Map.entry("b", n(1)), Map.entry("a", n(9)), Map.entry("c", n(3)));
    assertThat(map.get(new String("c"))).isEqualTo(n(3));
    assertThat(map.get("missing")).isNull();
    assertThat(map.get(null)).isNull();
    assertThat(map.containsKey("b")).isTrue();
  }

  @Test
  void removesByNameAndThroughItsIterator() {
    SmallObjectMap map = new SmallObjectMap();
    for (int i = 0; i < 6; i++) {
      map.put("k" + i, n(i));
    }
    assertThat(map.remove("k2")).isEqualTo(n(2));
    Iterator<Map.Entry<String, JsonNode>> it = map.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getKey().equals("k4")) {
        it.remove();
      }
    }

    assertThat(map.keySet()).containsExactly("k0", "k1", "k3", "k5");
    assertThat(map.values()).containsExactly(n(0), n(1), n(3), n(5));
  }

  @Test
  void anEntrySetsItsValueThroughToTheMap() {
    SmallObjectMap map = new SmallObjectMap();
    map.put("a", n(1));
    map.entrySet().iterator().next().setValue(n(7));

    assertThat(map.get("a")).isEqualTo(n(7));
  }

  @Test
  void aChangeDuringIterationIsRefused() {
    SmallObjectMap map = new SmallObjectMap();
    map.put("a", n(1));
    map.put("b", n(2));
    Iterator<Map.Entry<String, JsonNode>> it = map.entrySet().iterator();
    it.next();
    map.put("c", n(3));

    assertThatThrownBy(it::next).isInstanceOf(ConcurrentModificationException.class);
  }

  @Test
  void anObjectWithManyMembersMovesIntoAHashTableAndKeepsEverything() {
    SmallObjectMap map = new SmallObjectMap();
    Map<String, JsonNode> expected = new LinkedHashMap<>();
    for (int i = 0; i < SmallObjectMap.LINEAR_LIMIT * 50; i++) {
      map.put("member" + i, n(i));
      expected.put("member" + i, n(i));
    }
    map.put("member3", n(-3));
    expected.put("member3", n(-3));
    map.remove("member5");
    expected.remove("member5");

    assertThat(map).isEqualTo(expected);
    assertThat(new ArrayList<>(map.keySet())).isEqualTo(new ArrayList<>(expected.keySet()));
    assertThat(map.get("member599")).isEqualTo(n(599));
  }

  @Test
  void theServiceReadsEveryExampleRequestIntoTheSameTreeAsJacksonsOwn() throws Exception {
    ObjectMapper compact = HookJson.newMapper();
    ObjectMapper plain = HookJson.newMapper().setNodeFactory(JsonNodeFactory.instance);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(Path.of("hooks"))) {
      files = walk.filter(p -> p.toString().endsWith(".json")).toList();
    }
    assertThat(files).hasSizeGreaterThan(100);
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      JsonNode ours = compact.readTree(bytes);
      JsonNode theirs = plain.readTree(bytes);

      assertThat(ours).as(file.toString()).isEqualTo(theirs);
      assertThat(theirs).as(file.toString()).isEqualTo(ours);
      assertThat(compact.writeValueAsString(ours))
          .as(file.toString())
          .isEqualTo(plain.writeValueAsString(theirs));
    }
    assertThat(compact.readTree("{\"a\":{}}").get("a")).isInstanceOf(ObjectNode.class);
  }
}
