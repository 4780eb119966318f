package dev.niolb.cli.takeover;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The state a takeover carries besides the sockets: asked for by the successor, told by the old niolb. */
@Timeout(60)
class TakeoverStateTest {
    @RegisterExtension
    final EngineRig rig = new EngineRig();

    /** niolb with one listener in front of group web, of {@code servers}. */
    private LoadBalancer web(final ServerConfig... servers) throws java.io.IOException {
        return rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web",
                TcpOptions.DEFAULTS),
            new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(servers))));
    }

    @Test
    void theSuccessorIsToldWhichServersTheOldNiolbHoldsDown(@TempDir final Path dir) throws Exception {
        final EchoServer echo = rig.track(new EchoServer("s"));
        final LoadBalancer lb = web(new ServerConfig("up", echo.address(), 1),
            new ServerConfig("down", new InetSocketAddress("127.0.0.1", 9), 1));
        lb.group("web").snapshot().server("down").health(false, "test");
        final TakeoverServer control = TakeoverServer.prepare(dir.resolve("ctl.sock"), lb, false, () -> { });
        control.activate();
        try (Takeover takeover = Takeover.ask(dir.resolve("ctl.sock"), ProcessHandle.current().pid())) {
            assertThat(takeover.state().servers()).singleElement().satisfies(s -> {
                assertThat(s.group()).isEqualTo("web");
                assertThat(s.name()).isEqualTo("down");
                assertThat(s.up()).isFalse();
            });
            for (final int fd : takeover.fds()) {
                ControlSocket.close(fd);
            }
        } finally {
            control.close();
        }
    }

    @Test
    void aNiolbThatDoesNotKnowTheQuestionEndsTheExchangeAndIsAskedAgainAsItExpects(@TempDir final Path dir)
        throws Exception {
        final Path path = dir.resolve("old.sock");
        final List<String> heard = Collections.synchronizedList(new ArrayList<>());
        try (ControlSocket listening = ControlSocket.listen(path)) {
            // an older niolb: after the sockets it expects "started", and ends the exchange on anything else
            final Thread old = Thread.ofVirtual().start(() -> {
                try {
                    for (int exchange = 0; exchange < 2; exchange++) {
                        try (ControlSocket c = listening.accept()) {
                            c.timeout(10_000);
                            heard.add(c.receive(256).text().strip());
                            c.send("fds 0\n", new int[0]);
                            final String next = c.receive(256).text().strip();
                            heard.add(next);
                            if (next.equals("started")) {
                                return;
                            }
                        }
                    }
                } catch (final java.io.IOException e) {
                    heard.add("failed: " + e);
                }
            });

            try (Takeover takeover = Takeover.ask(path, 4242)) {
                assertThat(takeover.state()).isEqualTo(dev.niolb.HandedOverState.NONE);
                takeover.started();
            }
            old.join(10_000);
        }
        assertThat(heard).containsExactly("takeover 4242", "state", "takeover 4242", "started");
    }

    @Test
    void aSuccessorThatFailsToStartTellsTheOldNiolbWhy(@TempDir final Path dir) throws Exception {
        final LoadBalancer lb = web(new ServerConfig("s0", rig.track(new EchoServer("s")).address(), 1));
        final TakeoverServer control = TakeoverServer.prepare(dir.resolve("ctl.sock"), lb, false, () -> { });
        control.activate();
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.run")) {
            final Takeover takeover = Takeover.ask(dir.resolve("ctl.sock"), 7);
            for (final int fd : takeover.fds()) {
                ControlSocket.close(fd);
            }
            takeover.failed("cannot listen on 127.0.0.1:24001: address already in use");

            // it could say only "it went away" (black-box testing, session 34)
            dev.niolb.testing.Await.until(() -> log.messages().stream().anyMatch(m -> m.contains("did not start")),
                10_000);
            assertThat(log.messages()).filteredOn(m -> m.contains("did not start")).singleElement().asString()
                .contains("(it failed: 'cannot listen on 127.0.0.1:24001: address already in use')");
        } finally {
            control.close();
        }
    }

    @Test
    void whatASuccessorSaysInsteadOfStartedIsQuotedInTheLog(@TempDir final Path dir) throws Exception {
        final LoadBalancer lb = web(new ServerConfig("s0", rig.track(new EchoServer("s")).address(), 1));
        final TakeoverServer control = TakeoverServer.prepare(dir.resolve("ctl.sock"), lb, false, () -> { });
        control.activate();
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.run");
             ControlSocket successor = ControlSocket.connect(dir.resolve("ctl.sock"))) {
            successor.send("takeover 1\n", new int[0]);
            for (final int fd : successor.receive(256).fds()) {
                ControlSocket.close(fd);
            }
            successor.send("boom\n23:59:59.000 INFO  run - FAKE LINE\u001b[31m\n", new int[0]);

            dev.niolb.testing.Await.until(() -> log.messages().stream().anyMatch(m -> m.contains("did not start")),
                10_000);
            // it wrote the peer's text as it came: a forged line of its own in niolb's log (session 34)
            assertThat(log.messages()).filteredOn(m -> m.contains("did not start")).singleElement().asString()
                .contains("it said 'boom\\n23:59:59.000 INFO  run - FAKE LINE\\x1b[31m'").doesNotContain("\n");
        } finally {
            control.close();
        }
    }
}
