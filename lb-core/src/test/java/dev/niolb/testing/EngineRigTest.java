package dev.niolb.testing;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine rig: the transport it is given reaches the engine, and it leaves nothing running after a test. */
@EveryTransport
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EngineRigTest {
    private LoadBalancer leftRunning;

    /**
     * Registered before the rig, so JUnit runs it after the rig's own after-each (after-callbacks run in the reverse
     * order of registration): what the test left running must be stopped by then.
     */
    @RegisterExtension
    @Order(1)
    final AfterEachCallback leftRunningIsStopped = context -> {
        if (leftRunning != null) {
            assertThat(leftRunning.stopping()).as("the niolb the test left running is stopped").isTrue();
        }
    };

    @RegisterExtension
    @Order(2)
    final EngineRig rig;
    private final TestedTransport transport;
    private String run;

    /** The display name of this class's run for one transport, as reports show it. */
    @RegisterExtension
    @Order(3)
    final BeforeEachCallback runName = context -> run = context.getParent().orElseThrow().getDisplayName();

    EngineRigTest(final TestedTransport transport) {
        this.transport = transport;
        this.rig = new EngineRig(transport);
    }

    private static Config config(final InetSocketAddress server) {
        return Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server, 1))));
    }

    @Test
    void theEngineRunsOnTheTransportTheSuiteIsGivenAndTheRunIsNamedForIt() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        final LoadBalancer lb = rig.start(config(echo.address()).withTransport(Config.DEFAULT_TRANSPORT));
        assertThat(lb.config().transport()).isEqualTo(transport.choice());
        assertThat(lb.config().listeners().getFirst().tcp().splice()).isEqualTo(transport.splice());
        assertThat(rig.lb()).isSameAs(lb);
        assertThat(run).isEqualTo("[" + transport + "]");
        try (Socket s = new Socket()) {
            s.connect(rig.address("front"), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).isEqualTo('x');
        }
    }

    @Test
    void theEngineATestLeavesRunningIsStoppedAfterIt() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        leftRunning = rig.start(config(echo.address()));
        assertThat(leftRunning.stopping()).isFalse(); // the after-each above checks it is stopped after the test
    }

    /*
     * Stopped and closed are checked by the engine's and the resource's own state, not by connecting to their ports:
     * a port just freed may be handed to another process's listener on a shared machine at once.
     */
    @Test
    void tearDownStopsTheEngineThenClosesEveryTrackedResourceThoughOneCloseFails() throws Exception {
        final EngineRig own = new EngineRig(transport);
        final AtomicReference<LoadBalancer> engine = new AtomicReference<>();
        final AtomicReference<Boolean> stoppedWhenClosed = new AtomicReference<>();
        final EchoServer echo = own.track(new EchoServer());
        own.track(() -> stoppedWhenClosed.set(engine.get().stopping()));
        own.track(() -> {
            throw new IOException("this close fails");
        });
        engine.set(own.start(config(echo.address())));

        assertThatThrownBy(own::tearDown).isInstanceOf(IOException.class).hasMessage("this close fails");
        assertThat(stoppedWhenClosed.get()).as("closed, after the failed close, and after niolb stopped").isTrue();
        assertThat(engine.get().stopping()).isTrue();
    }

    @Test
    void askingForTheEngineBeforeStartingOneSaysSo() {
        assertThatThrownBy(rig::lb).isInstanceOf(IllegalStateException.class).hasMessageContaining("start(config)");
    }
}
