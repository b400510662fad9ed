package org.mineralcds.realserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates a Synthea population in a JVM of its own (Synthea brings an older HAPI FHIR than the
 * server's), FHIR R4 transaction bundles only, and keeps it: a directory holding the file {@code
 * complete} is reused as it is.
 */
final class Synthea {

  private Synthea() {}

  /** What to generate, and where. {@code classpath == null}: an existing output directory. */
  record Population(
      Path directory,
      long seed,
      int size,
      String ages,
      int years,
      String referenceDate,
      Path classpath) {

    static Population existing(Path directory) {
      return new Population(directory, 0, 0, null, 0, null, null);
    }
  }

  /** The directory holding the population's FHIR bundles, generated first if needed. */
  static Path ensurePopulation(Population population) throws IOException, InterruptedException {
    Path fhir = population.directory().resolve("fhir");
    if (population.classpath() == null) {
      if (!Files.isDirectory(fhir)) {
        throw new IllegalArgumentException("no fhir/ directory in " + population.directory());
      }
      return fhir;
    }
    Path complete = population.directory().resolve("complete");
    if (Files.exists(complete)) {
      System.out.println("real-server: population cached in " + population.directory());
      return fhir;
    }
    RealServer.deleteTree(population.directory());
    Files.createDirectories(population.directory());
    String classpath = Files.readString(population.classpath(), StandardCharsets.UTF_8).trim();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx2g");
    command.add("-cp");
    command.add(classpath);
    command.add("App");
    command.addAll(
        List.of(
            "-s",
            Long.toString(population.seed()),
            "-cs",
            Long.toString(population.seed()),
            "-p",
            Integer.toString(population.size()),
            "-a",
            population.ages(),
            "-r",
            population.referenceDate(),
            "--exporter.baseDirectory=" + population.directory().toAbsolutePath() + "/",
            "--exporter.years_of_history=" + population.years(),
            "--exporter.fhir.export=true",
            "--exporter.fhir.transaction_bundle=true",
            "--exporter.hospital.fhir.export=true",
            "--exporter.practitioner.fhir.export=true",
            "--exporter.fhir_stu3.export=false",
            "--exporter.fhir_dstu2.export=false",
            "--exporter.ccda.export=false",
            "--exporter.csv.export=false",
            "--exporter.text.export=false",
            "--exporter.json.export=false",
            "--exporter.cpcds.export=false",
            "--exporter.bfd.export=false",
            "--exporter.cdw.export=false",
            "--exporter.symptoms.csv.export=false",
            "--exporter.metadata.export=false",
            "--exporter.groups.fhir.export=false",
            "--generate.only_alive_patients=true",
            "Massachusetts"));
    long started = System.nanoTime();
    Path log = population.directory().resolve("synthea.log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    int status = process.waitFor();
    if (status != 0) {
      throw new IllegalStateException("Synthea failed (exit " + status + "), see " + log);
    }
    long bundles;
    try (var files = Files.list(fhir)) {
      bundles = files.count();
    }
    System.out.printf(
        "real-server: Synthea generated %d patients (seed %d, ages %s, %d years) in %.1f s%n",
        bundles - 2,
        population.seed(),
        population.ages(),
        population.years(),
        (System.nanoTime() - started) / 1e9);
    Files.writeString(complete, population + System.lineSeparator());
    return fhir;
  }
}
