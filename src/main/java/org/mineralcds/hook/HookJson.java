package org.mineralcds.hook;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON settings of the wire model: strict output (no null, "", [] or {} members, per the spec's
 * JSON rules; {@code cards} and {@code services} are the exceptions) and lenient input.
 */
public final class HookJson {

  /** Deep enough for FHIR bundles, shallow enough that a hostile body cannot exhaust the stack. */
  public static final int MAX_NESTING_DEPTH = 64;

  private HookJson() {}

  public static ObjectMapper newMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .defaultPropertyInclusion(
                JsonInclude.Value.construct(
                    JsonInclude.Include.NON_EMPTY, JsonInclude.Include.NON_EMPTY))
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // FHIR decimals are exact ("1.20" is not 1.2): a lab value must read as it was sent.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            // Small objects in arrays, not hash tables: most of a request's parse time otherwise.
            .nodeFactory(new CompactNodeFactory())
            .build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build());
    return mapper;
  }
}
