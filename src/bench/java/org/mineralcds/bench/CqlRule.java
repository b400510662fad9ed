package org.mineralcds.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.lang3.tuple.Pair;
import org.cqframework.cql.cql2elm.CqlCompilerException;
import org.cqframework.cql.cql2elm.CqlCompilerOptions;
import org.cqframework.cql.cql2elm.LibraryManager;
import org.cqframework.cql.cql2elm.ModelManager;
import org.cqframework.cql.cql2elm.StringLibrarySourceProvider;
import org.cqframework.cql.cql2elm.model.CompiledLibrary;
import org.cqframework.cql.cql2elm.quick.FhirLibrarySourceProvider;
import org.hl7.elm.r1.VersionedIdentifier;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.opencds.cqf.cql.engine.data.CompositeDataProvider;
import org.opencds.cqf.cql.engine.data.DataProvider;
import org.opencds.cqf.cql.engine.execution.CqlEngine;
import org.opencds.cqf.cql.engine.execution.Environment;
import org.opencds.cqf.cql.engine.execution.EvaluationResult;
import org.opencds.cqf.cql.engine.fhir.model.R4FhirModelResolver;
import org.opencds.cqf.cql.engine.retrieve.RetrieveProvider;
import org.opencds.cqf.cql.engine.runtime.Code;
import org.opencds.cqf.cql.engine.runtime.Interval;

/**
 * The comparison rule (LowPotassiumMagnesium.cql) on the CQL reference implementation from Maven
 * Central (info.cqframework cql-to-elm, engine, engine-fhir): translated to ELM once, then
 * evaluated per patient on already parsed HAPI R4 resources, as a CDS service built on the engine
 * does. Bench code only: none of this is in the shipped jar.
 */
public final class CqlRule {

  static final String RESOURCE = "/bench/LowPotassiumMagnesium.cql";
  static final VersionedIdentifier LIBRARY =
      new VersionedIdentifier().withId("LowPotassiumMagnesium").withVersion("1.0.0");
  static final String DECISION = "Suggest Magnesium";

  private final LibraryManager libraries;
  private final R4FhirModelResolver model = new R4FhirModelResolver();
  /** One engine for every evaluation (not thread-safe): only its data changes. */
  private final InMemoryRetrieve reusedData = new InMemoryRetrieve(List.of());
  private final CqlEngine reusedEngine;

  private CqlRule(LibraryManager libraries) {
    this.libraries = libraries;
    this.reusedEngine =
        new CqlEngine(
            new Environment(
                libraries,
                Map.of("http://hl7.org/fhir", new CompositeDataProvider(model, reusedData)),
                null));
  }

  /** Translates the rule (and FHIRHelpers, which it includes) to ELM; fails on any error. */
  public static CqlRule translate() {
    LibraryManager libraries =
        new LibraryManager(new ModelManager(), CqlCompilerOptions.defaultOptions());
    libraries.getLibrarySourceLoader().registerProvider(new FhirLibrarySourceProvider());
    libraries.getLibrarySourceLoader().registerProvider(new StringLibrarySourceProvider(List.of(source())));
    List<CqlCompilerException> errors = new ArrayList<>();
    CompiledLibrary compiled = libraries.resolveLibrary(LIBRARY, errors);
    List<CqlCompilerException> real =
        errors.stream()
            .filter(e -> e.getSeverity() == CqlCompilerException.ErrorSeverity.Error)
            .toList();
    if (compiled == null || !real.isEmpty()) {
      throw new IllegalStateException(
          "CQL translation failed: "
              + real.stream()
                  .map(e -> e.getMessage() + " at " + e.getLocator())
                  .toList());
    }
    return new CqlRule(libraries);
  }

  static String source() {
    try (InputStream in = CqlRule.class.getResourceAsStream(RESOURCE)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Evaluates the rule for one patient's resources; true when magnesium should be suggested. */
  public boolean suggestMagnesium(String patientId, List<Resource> resources, ZonedDateTime now) {
    DataProvider data = new CompositeDataProvider(model, new InMemoryRetrieve(resources));
    Environment environment =
        new Environment(libraries, Map.of("http://hl7.org/fhir", data), null);
    CqlEngine engine = new CqlEngine(environment);
    EvaluationResult result =
        engine.evaluate(
            LIBRARY, Set.of(DECISION), Pair.of("Patient", patientId), Map.of(), null, now);
    return Boolean.TRUE.equals(result.forExpression(DECISION).value());
  }

  /**
   * As {@link #suggestMagnesium}, on one long-lived engine whose data provider is given this
   * patient's resources; the engine's expression cache is cleared first (it would otherwise answer
   * with the previous patient's results).
   */
  public boolean suggestMagnesiumReusingEngine(
      String patientId, List<Resource> resources, ZonedDateTime now) {
    reusedData.reset(resources);
    reusedEngine.getCache().getExpressions().clear();
    EvaluationResult result =
        reusedEngine.evaluate(
            LIBRARY, Set.of(DECISION), Pair.of("Patient", patientId), Map.of(), null, now);
    return Boolean.TRUE.equals(result.forExpression(DECISION).value());
  }

  /**
   * Retrieves by resource type, the patient's own resources only; the rule's code and date filters
   * are left to the CQL engine (the rule's retrieves carry none).
   */
  private static final class InMemoryRetrieve implements RetrieveProvider {
    private final Map<String, List<Object>> byType = new HashMap<>();

    InMemoryRetrieve(List<Resource> resources) {
      reset(resources);
    }

    void reset(List<Resource> resources) {
      byType.clear();
      for (Resource r : resources) {
        byType.computeIfAbsent(r.fhirType(), k -> new ArrayList<>()).add(r);
      }
    }

    @Override
    public Iterable<Object> retrieve(
        String context,
        String contextPath,
        Object contextValue,
        String dataType,
        String templateId,
        String codePath,
        Iterable<Code> codes,
        String valueSet,
        String datePath,
        String dateLowPath,
        String dateHighPath,
        Interval dateRange) {
      if (codes != null || valueSet != null || dateRange != null) {
        throw new UnsupportedOperationException("the comparison rule filters in CQL");
      }
      List<Object> all = byType.getOrDefault(dataType, List.of());
      if (!"Patient".equals(context) || contextValue == null) {
        return all;
      }
      String patient = "Patient/" + contextValue;
      List<Object> own = new ArrayList<>();
      for (Object o : all) {
        Reference subject =
            o instanceof Observation ob
                ? ob.getSubject()
                : o instanceof MedicationRequest mr
                    ? mr.getSubject()
                    : o instanceof Condition c ? c.getSubject() : null;
        if (subject == null
            ? o instanceof org.hl7.fhir.r4.model.Patient p
                && p.getIdElement().getIdPart().equals(contextValue)
            : patient.equals(subject.getReference())) {
          own.add(o);
        }
      }
      return own;
    }
  }
}
