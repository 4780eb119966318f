package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.config.Algorithm;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /ready}: 200 while there is somewhere to send traffic, 503 when not or while stopping. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadinessTest {

    private static JsonNode ready(final HttpResponse<String> r, final int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        final JsonNode body = AdminRig.JSON.readTree(r.body());
        assertThat(body.get("ready").asBoolean()).isEqualTo(status == 200);
        return body;
    }

    @Test
    void readyIs200WithItsReasonsWhenListenersAreBoundAndEveryGroupHasAServerAndNeedsNoToken(
        @TempDir final Path dir) throws Exception {
        final Path token = dir.resolve("token");
        Files.writeString(token, "t0ken\n");
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, token)) {
            final JsonNode body = ready(rig.http.get("/ready"), 200);

            assertThat(body.get("reasons").toString())
                .contains("listener front: bound to 127.0.0.1:" + rig.lb.localAddress("front").getPort())
                .contains("group g: 2 of 2 servers take sessions");
        }
    }

    @Test
    void readyIs503NamingTheGroupWhenNoneOfItsServersTakesSessions() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            rig.lb.setState("g", "s0", ServerState.MAINT);
            rig.lb.setWeight("g", "s1", 0);

            final JsonNode body = ready(rig.http.get("/ready"), 503);
            assertThat(body.get("reasons")).hasSize(1);
            assertThat(body.get("reasons").get(0).asText())
                .isEqualTo("group g: no server takes sessions (s0 maint, s1 up weight 0)");

            rig.lb.setState("g", "s0", ServerState.UP);
            ready(rig.http.get("/ready"), 200);
        }
    }

    @Test
    void inAGroupInPanicReadyCountsOnlyTheUpServersAndSaysItIsInPanic() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            final dev.niolb.backend.TargetGroup g = rig.lb.group("g");
            g.health(g.health().withPanicThreshold(100));
            g.snapshot().server("s0").health(false, "test"); // 1 of 2 UP: under 100%

            final JsonNode body = ready(rig.http.get("/ready"), 200);
            assertThat(body.get("reasons").toString())
                .contains("group g: 1 of 2 servers take sessions (in panic: DOWN servers take sessions too)");

            g.snapshot().server("s1").health(false, "test");
            final JsonNode none = ready(rig.http.get("/ready"), 503);
            assertThat(none.get("reasons").get(0).asText()).isEqualTo(
                "group g: no server takes sessions (s0 down, s1 down); in panic, DOWN servers are tried");
        }
    }

    @Test
    void readyIs503OnceStoppingHasBegunWhileSessionsFinish() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final Socket session = rig.connect(); // keeps the stop in its grace period until it closes
            assertThat(AdminRig.greeting(session)).isEqualTo("s0");
            final Thread stop = Thread.ofPlatform().start(() -> rig.lb.stop(Duration.ofSeconds(30)));
            Await.until(rig.lb::stopping, 5_000);

            final JsonNode body = ready(rig.http.get("/ready"), 503);
            assertThat(body.get("reasons").get(0).asText()).startsWith("stopping");

            session.close();
            stop.join();
        }
    }

    @Test
    void readyIs503OnceWithdrawnForAShutdownDelayWhileNewClientsAreStillServed() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            rig.lb.withdraw();

            final JsonNode body = ready(rig.http.get("/ready"), 503);
            assertThat(body.get("reasons").get(0).asText()).startsWith("shutting down: new sessions are still accepted");
            try (Socket late = rig.connect()) {
                assertThat(AdminRig.greeting(late)).isEqualTo("s0");
            }
        }
    }
}
