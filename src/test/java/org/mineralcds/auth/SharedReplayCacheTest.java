package org.mineralcds.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mineralcds.auth.AuthTestSupport.CLOCK;
import static org.mineralcds.auth.AuthTestSupport.SERVICE_PATH;
import static org.mineralcds.auth.AuthTestSupport.VALID;
import static org.mineralcds.auth.AuthTestSupport.authFailures;
import static org.mineralcds.auth.AuthTestSupport.post;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mineralcds.MineralCds;
import org.mineralcds.config.MemorySettings;
import org.mineralcds.config.ServiceConfig;
import org.mineralcds.memory.TestDatabases;

/**
 * With a memory database the jti replay cache is the database's: a token used on one replica is
 * refused by another sharing the database and by a restarted one; with the database down, JWT calls
 * are refused with 503 (fail closed), not accepted unchecked.
 */
class SharedReplayCacheTest {

  @TempDir static Path keys;
  @TempDir Path tmp;
  private static ReplicaIssuer ehr;

  @BeforeAll
  static void keys() throws Exception {
    ehr = new ReplicaIssuer(keys);
  }

  static List<String> databases() {
    return TestDatabases.kinds();
  }

  private static ServiceConfig replica(MemorySettings memory) {
    return ehr.replica(memory);
  }

  private static String token() {
    return ehr.token(SERVICE_PATH);
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aTokenUsedOnOneReplicaIsRefusedByAnotherAndAfterARestart(String db) throws Exception {
    MemorySettings memory = TestDatabases.fresh(db, tmp);
    String token = token();
    try (MineralCds a = MineralCds.start(replica(memory), CLOCK);
        MineralCds b = MineralCds.start(replica(memory), CLOCK)) {
      HttpResponse<String> first = post(a.baseUrl() + SERVICE_PATH, token, VALID);
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

      double before = authFailures(b.baseUrl(), "replayed-jti");
      assertThat(post(b.baseUrl() + SERVICE_PATH, token, VALID).statusCode()).isEqualTo(401);
      assertThat(authFailures(b.baseUrl(), "replayed-jti")).isEqualTo(before + 1);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID).statusCode()).isEqualTo(401);
      // A fresh token is still accepted on either.
      assertThat(post(b.baseUrl() + SERVICE_PATH, token(), VALID).statusCode()).isEqualTo(200);
    }
    try (MineralCds restarted = MineralCds.start(replica(memory), CLOCK)) {
      assertThat(post(restarted.baseUrl() + SERVICE_PATH, token, VALID).statusCode())
          .isEqualTo(401);
      assertThat(authFailures(restarted.baseUrl(), "replayed-jti")).isEqualTo(1);
    }
  }

  @Test
  void withTheDatabaseDownJwtCallsAreRefusedWith503NotAcceptedUnchecked() throws Exception {
    MemorySettings down = MemorySettings.postgres("jdbc:postgresql://127.0.0.1:9/none", "u", "p");
    try (MineralCds app = MineralCds.start(replica(down), CLOCK)) {
      HttpResponse<String> r = post(app.baseUrl() + SERVICE_PATH, token(), VALID);
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
      assertThat(r.body()).contains("cannot verify tokens now").doesNotContain("Exception");
      assertThat(authFailures(app.baseUrl(), "replay-cache-unavailable")).isEqualTo(1);
      // A bad token is still a 401: the caller's mistake is reported as such.
      assertThat(post(app.baseUrl() + SERVICE_PATH, "Bearer x.y.z", VALID).statusCode())
          .isEqualTo(401);
    }
  }

  @Test
  void withoutAMemoryTheCacheIsPerProcess() throws Exception {
    String token = token();
    ServiceConfig noMemory = replica(MemorySettings.disabled());
    try (MineralCds a = MineralCds.start(noMemory, CLOCK)) {
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID).statusCode()).isEqualTo(200);
      assertThat(post(a.baseUrl() + SERVICE_PATH, token, VALID).statusCode()).isEqualTo(401);
    }
  }
}
