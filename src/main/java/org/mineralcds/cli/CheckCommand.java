package org.mineralcds.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.mineralcds.MineralCds;
import org.mineralcds.auth.Caller;
import org.mineralcds.cards.CardRenderer;
import org.mineralcds.clinical.Analyte;
import org.mineralcds.clinical.DraftOrder;
import org.mineralcds.clinical.Ingredient;
import org.mineralcds.clinical.LabHistory;
import org.mineralcds.clinical.LabResult;
import org.mineralcds.clinical.MedicationExposure;
import org.mineralcds.clinical.PatientRecord;
import org.mineralcds.config.ConfigLoader;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.fhir.DraftOrders;
import org.mineralcds.fhir.MappingReport;
import org.mineralcds.fhir.PatientData;
import org.mineralcds.hook.Card;
import org.mineralcds.hook.FhirAuthorization;
import org.mineralcds.hook.HookError;
import org.mineralcds.hook.HookJson;
import org.mineralcds.hook.HookRequest;
import org.mineralcds.hook.HookResponse;
import org.mineralcds.hook.Suggestion;
import org.mineralcds.observability.Metrics;
import org.mineralcds.service.CdsService;
import org.mineralcds.service.MineralBalanceService;
import org.mineralcds.service.OrderCheck;
import org.mineralcds.service.OrderSelectService;
import org.mineralcds.service.OrderSignService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code check}: evaluates one patient on any FHIR R4 server (public sandboxes included), or one
 * hook request from a file (patient-view, order-select or order-sign: its prefetch or a FHIR
 * server, and the draft orders), with the same code path as a hook call, and prints the cards and
 * what data (and which drugs in the draft orders) it found. For testers and IT checking a FHIR
 * endpoint before registering the service with an EHR, and developers checking a request.
 */
public final class CheckCommand {

  static final String USAGE =
      """
      Usage: java -jar mineral-cds.jar check --fhir-server URL --patient ID [options]
             java -jar mineral-cds.jar check [--hook HOOK] [--fhir-server URL] REQUEST.json [options]

      Evaluates one patient on a FHIR R4 server, or one CDS Hooks request (patient-view,
      order-select or order-sign, e.g. a golden example), and prints the cards mineral-cds would
      return, with the data it found (results per analyte, medications, the draft orders and the
      drugs recognised in them, unrecognised units and codes).

      Options:
        --fhir-server URL    FHIR R4 base URL, e.g. https://r4.smarthealthit.org (required
                             without a request; with one, all data is read from this server
                             instead of the request's prefetch)
        --patient ID         the Patient's id on that server (required without a request; with
                             one, it replaces context.patientId)
        REQUEST.json         a hook request (or --request FILE): its context (draftOrders and
                             selections for order-select and order-sign) and its prefetch, or its
                             fhirServer for keys it does not prefetch, evaluated as a hook call
        --hook HOOK          evaluate the request as patient-view, order-select or order-sign
                             (default: the request's own hook)
        --token TOKEN        bearer access token for the server, if it needs one
        --json               print JSON instead of text
        --timeout-ms N       per-request read timeout (default 15000; the whole check gets 3x)
        --now INSTANT        evaluate as of this instant (2026-11-20T12:00:00Z) or date
                             (2026-11-20, its start in UTC) instead of the wall clock, e.g. to
                             replay a golden example against a demo started with the same --now
        --public-base-url U  the service's base URL for the rule pages cards link to
                             (default http://127.0.0.1:8080)
        --help               this text

      Exit status: 0 evaluated (with or without cards), 1 the server or patient could not be
      read, 2 wrong usage (including a request that is not a valid hook call).
      """;

  /** The hooks a request may be checked as. */
  static final List<String> HOOKS = List.of("patient-view", "order-select", "order-sign");

  private static final ObjectMapper JSON = HookJson.newMapper();

  private CheckCommand() {}

