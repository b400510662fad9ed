package org.mineralcds.hook;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * Reads JSON into the tree the service reads, leaving out the members of FHIR resources that no
 * part of the service reads. A prefetched Observation spends a third of its bytes on its {@code
 * meta}, {@code category}, {@code performer} and its entry's {@code fullUrl} and {@code search};
 * EHR data adds narratives and extensions. Building tree nodes and strings for them was a large
 * part of a hook call's cost (BENCHMARKS.md, "The request's JSON tree"); skipping them costs the
 * parser's tokenising only.
 *
 * <p>Otherwise the tree is the one Jackson's own reader builds with {@link HookJson}'s settings:
 * exact decimals, the last of duplicate members, the parser's limits ({@code JsonTreesTest}
 * compares them over every example request).
 */
public final class JsonTrees {

  /**
   * FHIR members, at any depth of a resource, that the mapper never reads. {@code FhirJson}'s
   * accessors refuse these names when assertions are on (as in every test), so a rule that starts
   * reading one of them fails its tests instead of silently reading nothing.
   *
   * <ul>
   *   <li>{@code meta}, {@code div} (a narrative's XHTML), {@code extension}, {@code
   *       modifierExtension}: the service reads coded data only, and ignored extensions before.
   *   <li>{@code category}, {@code performer}, {@code encounter}, {@code requester}: not inputs of
   *       any rule; the searches already filter by category where a server supports it.
   *   <li>{@code fullUrl}, {@code search}: a Bundle entry's; resources are pooled by type and id.
   * </ul>
   */
  public static final Set<String> UNREAD_FHIR_MEMBERS =
      Set.of(
          "meta",
          "div",
          "extension",
          "modifierExtension",
          "category",
          "performer",
          "encounter",
          "requester",
          "fullUrl",
          "search");

  /**
   * {@code UNREAD_FHIR_MEMBERS.contains(name)}, asked for every member of every resource: a string
   * switch (the name's cached hash, then one comparison, by reference first as the parser's names
   * are interned) costs less than the set's probe, which divides ({@code JsonTreesTest} checks that
   * both agree).
   */
  static boolean unread(String name) {
    return switch (name) {
      case "meta",
          "div",
          "extension",
          "modifierExtension",
          "category",
          "performer",
          "encounter",
          "requester",
          "fullUrl",
          "search" ->
          true;
      default -> false;
    };
  }

  /** The member of a hook request whose values are FHIR resources. */
  private static final String PREFETCH_MEMBER = "prefetch";

  private JsonTrees() {}

  /**
   * A hook request or feedback body: every member as sent, except that the resources under {@code
   * prefetch} lose their {@link #UNREAD_FHIR_MEMBERS}. {@link MissingNode} for an empty body.
   */
  public static JsonNode readRequest(ObjectMapper mapper, byte[] body) throws IOException {
    try (JsonParser parser = mapper.createParser(body)) {
      return read(parser, mapper, false);
    }
  }

  /** A FHIR resource (a server's answer): without its {@link #UNREAD_FHIR_MEMBERS}. */
  public static JsonNode readFhir(ObjectMapper mapper, InputStream body) throws IOException {
    try (JsonParser parser = mapper.createParser(body)) {
      return read(parser, mapper, true);
    }
  }

  /** A FHIR resource from text: as {@link #readFhir(ObjectMapper, InputStream)}. */
  public static JsonNode readFhir(ObjectMapper mapper, String body) throws IOException {
    try (JsonParser parser = mapper.createParser(body)) {
      return read(parser, mapper, true);
    }
  }

  /** Where in the document a value is, which decides whether members are left out. */
  private enum Place {
    /** Anywhere else: everything is kept. */
    PLAIN,
    /** The hook request object itself. */
    REQUEST,
    /** The request's {@code prefetch} object: its members are the keys, each a resource. */
    PREFETCH,
    /** Inside a FHIR resource: unread members are left out. */
    RESOURCE;

    Place of(String member) {
      return switch (this) {
        case REQUEST -> member.equals(PREFETCH_MEMBER) ? PREFETCH : PLAIN;
        case PREFETCH, RESOURCE -> RESOURCE;
        case PLAIN -> PLAIN;
      };
    }

    Place ofElement() {
      return this == RESOURCE ? RESOURCE : PLAIN;
    }
  }

  private static JsonNode read(JsonParser parser, ObjectMapper mapper, boolean fhir)
      throws IOException {
    JsonToken first = parser.nextToken();
    if (first == null) {
      return MissingNode.getInstance();
    }
    JsonNodeFactory nodes = mapper.getNodeFactory();
    // A parser that canonicalises names gives one String instance per name in a document, so a
    // repeated member is found by reference alone (SmallObjectMap.putCanonical).
    boolean canonicalNames =
        nodes instanceof CompactNodeFactory
            && mapper.getFactory().isEnabled(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES);
    // Nesting is bounded by the parser's own limit (HookJson.MAX_NESTING_DEPTH), so recursion is.
    return value(parser, first, nodes, fhir ? Place.RESOURCE : Place.REQUEST, canonicalNames);
  }

  /** The value starting at {@code token}, at {@code place}. */
  private static JsonNode value(
      JsonParser parser, JsonToken token, JsonNodeFactory nodes, Place place, boolean canonical)
      throws IOException {
    if (token == null) {
      throw new JsonParseException(parser, "Unexpected end-of-input");
    }
    switch (token) {
      case START_OBJECT:
        if (canonical) {
          SmallObjectMap members = new SmallObjectMap();
          ObjectNode object = new ObjectNode(nodes, members);
          for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
            JsonToken next = parser.nextToken();
            if (place == Place.RESOURCE && unread(name)) {
              parser.skipChildren();
              continue;
            }
            members.putCanonical(name, value(parser, next, nodes, place.of(name), true));
          }
          return object;
        }
        ObjectNode object = nodes.objectNode();
        for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
          JsonToken next = parser.nextToken();
          if (place == Place.RESOURCE && unread(name)) {
            parser.skipChildren();
            continue;
          }
          object.replace(name, value(parser, next, nodes, place.of(name), false));
        }
        return object;
      case START_ARRAY:
        ArrayNode array = nodes.arrayNode();
        for (JsonToken next = parser.nextToken();
            next != JsonToken.END_ARRAY;
            next = parser.nextToken()) {
          array.add(value(parser, next, nodes, place.ofElement(), canonical));
        }
        return array;
      case VALUE_STRING:
        return nodes.textNode(parser.getText());
      case VALUE_NUMBER_INT:
        return switch (parser.getNumberType()) {
          case INT -> nodes.numberNode(parser.getIntValue());
          case LONG -> nodes.numberNode(parser.getLongValue());
          default -> nodes.numberNode(parser.getBigIntegerValue());
        };
      case VALUE_NUMBER_FLOAT:
        // FHIR decimals are exact ("1.20" is not 1.2), as HookJson's reader keeps them.
        return DecimalNode.valueOf(parser.getDecimalValue());
      case VALUE_TRUE:
        return nodes.booleanNode(true);
      case VALUE_FALSE:
        return nodes.booleanNode(false);
      case VALUE_NULL:
        return nodes.nullNode();
      default:
        // VALUE_EMBEDDED_OBJECT and NOT_AVAILABLE do not occur in JSON text.
        throw new JsonParseException(parser, "Unexpected JSON token " + token);
    }
  }
}
