package dev.niolb;

import dev.niolb.backend.OperatorStates;
import dev.niolb.backend.ServerState;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.Http;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --state-file}: what operators set through the admin API, kept across a restart. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class OperatorStatesRestartTest {
    @RegisterExtension
    final EngineRig rig;
    @TempDir
    Path dir;
    private final List<ServerConfig> servers = new ArrayList<>();

    OperatorStatesRestartTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void aServerPutInMaintAndAWeightSetThroughTheAdminApiStaySoAfterARestart() throws Exception {
        for (final String name : List.of("a", "b", "c")) {
            final EchoServer server = rig.track(new EchoServer(name));
            servers.add(new ServerConfig(name, server.address(), 1));
        }
        final OperatorStates states = OperatorStates.in(dir.resolve("operator-states"));
        final LoadBalancer before = rig.start(config(), states);
        final Http admin = new Http(before.adminAddress());
        assertThat(admin.post("/api/groups/g/servers/a", "state=maint").statusCode()).isEqualTo(200);
        assertThat(admin.post("/api/groups/g/servers/b", "weight=3").statusCode()).isEqualTo(200);
        before.stop(Duration.ZERO);

        final LoadBalancer after = rig.start(config(), states);

        assertThat(after.server("g", "a").operatorMode()).isEqualTo(ServerState.MAINT);
        assertThat(spread(after, 8)).as("a in MAINT takes none; b weighs 3 against c's 1")
            .isEqualTo(Map.of("b", 6, "c", 2));
    }

    private Config config() {
        return Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.WEIGHTED, servers))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0)));
    }

    private static Map<String, Integer> spread(final LoadBalancer lb, final int n) throws IOException {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.connect(lb.localAddress("front"), 2000);
                s.setSoTimeout(5000);
                final byte[] greeting = new byte[1];
                final StringBuilder line = new StringBuilder();
                while (s.getInputStream().read(greeting) == 1 && greeting[0] != '\n') {
                    line.append(new String(greeting, StandardCharsets.US_ASCII));
                }
                counts.merge(line.toString(), 1, Integer::sum);
            }
        }
        return counts;
    }
}