  /** Runs the command; returns the process exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err, Clock clock) {
    Map<String, String> options = new LinkedHashMap<>();
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h" -> {
          out.print(USAGE);
          return 0;
        }
        case "--json" -> json = true;
        case "--fhir-server",
            "--patient",
            "--token",
            "--timeout-ms",
            "--now",
            "--public-base-url",
            "--hook",
            "--request" -> {
          if (i + 1 >= args.length) {
            err.println(args[i] + " needs a value.\n\n" + USAGE);
            return 2;
          }
          options.put(args[i], args[++i]);
        }
        default -> {
          if (args[i].startsWith("-") || options.containsKey("--request")) {
            err.println("Unknown option " + args[i] + ".\n\n" + USAGE);
            return 2;
          }
          options.put("--request", args[i]);
        }
      }
    }
    String server = options.get("--fhir-server");
    String patient = options.get("--patient");
    String requestFile = options.get("--request");
    String hook = options.get("--hook");
    if (hook != null && !HOOKS.contains(hook)) {
      err.println("--hook must be one of " + String.join(", ", HOOKS) + ", not '" + hook + "'.");
      return 2;
    }
    if (requestFile == null && (server == null || patient == null)) {
      err.println(
          (hook != null && !hook.equals("patient-view")
                  ? "A " + hook + " check needs a request file with its draftOrders.\n\n"
                  : "--fhir-server and --patient are required (or a request file).\n\n")
              + USAGE);
      return 2;
    }
    if (server != null && !isHttpUrl(server)) {
      err.println("--fhir-server must be an http(s) URL, not '" + server + "'.");
      return 2;
    }
    int timeoutMs;
    try {
      timeoutMs = Integer.parseInt(options.getOrDefault("--timeout-ms", "15000"));
    } catch (NumberFormatException e) {
      err.println("--timeout-ms must be a whole number of milliseconds.");
      return 2;
    }
    List<String> problems = new ArrayList<>();
    Instant now = ConfigLoader.parseNow(options.get("--now"), problems);
    if (!problems.isEmpty()) {
      err.println(problems.get(0) + ".");
      return 2;
    }
    String baseUrl = options.getOrDefault("--public-base-url", CardRenderer.DEFAULT_BASE_URL);
    if (!isHttpUrl(baseUrl)) {
      err.println("--public-base-url must be an http(s) URL, not '" + baseUrl + "'.");
      return 2;
    }
    if (now != null) {
      clock = Clock.fixed(now, ZoneOffset.UTC);
    }
    Level previous = silenceServiceLogs();
    try {
      if (requestFile != null) {
        return checkRequest(
            requestFile,
            hook,
            server == null ? null : server.replaceAll("/+$", ""),
            patient,
            options.get("--token"),
            json,
            timeoutMs,
            out,
            err,
            clock,
            baseUrl.replaceAll("/+$", ""));
      }
      return check(
          server.replaceAll("/+$", ""),
          patient,
          options.get("--token"),
          json,
          timeoutMs,
          out,
          err,
          clock,
          baseUrl.replaceAll("/+$", ""));
    } finally {
      restoreLogs(previous);
    }
  }

  private static int check(
      String server,
      String patient,
      String token,
      boolean json,
      int timeoutMs,
      PrintStream out,
      PrintStream err,
      Clock clock,
      String baseUrl) {
    ServiceConfig config = config(server, timeoutMs);
    return finish(
        pool -> {
          MineralBalanceService service = MineralCds.service(config, clock, pool, new Metrics());
          ObjectNode context = JsonNodeFactory.instance.objectNode();
          context.put("patientId", patient);
          context.put("userId", "Practitioner/mineral-cds-check");
          HookRequest request =
              new HookRequest(
                  "patient-view",
                  UUID.randomUUID().toString(),
                  server,
                  token == null
                      ? null
                      : new FhirAuthorization(
                          token, "Bearer", 300L, "patient/*.read", "mineral-cds-check", patient),
                  context,
                  Map.of());
          MineralBalanceService.Evaluation evaluation =
              service.evaluate(request, Caller.unauthenticatedLocal(), baseUrl);
          if (!evaluation.data().patientFound()) {
            return Outcome.patientNotFound(patient, server);
          }
          return new Outcome(
              null,
              () -> asJson(server, patient, evaluation),
              o -> printText(server, patient, evaluation, o));
        },
        e -> explain(e, server),
        json,
        out,
        err);
  }

  /** What one check found: a patient not found on the server, or the result to print. */
  private record Outcome(String notFound, Supplier<ObjectNode> json, Consumer<PrintStream> text) {
    static Outcome patientNotFound(String patient, String server) {
      return new Outcome("Patient '" + patient + "' was not found on " + server + ".", null, null);
    }
  }

