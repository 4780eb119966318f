package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.backend.OperatorStates;
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
import dev.niolb.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A change made through the admin API that the state file cannot keep says so in its answer. */
class UnsavedChangeTest {
    @RegisterExtension
    final EngineRig rig = new EngineRig();

    @Test
    void aChangeTheStateFileCannotKeepIsAnsweredWithAWarning(@TempDir final Path dir) throws Exception {
        final EchoServer echo = rig.track(new EchoServer("s"));
        final Config config = webWithAdmin(echo);
        final Path unwritable = dir.resolve("no-such-dir").resolve("states");
        final LoadBalancer lb = rig.start(config, OperatorStates.in(unwritable));

        final HttpResponse<String> answer = new Http(lb.adminAddress()).post("/api/groups/web/servers/s0",
            "state=drain");

        assertThat(answer.statusCode()).as("made").isEqualTo(200);
        assertThat(answer.body()).contains("\"warning\":\"cannot save to " + unwritable)
            .contains("this change will not outlive a restart");
        // and a removal, whose server's line the file keeps (session 34)
        assertThat(new Http(lb.adminAddress()).delete("/api/groups/web/servers/s0").body())
            .contains("what it holds for this server stays there for the next start");
    }

    @Test
    void aChangeTheStateFileKeepsHasNoWarning(@TempDir final Path dir) throws Exception {
        final EchoServer echo = rig.track(new EchoServer("s"));
        final LoadBalancer lb = rig.start(webWithAdmin(echo), OperatorStates.in(dir.resolve("states")));

        assertThat(new Http(lb.adminAddress()).post("/api/groups/web/servers/s0", "state=drain").body())
            .doesNotContain("warning");
    }

    @Test
    void aReadyThatItsChecksHoldDownIsAnsweredWithWhy() throws Exception {
        final EchoServer echo = rig.track(new EchoServer("s"));
        final LoadBalancer lb = rig.start(webWithAdmin(echo));
        lb.group("web").snapshot().server("s0").health(false, "test: checks fail");

        // answered DOWN with no reason; the reason was only in niolb's log (black-box testing, session 34)
        assertThat(new Http(lb.adminAddress()).post("/api/groups/web/servers/s0", "state=ready").body())
            .contains("\"state\":\"down\"").contains("\"warning\":\"its checks say DOWN");
    }

    /** One listener in front of group web, whose one server is {@code echo}, with the admin API. */
    private static Config webWithAdmin(final EchoServer echo) {
        return Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1))))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0)));
    }
}
