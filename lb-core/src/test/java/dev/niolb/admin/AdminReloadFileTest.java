package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.LoadBalancer;
import dev.niolb.config.file.ConfigFile;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /reload} with a real config file, as {@code niolb run --config} sets it up: the engine started from
 * the file, the file changed on disk, then the call.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdminReloadFileTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final EngineRig rig = new EngineRig();
    private LoadBalancer lb;
    private Http http;
    private Path file;

    private EchoServer server(final String name) throws IOException {
        final EchoServer s = new EchoServer(name);
        rig.track(s);
        return s;
    }

    /**
     * The config file: listener and admin API on ephemeral loopback ports, one loop (so round robin alternates
     * exactly), over the given servers.
     */
    private static String yaml(final EchoServer... servers) {
        final StringBuilder out = new StringBuilder("""
            listeners:
              - name: front
                bind: 127.0.0.1:0
            admin:
              address: 127.0.0.1:0
            defaults:
              threads: 1
            groups:
              - name: g
                servers:
            """);
        for (int i = 0; i < servers.length; i++) {
            out.append("      - name: s").append(i).append("\n        address: 127.0.0.1:")
                .append(servers[i].address().getPort()).append('\n');
        }
        return out.toString();
    }

    private void startFrom(final String yaml) throws IOException {
        file = Files.writeString(dir.resolve("niolb.yaml"), yaml, StandardCharsets.UTF_8);
        final ConfigFile source = new ConfigFile(file);
        lb = rig.start(source.load());
        lb.configSource(source); // what niolb run --config does
        http = new Http(lb.adminAddress());
    }

    private List<String> picks(final int n) throws IOException {
        final List<String> picks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.connect(lb.localAddress("front"), 2000);
                s.setSoTimeout(5000);
                picks.add(AdminRig.greeting(s));
            }
        }
        return picks;
    }

    @Test
    void aServerAddedToTheFileOnDiskTakesTrafficAfterPostReload() throws Exception {
        final EchoServer s0 = server("s0");
        final EchoServer s1 = server("s1");
        startFrom(yaml(s0));
        assertThat(picks(4)).containsOnly("s0");

        Files.writeString(file, yaml(s0, s1), StandardCharsets.UTF_8);
        final HttpResponse<String> reloaded = http.post("/reload", "");

        assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
        final JsonNode body = AdminRig.JSON.readTree(reloaded.body());
        assertThat(body.get("source").asText()).isEqualTo(file.toString());
        assertThat(body.get("summary").asText()).contains("+server s1");
        assertThat(picks(4)).containsExactlyInAnyOrder("s0", "s0", "s1", "s1");
        assertThat(lb.config().groups().getFirst().servers()).hasSize(2);
    }

    @Test
    void aBrokenFileOnDiskIsRefusedWith422AndTheRunningConfigStays() throws Exception {
        final EchoServer s0 = server("s0");
        final EchoServer s1 = server("s1");
        startFrom(yaml(s0, s1));
        final var running = lb.config();

        Files.writeString(file, yaml(s0, s1).replace("bind: 127.0.0.1:0", "bind: 127.0.0.1:http-ish"),
            StandardCharsets.UTF_8);
        final HttpResponse<String> refused = http.post("/reload", "");

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
        final String error = AdminRig.JSON.readTree(refused.body()).get("error").asText();
        assertThat(error).startsWith("reload refused: " + file + ":3: listeners[0].bind:")
            .endsWith("; the running config stays").doesNotContain("\n");
        assertThat(lb.config()).isSameAs(running);
        assertThat(picks(4)).containsExactlyInAnyOrder("s0", "s0", "s1", "s1");
    }
}
