package org.mineralcds.demo;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * The scenario patients of fhir-resources/scenarios, in memory, by type and id. Scenario dates are
 * written relative to {@link #ANCHOR_DATE}; the demo shifts them so "2 days ago" stays 2 days ago.
 */
public final class ScenarioStore {

  /** The day scenario bundles call "today". */
  public static final java.time.LocalDate ANCHOR_DATE = java.time.LocalDate.of(2026, 11, 20);

  private static final String INDEX = "fhir-resources/scenarios/expected-topics.json";

  private final Map<String, Map<String, Resource>> byType = new ConcurrentHashMap<>();

  /** Loads every scenario listed in the packaged index, shifted by {@code shiftDays}. */
  public static ScenarioStore loadScenarios(FhirContext fhir, int shiftDays) {
    ScenarioStore store = new ScenarioStore();
    for (String scenario : scenarioIds()) {
      store.addBundle(fhir, read("fhir-resources/scenarios/" + scenario + ".json"), shiftDays);
    }
    return store;
  }

  /** Scenario ids in the order of the packaged index. */
  public static List<String> scenarioIds() {
    try {
      JsonNode index = new ObjectMapper().readTree(read(INDEX));
      List<String> ids = new ArrayList<>();
      index.fieldNames().forEachRemaining(ids::add);
      return ids;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(String path) {
    try (InputStream in = ScenarioStore.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing on the classpath: " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void addBundle(FhirContext fhir, String bundleJson, int shiftDays) {
    Bundle bundle = fhir.newJsonParser().parseResource(Bundle.class, bundleJson);
    FhirTerser terser = fhir.newTerser();
    for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
      Resource resource = entry.getResource();
      if (resource == null) {
        continue;
      }
      // Clinical dates move with today; a birth date stays as written (ages drift by a day a year).
      if (shiftDays != 0 && !(resource instanceof Patient)) {
        for (BaseDateTimeType date :
            terser.getAllPopulatedChildElementsOfType(resource, BaseDateTimeType.class)) {
          if (date.getValue() != null) {
            date.add(Calendar.DATE, shiftDays);
          }
        }
      }
      put(resource);
    }
  }

  public void put(Resource resource) {
    resource.setId(resource.getIdElement().toUnqualifiedVersionless().getIdPart());
    byType
        .computeIfAbsent(resource.fhirType(), t -> new LinkedHashMap<>())
        .put(resource.getIdElement().getIdPart(), resource);
  }

  public Resource get(String type, String id) {
    return byType.getOrDefault(type, Map.of()).get(id);
  }

  public Collection<Resource> all(String type) {
    return byType.getOrDefault(type, Map.of()).values();
  }
}
