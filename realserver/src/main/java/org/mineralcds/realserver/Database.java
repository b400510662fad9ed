package org.mineralcds.realserver;

import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect;
import java.nio.file.Path;

/** Where the JPA server keeps its data: an H2 file (or memory) database, or PostgreSQL. */
public record Database(
    String url, String user, String password, String dialect, int maxConnections) {

  /** An H2 database in files {@code directory/fhir.*}, created when absent. */
  public static Database h2File(Path directory) {
    String file = directory.toAbsolutePath().resolve("fhir").toString();
    // A larger page cache than H2's default (the loaded database is several hundred MB).
    return new Database(
        "jdbc:h2:file:" + file + ";CACHE_SIZE=262144;DB_CLOSE_ON_EXIT=FALSE",
        "sa",
        "",
        HapiFhirH2Dialect.class.getName(),
        20);
  }

  /** An H2 database in memory, lost when the process ends. */
  public static Database h2Memory() {
    return new Database(
        "jdbc:h2:mem:fhir;DB_CLOSE_DELAY=-1;DB_CLOSE_ON_EXIT=FALSE",
        "sa",
        "",
        HapiFhirH2Dialect.class.getName(),
        20);
  }

  /** A PostgreSQL database (the schema is created by Hibernate on first start). */
  public static Database postgres(String url, String user, String password) {
    return new Database(url, user, password, HapiFhirPostgresDialect.class.getName(), 20);
  }

  boolean isH2() {
    return url.startsWith("jdbc:h2:");
  }
}
