package org.mineralcds.knowledge;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.serialization.JsonNodeReader;
import com.networknt.schema.utils.JsonNodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The published JSON Schemas of the knowledge files ({@code hooks/schema/<file>.schema.json}, one
 * per file, referenced from each file's first line for editors), and the structural check the
 * loader runs with them before anything else: unknown or misspelled keys, wrong types, missing
 * fields and values out of their set, each reported with the file and line.
 */
public final class KnowledgeSchemas {

  /** Where the schemas live in the repository and on the classpath. */
  public static final String FOLDER = "hooks/schema/";

  static final String NOT_YAML = "not valid YAML: ";

  private static final JsonNodeReader LOCATED = JsonNodeReader.builder().locationAware().build();
  private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();

  private KnowledgeSchemas() {}

  /** The schema file name for a knowledge file: rules.yaml -> rules.schema.json. */
  public static String schemaName(String knowledgeFile) {
    return knowledgeFile.replaceFirst("\\.yaml$", "") + ".schema.json";
  }

  /** The text of a published schema, e.g. {@code rules.schema.json}, if there is one. */
  public static Optional<String> schemaText(String schemaName) {
    if (java.util.stream.Stream.concat(
            KnowledgeLoader.FILES.stream(), PrescribingLoader.FILES.stream())
        .map(KnowledgeSchemas::schemaName)
        .noneMatch(schemaName::equals)) {
      return Optional.empty();
    }
    try (InputStream in = resource(schemaName)) {
      return in == null
          ? Optional.empty()
          : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The problems of one knowledge file against its schema, each as "file line N: what", in line
   * order; empty when it conforms.
   */
  static List<String> check(String file, String yaml) {
    JsonNode located;
    try {
      located = LOCATED.readTree(yaml, InputFormat.YAML);
    } catch (IOException | IllegalArgumentException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      String message =
          java.util.Arrays.stream(String.valueOf(cause.getMessage()).split("\n"))
              .map(String::strip)
              .filter(l -> !l.isEmpty() && !l.startsWith("in '") && !l.startsWith("at [Source"))
              .filter(l -> !l.contains("^") && !l.startsWith("..."))
              .filter(l -> !l.contains("{") || l.startsWith("expected"))
              .collect(java.util.stream.Collectors.joining(": "));
      String where = "";
      if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException j
          && j.getLocation() != null) {
        where = " line " + j.getLocation().getLineNr();
      }
      return List.of(file + where + ": " + NOT_YAML + message);
    }
    if (located == null || located.isMissingNode()) {
      return List.of(file + ": is empty");
    }
    record Problem(int line, String text) {}
    List<Problem> problems = new ArrayList<>();
    List<ValidationMessage> messages = new ArrayList<>(schema(file).validate(located));
    // A misspelled key is both unknown and, when it stood for a required key, missing: one
    // problem, naming the key it probably meant.
    Map<String, String> meant = new java.util.HashMap<>();
    for (ValidationMessage unknown : messages) {
      if (!"additionalProperties".equals(unknown.getType())) {
        continue;
      }
      for (ValidationMessage missing : messages) {
        if ("required".equals(missing.getType())
            && missing.getInstanceLocation().equals(unknown.getInstanceLocation())
            && close(unknown.getProperty(), missing.getProperty())) {
          meant.put(
              unknown.getInstanceLocation() + "/" + unknown.getProperty(), missing.getProperty());
        }
      }
    }
    for (ValidationMessage m : messages) {
      if ("required".equals(m.getType())
          && meant.containsValue(m.getProperty())
          && meant.entrySet().stream()
              .anyMatch(
                  e ->
                      e.getValue().equals(m.getProperty())
                          && e.getKey().startsWith(m.getInstanceLocation() + "/"))) {
        continue;
      }
      JsonNode at = m.getInstanceNode();
      String what = describe(m, located);
      if ("additionalProperties".equals(m.getType()) && m.getProperty() != null) {
        String guess = meant.get(m.getInstanceLocation() + "/" + m.getProperty());
        if (guess != null) {
          what =
              what.replace("(misspelled, or not allowed here)", "(did you mean '" + guess + "'?)");
        }
        JsonNode key = at == null ? null : at.get(m.getProperty());
        at = key != null ? key : at;
      }
      int line = line(at);
      problems.add(new Problem(line, file + (line > 0 ? " line " + line : "") + ": " + what));
    }
    problems.sort(Comparator.comparingInt(Problem::line));
    return problems.stream().map(Problem::text).distinct().toList();
  }

  /**
   * "rule vitamin-d-high: 'lookbackDays' must be 1 or more (rules[5].bands[1].lookbackDays)": the
   * rule or entry (the nearest list item with an id, or map entry) and the key, in words.
   */
  private static String describe(ValidationMessage m, JsonNode root) {
    JsonNodePath path = m.getInstanceLocation();
    String entry = null;
    String key = null;
    JsonNode node = root;
    for (int i = 0; i < path.getNameCount() && node != null; i++) {
      Object element = path.getElement(i);
      if (element instanceof Integer index) {
        node = node.get(index);
        if (node != null && node.hasNonNull("id")) {
          entry = "rule " + node.get("id").asText();
        } else if (node != null && node.path("test").isTextual()) {
          entry = (entry == null ? "" : entry + ": ") + "test " + node.get("test").asText();
        }
      } else {
        String name = String.valueOf(element);
        node = node.get(name);
        key = name;
        if (i == 1 && node != null && node.isObject()) {
          // a map of entries by id: sources, analytes, classes, sets, tests
          entry = entry == null ? singular(path.getName(0)) + " " + name : entry;
        }
      }
    }
    String where = path.toString().replaceFirst("^\\$\\.?", "");
    String lead = (entry == null ? "" : entry + ": ");
    String type = m.getType();
    String text;
    if ("additionalProperties".equals(type)) {
      text = "unknown key '" + m.getProperty() + "' (misspelled, or not allowed here)";
    } else if ("required".equals(type)) {
      text = "missing required key '" + m.getProperty() + "'";
    } else if ("enum".equals(type) && m.getInstanceNode() != null) {
      text =
          (key == null ? "" : "'" + key + "': ")
              + "'"
              + m.getInstanceNode().asText()
              + "' is not one of "
              + m.getSchemaNode();
    } else {
      String message = m.getMessage();
      int colon = message.indexOf(": ");
      message = colon >= 0 && message.startsWith("$") ? message.substring(colon + 2) : message;
      text = (key == null ? "" : "'" + key + "': ") + message;
    }
    return lead + text + (where.isEmpty() ? "" : " (at " + where + ")");
  }

  /** Two keys that differ by at most two edits (a typo, a missing plural s). */
  static boolean close(String a, String b) {
    if (a == null || b == null || Math.abs(a.length() - b.length()) > 2) {
      return false;
    }
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost =
            Character.toLowerCase(a.charAt(i - 1)) == Character.toLowerCase(b.charAt(j - 1))
                ? 0
                : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()] <= 2;
  }

  private static String singular(String mapName) {
    return switch (mapName) {
      case "sources" -> "source";
      case "analytes" -> "analyte";
      case "classes" -> "drug class";
      case "sets" -> "condition set";
      case "tests" -> "test";
      case "prefetch" -> "prefetch key";
      default -> mapName;
    };
  }

  private static int line(JsonNode node) {
    if (node == null) {
      return 0;
    }
    JsonLocation location = JsonNodes.tokenLocationOf(node);
    return location == null ? 0 : location.getLineNr();
  }

  private static JsonSchema schema(String file) {
    return SCHEMAS.computeIfAbsent(
        file,
        f -> {
          try (InputStream in = resource(schemaName(f))) {
            if (in == null) {
              throw new IllegalStateException("no schema on the classpath for " + f);
            }
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private static InputStream resource(String schemaName) {
    return KnowledgeSchemas.class.getClassLoader().getResourceAsStream(FOLDER + schemaName);
  }
}