  /** One evaluation on a thread pool of its own (shut down when it ends). */
  @FunctionalInterface
  private interface Evaluate {
    Outcome run(ExecutorService pool) throws Exception;
  }

  /**
   * Runs one evaluation and ends the command as both kinds of check do: a patient not found is exit
   * status 1; otherwise the result, as JSON or as text, and 0. A {@link HookError} is told in the
   * words {@code hookError} gives it, with status 2 for a request the service would refuse with 400
   * and 1 otherwise (the data could not be read); anything else is a failed check (1).
   */
  private static int finish(
      Evaluate evaluate,
      Function<HookError, String> hookError,
      boolean json,
      PrintStream out,
      PrintStream err) {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      Outcome outcome = evaluate.run(pool);
      if (outcome.notFound() != null) {
        err.println(outcome.notFound());
        return 1;
      }
      if (json) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(outcome.json().get()));
      } else {
        outcome.text().accept(out);
      }
      return 0;
    } catch (HookError e) {
      err.println(hookError.apply(e));
      return e.kind() == HookError.Kind.BAD_REQUEST ? 2 : 1;
    } catch (Exception e) {
      err.println("The check failed: " + e.getMessage());
      return 1;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The service's settings for a check: the person running the command names the server (on the
   * command line or in the request), so it is the one server allowed besides loopback.
   */
  private static ServiceConfig config(String server, int timeoutMs) {
    return new ServiceConfig(
        "127.0.0.1",
        0,
        List.of(),
        server == null ? List.of() : List.of(server),
        Duration.ofMillis(Math.min(timeoutMs, 10_000)),
        Duration.ofMillis(timeoutMs),
        Duration.ofMillis(3L * timeoutMs),
        Integer.MAX_VALUE,
        10,
        null,
        false,
        false);
  }

  // ---- a request file -----------------------------------------------------------------------

  /**
   * Evaluates a hook request read from {@code file} through the service of its hook: its prefetch
   * (or, with {@code server}, all data from that server) and, for the prescribing hooks, its
   * draftOrders and selections.
   */
  private static int checkRequest(
      String file,
      String hook,
      String server,
      String patient,
      String token,
      boolean json,
      int timeoutMs,
      PrintStream out,
      PrintStream err,
      Clock clock,
      String baseUrl) {
    HookRequest request;
    try {
      request = readRequest(file, hook, server, patient, token);
    } catch (java.io.IOException e) {
      err.println("Cannot read the request " + file + ": " + e.getMessage());
      return 2;
    } catch (HookError e) {
      err.println("The request " + file + " is not a valid hook call: " + e.getMessage());
      return 2;
    }
    if (!HOOKS.contains(request.hook())) {
      err.println(
          "The request's hook is '"
              + request.hook()
              + "'; mineral-cds answers "
              + String.join(", ", HOOKS)
              + " (--hook chooses one).");
      return 2;
    }
    String fhirServer = request.fhirServer();
    if (fhirServer != null && !isHttpUrl(fhirServer)) {
      err.println("The request's fhirServer must be an http(s) URL, not '" + fhirServer + "'.");
      return 2;
    }
    return finish(
        pool -> {
          Map<String, CdsService> services =
              MineralCds.services(config(fhirServer, timeoutMs), clock, pool, new Metrics());
          Caller caller = Caller.unauthenticatedLocal();
          Checked checked =
              switch (request.hook()) {
                case "order-select" ->
                    Checked.of(
                        ((OrderSelectService) services.get("mineral-order-select"))
                            .evaluate(request, caller, baseUrl));
                case "order-sign" ->
                    Checked.of(
                        ((OrderSignService) services.get("mineral-order-sign"))
                            .evaluate(request, caller, baseUrl));
                default ->
                    Checked.of(
                        ((MineralBalanceService) services.get(MineralCds.SERVICE_ID))
                            .evaluate(request, caller, baseUrl));
              };
          String patientId = request.contextString("patientId");
          if (checked.data() != null
              && !checked.data().fetched().isEmpty()
              && !checked.data().patientFound()
              && !request.prefetch().containsKey("patient")) {
            return Outcome.patientNotFound(patientId, fhirServer);
          }
          return new Outcome(
              null,
              () -> requestJson(request, patientId, checked),
              o -> printRequest(request, patientId, checked, o));
        },
        e ->
            e.kind() == HookError.Kind.BAD_REQUEST
                ? "The request " + file + " is not a valid hook call: " + e.getMessage()
                : explain(e, fhirServer == null ? "(none: prefetch only)" : fhirServer),
        json,
        out,
        err);
  }

  /**
   * A hook request from a file, with what the command line changes: the hook, the patient, the FHIR
   * server (whose data then replaces the prefetch) and its token. A missing hookInstance is made
   * up: a developer's hand-written request need not carry one.
   */
  public static HookRequest readRequest(
      String file, String hook, String server, String patient, String token)
      throws java.io.IOException {
    JsonNode body;
    try {
      // Read as the service reads a request, so that the check reports what the service sees.
      body =
          org.mineralcds.hook.JsonTrees.readRequest(
              JSON, java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw HookError.badRequest("not JSON (" + e.getOriginalMessage() + ")");
    }
    if (body == null || !body.isObject()) {
      throw HookError.badRequest("The request body must be a JSON object.");
    }
    ObjectNode copy = ((ObjectNode) body).deepCopy();
    if (hook != null) {
      copy.put("hook", hook);
    }
    if (!copy.hasNonNull("hookInstance")) {
      copy.put("hookInstance", UUID.randomUUID().toString());
    }
    if (patient != null && copy.path("context").isObject()) {
      ((ObjectNode) copy.path("context")).put("patientId", patient);
    }
    if (server != null) {
      copy.put("fhirServer", server);
      copy.remove("prefetch");
      // The request's token was granted for its own server: never send it to another one.
      copy.remove("fhirAuthorization");
    }
    if (token != null) {
      copy.putObject("fhirAuthorization")
          .put("access_token", token)
          .put("token_type", "Bearer")
          .put("expires_in", 300)
          .put("scope", "patient/*.read")
          .put("subject", "mineral-cds-check");
    }
    return HookRequest.fromJson(copy);
  }

  /** What a service returned, whichever hook: the cards, the data (null: none loaded), orders. */
  private record Checked(HookResponse response, PatientData data, DraftOrders drafts) {
    static Checked of(MineralBalanceService.Evaluation e) {
      return new Checked(e.response(), e.data(), null);
    }

    static Checked of(OrderCheck.Evaluation e) {
      return new Checked(e.response(), e.data(), e.drafts());
    }
  }

  private static void printRequest(
      HookRequest request, String patient, Checked checked, PrintStream out) {
    out.println(
        "mineral-cds check: "
            + request.hook()
            + " request for patient "
            + patient
            + (request.fhirServer() == null ? "" : " on " + request.fhirServer()));
    if (checked.drafts() != null) {
      printDrafts(checked.drafts(), out);
    }
    out.println();
    if (checked.data() == null) {
      out.println(
          "Data found: none read (no draft order has a mineral or electrolyte implication, so no"
              + " data is needed).");
    } else {
      printData(checked.data(), out);
    }
    out.println();
    printCards(checked.response().cards(), out);
  }

  private static void printDrafts(DraftOrders drafts, PrintStream out) {
    out.println();
    out.println(
        "Draft orders ("
            + drafts.all().size()
            + " medication order(s), "
            + drafts.considered().size()
            + " checked)");
    Map<String, Integer> unrecognised = new LinkedHashMap<>();
    for (DraftOrder d : drafts.all()) {
      boolean checked = drafts.considered().contains(d);
      out.println(
          "  "
              + (d.reference() == null ? "(no id)" : d.reference())
              + "  "
              + describe(d)
              + (checked ? "" : "   [not selected]"));
      if (d.ingredients().isEmpty()) {
        unrecognised.merge(
            d.description() == null ? "(no code or text)" : d.description(), 1, Integer::sum);
      }
    }
    if (!drafts.orderedTests().isEmpty()) {
      out.println(
          "  lab orders (count as ordered): "
              + drafts.orderedTests().stream()
                  .map(t -> String.join("+", new java.util.TreeSet<>(t.loincCodes())))
                  .collect(Collectors.joining(", ")));
    }
    printCounts(out, "Draft orders with no recognized drug (no implication)", unrecognised);
  }

  private static String describe(DraftOrder d) {
    List<String> names = new ArrayList<>();
    for (Ingredient i : d.ingredients()) {
      names.add(i.name() + " [" + i.drugClass().name() + "]");
    }
    names.sort(null);
    String what = d.description() == null ? "(no code or text)" : d.description();
    return what
        + (names.isEmpty() ? " (not recognized)" : " = " + String.join(", ", names))
        + (d.priorPrescription() == null ? "" : ", renews " + d.priorPrescription());
  }

  private static ObjectNode requestJson(HookRequest request, String patient, Checked checked) {
    ObjectNode root = JSON.createObjectNode();
    root.put("hook", request.hook());
    root.put("patient", patient);
    root.put("fhirServer", request.fhirServer());
    if (checked.drafts() != null) {
      ArrayNode orders = root.putArray("draftOrders");
      for (DraftOrder d : checked.drafts().all()) {
        ObjectNode o =
            orders
                .addObject()
                .put("reference", d.reference())
                .put("description", d.description())
                .put("checked", checked.drafts().considered().contains(d));
        ArrayNode recognised = o.putArray("recognised");
        d.ingredients()
            .forEach(
                i ->
                    recognised
                        .addObject()
                        .put("ingredient", i.name())
                        .put("class", i.drugClass().id()));
      }
      ArrayNode tests = root.putArray("orderedTests");
      checked.drafts().orderedTests().forEach(t -> tests.add(JSON.valueToTree(t.loincCodes())));
    }
    if (checked.data() == null) {
      root.putNull("data");
    } else {
      root.set("data", dataJson(checked.data()));
    }
    root.set("cards", JSON.valueToTree(checked.response().cards()));
    return root;
  }

  // ---- errors -------------------------------------------------------------------------------

  private static String explain(HookError e, String server) {
    String message = e.getMessage();
    if (message.contains("HTTP 401") || message.contains("HTTP 403")) {
      return "The FHIR server "
          + server
          + " refused access ("
          + (message.contains("HTTP 401") ? "401" : "403")
          + "): pass a valid --token with read scopes for this patient.";
    }
    if (message.contains("could not connect") || message.contains("did not answer")) {
      return "The FHIR server " + server + " could not be reached: " + message;
    }
    return "Could not evaluate the patient: " + message;
  }

  private static boolean isHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null;
    } catch (Exception e) {
      return false;
    }
  }

  /** The command prints its own report; log lines would interleave with it (and break --json). */
  private static Level silenceServiceLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
      Level previous = root.getLevel();
      root.setLevel(Level.OFF);
      return previous;
    }
    return null;
  }

  private static void restoreLogs(Level previous) {
    if (previous != null && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(previous);
    }
  }

  // ---- output -------------------------------------------------------------------------------

  private static void printText(
      String server, String patient, MineralBalanceService.Evaluation evaluation, PrintStream out) {
    out.println("mineral-cds check: patient " + patient + " on " + server);
    out.println();
    printData(evaluation.data(), out);
    out.println();
    printCards(evaluation.response().cards(), out);
  }

  /** What was read: results per analyte, medications, problems, and what could not be used. */
  private static void printData(PatientData data, PrintStream out) {
    PatientRecord record = data.record();
    LabHistory history = new LabHistory(record.labs());
    out.println("Data found");
    for (Analyte analyte : Analyte.values()) {
      List<LabResult> results = history.all(analyte);
      String latest =
          results.isEmpty()
              ? ""
              : "   latest "
                  + results.get(0).reportedValue()
                  + " "
                  + Optional.ofNullable(results.get(0).reportedUnit()).orElse("")
                  + " on "
                  + LocalDate.ofInstant(results.get(0).effective(), ZoneOffset.UTC);
      out.printf("  %-18s %3d result(s)%s%n", analyte.key(), results.size(), latest);
    }
    out.printf(
        "  %-18s %3d active: %s%n",
        "medications",
        record.medications().size(),
        record.medications().stream()
            .map(CheckCommand::describe)
            .collect(Collectors.joining("; ")));
    out.printf("  %-18s %3d active%n", "conditions", record.conditions().size());
    out.printf("  %-18s %3d%n", "pending lab orders", record.pendingOrders().size());
    MappingReport report = data.report();
    printCounts(out, "Unrecognized units (values ignored)", report.unknownUnits());
    printCounts(out, "Observations with no known LOINC code", report.unrecognisedCodes());
    printCounts(out, "Results not used", report.skipped());
    printCounts(out, "Medications with no recognized drug", report.unrecognisedMedications());
    printCounts(out, "Data that could not be read (evaluated without)", countsOf(data.failures()));
  }

  private static void printCards(List<Card> cards, PrintStream out) {
    out.println("Cards (" + cards.size() + ")" + (cards.isEmpty() ? ": nothing to flag." : ""));
    for (Card card : cards) {
      out.println("  [" + card.indicator().toUpperCase(Locale.ROOT) + "] " + card.summary());
      out.println(
          "      topic "
              + card.source().topic().code()
              + "   about the rule "
              + card.source().url());
      if (card.suggestions() != null) {
        for (Suggestion s : card.suggestions()) {
          out.println("      suggestion: " + s.label());
        }
      }
    }
  }

  private static Map<String, Integer> countsOf(Map<String, String> failures) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    failures.forEach((key, why) -> counts.put(key + ": " + why, 1));
    return counts;
  }

  private static void printCounts(PrintStream out, String title, Map<String, Integer> counts) {
    if (counts.isEmpty()) {
      return;
    }
    out.println(title);
    counts.forEach((what, n) -> out.printf("  %s (%d)%n", what, n));
  }

  private static String describe(MedicationExposure m) {
    List<String> names = new ArrayList<>();
    for (Ingredient i : m.ingredients()) {
      names.add(i.name() + " [" + i.drugClass().name() + "]");
    }
    // The start date drives the monitoring rules ("started 3 weeks ago", "taken for a year").
    String since =
        m.start() == null
            ? ", start not recorded"
            : (m.startAtLeast() ? ", since at least " : ", since ")
                + m.start().atZone(java.time.ZoneOffset.UTC).toLocalDate();
    return m.description()
        + (names.isEmpty() ? " (not recognized)" : " = " + String.join(", ", names))
        + since;
  }

  private static ObjectNode asJson(
      String server, String patient, MineralBalanceService.Evaluation evaluation) {
    ObjectNode root = JSON.createObjectNode();
    root.put("fhirServer", server);
    root.put("patient", patient);
    root.set("data", dataJson(evaluation.data()));
    root.set("cards", JSON.valueToTree(evaluation.response().cards()));
    return root;
  }

  private static ObjectNode dataJson(PatientData data) {
    LabHistory history = new LabHistory(data.record().labs());
    ObjectNode found = JSON.createObjectNode();
    ObjectNode analytes = found.putObject("analytes");
    for (Analyte analyte : Analyte.values()) {
      List<LabResult> results = history.all(analyte);
      ObjectNode a = analytes.putObject(analyte.key());
      a.put("results", results.size());
      if (!results.isEmpty()) {
        LabResult latest = results.get(0);
        a.putObject("latest")
            .put("value", latest.reportedValue())
            .put("unit", latest.reportedUnit())
            .put("date", LocalDate.ofInstant(latest.effective(), ZoneOffset.UTC).toString())
            .put("status", latest.status().name().toLowerCase(Locale.ROOT));
      }
    }
    ArrayNode meds = found.putArray("medications");
    for (MedicationExposure m : data.record().medications()) {
      ObjectNode med = meds.addObject().put("description", m.description());
      ArrayNode recognised = med.putArray("recognised");
      m.ingredients()
          .forEach(
              i ->
                  recognised
                      .addObject()
                      .put("ingredient", i.name())
                      .put("class", i.drugClass().id()));
    }
    found.put("conditions", data.record().conditions().size());
    found.put("pendingLabOrders", data.record().pendingOrders().size());
    found.set("unrecognisedUnits", JSON.valueToTree(data.report().unknownUnits()));
    found.set("unrecognisedCodes", JSON.valueToTree(data.report().unrecognisedCodes()));
    found.set("notUsed", JSON.valueToTree(data.report().skipped()));
    found.set("unrecognisedMedications", JSON.valueToTree(data.report().unrecognisedMedications()));
    found.set("unavailable", JSON.valueToTree(data.failures()));
    return found;
  }
}
