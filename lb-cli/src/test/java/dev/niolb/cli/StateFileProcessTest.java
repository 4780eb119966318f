package dev.niolb.cli;

import dev.niolb.testing.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb run --config FILE --state-file PATH}, as a real process, stopped by SIGTERM and started again. */
@Timeout(90)
class StateFileProcessTest {
    private static final Duration START = Duration.ofSeconds(20);

    @Test
    void aServerPutInMaintenanceThroughTheAdminApiIsStillInMaintenanceAfterARestart(@TempDir final Path dir)
        throws Exception {
        final int admin = Ports.freeForTcpAndUdp();
        final Path config = dir.resolve("niolb.yaml");
        Files.writeString(config, """
            defaults:
              threads: 1
              grace: 1s
            admin:
              address: 127.0.0.1:%d
            listeners:
              - name: front
                bind: 127.0.0.1:0
                group: web
            groups:
              - name: web
                servers:
                  - 127.0.0.1:9,name=a
                  - 127.0.0.1:10,name=b
            """.formatted(admin));
        final Path states = dir.resolve("operator-states");
        final HttpClient http = HttpClient.newHttpClient();
        final URI server = URI.create("http://127.0.0.1:" + admin + "/api/groups/web/servers/a");

        try (NiolbProcess first = NiolbProcess.start("run", "--config", config.toString(), "--state-file",
            states.toString())) {
            first.awaitOut("admin API and stats page on", START);
            final HttpResponse<String> set = http.send(HttpRequest.newBuilder(server)
                .POST(HttpRequest.BodyPublishers.ofString("state=maint")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            first.signal("TERM");
            assertThat(first.awaitExit(START)).isZero();
        }
        assertThat(Files.readString(states)).contains("web a 127.0.0.1:9 1 maint 1");

        try (NiolbProcess second = NiolbProcess.start("run", "--config", config.toString(), "--state-file",
            states.toString())) {
            second.awaitOut("operator states from .*operator-states: web/a maint", START);
            second.awaitOut("admin API and stats page on", START);
            final String stats = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/api/stats"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(stats).containsPattern("\"name\":\"a\",[^}]*\"state\":\"maint\"");
        }
    }
}
