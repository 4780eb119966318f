package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.reload.ReloadResult;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EchoedLines;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.HeaderEchoServer;
import dev.niolb.testing.TcpServers;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code defer-accept}: a listener that takes a connection only with the client's first bytes (epoll only). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeferAcceptTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @RegisterExtension
    final EngineRig epoll = new EngineRig(TestedTransport.EPOLL_SPLICE);

    @RegisterExtension
    final EngineRig nio = new EngineRig(TestedTransport.NIO);

    private static Config config(final InetSocketAddress server, final boolean deferAccept) {
        return Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, LOOPBACK, "g", TcpOptions.DEFAULTS.withDeferAccept(deferAccept)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server, 1))));
    }

    @Test
    void everySessionOfADeferringListenerStartsWithTheClientsBytes() throws Exception {
        final HeaderEchoServer server = epoll.track(new HeaderEchoServer());
        final LoadBalancer lb = epoll.start(config(server.address(), true));
        for (int i = 0; i < 20; i++) {
            try (Socket client = new Socket()) {
                client.connect(lb.localAddress("front"));
                client.getOutputStream().write(("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                final BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.US_ASCII));
                assertThat(in.readLine()).as("no PROXY header asked for").isEqualTo("no header");
                assertThat(in.readLine()).isEqualTo("hello " + i);
            }
        }
        assertThat(lb.listener("front").counters().accepted()).isEqualTo(20);
    }

    @Test
    void bytesReadAheadThatTheConnectCarriesAreRelayedOnceAndCountedOnce() throws Exception {
        final EchoServer server = epoll.track(new EchoServer());
        final LoadBalancer lb = epoll.start(config(server.address(), true));
        // defer-accept: every session is read ahead, and its bytes go with the loopback connect's own test
        final long sent = EchoedLines.exchange(lb.localAddress("front"), 20);
        EchoedLines.assertCountedOnce(lb, "front", sent);
    }

    @Test
    void aClientWhoseBytesNoServerTookIsResetNotEnded() throws Exception {
        final InetSocketAddress refusing = TcpServers.refusingAddress();
        final LoadBalancer lb = epoll.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, LOOPBACK, "g",
                TcpOptions.DEFAULTS.withDeferAccept(true).withRetries(0)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", refusing, 1)))));
        try (Socket client = new Socket()) {
            client.connect(lb.localAddress("front"));
            client.setSoTimeout(10_000);
            // with defer-accept niolb reads these before it connects: they are never in the kernel to cause a reset
            client.getOutputStream().write("lost\n".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> client.getInputStream().read()).as("an abort, not an end of stream")
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
        assertThat(lb.listener("front").counters().bytesIn()).as("no server got them").isZero();
    }

    @Test
    void nioRefusesToStartRatherThanListenWithoutIt() {
        assertThatThrownBy(() -> nio.start(config(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), true)))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("defer-accept needs the epoll transport (running nio)");
    }

    @Test
    void thePreflightOfNiolbCheckRefusesItOnNioWithTheMessageTheStartGives() {
        final Config onNio = nio.withTransport(config(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), true));
        assertThatThrownBy(() -> LoadBalancer.preflight(onNio)).isInstanceOf(IOException.class)
            .hasMessage("defer-accept needs the epoll transport (running nio)");
    }

    @Test
    void thePreflightLeavesItToTheMachineWhenTheTransportIsAuto() {
        final Config auto = config(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), true);
        assertThat(auto.transport()).isEqualTo(TransportChoice.AUTO);
        assertThatCode(() -> LoadBalancer.preflight(auto)).doesNotThrowAnyException();
    }

    @Test
    void aReloadThatTurnsItOnForAKeptListenerOnNioIsRefusedWholeAndTheRunningConfigStays() throws Exception {
        final HeaderEchoServer server = nio.track(new HeaderEchoServer());
        final LoadBalancer lb = nio.start(config(server.address(), false));
        final Config running = lb.config();
        final Config next = nio.withTransport(config(server.address(), true));

        // "needs a restart" would promise a restart that then refuses to start
        assertThatThrownBy(() -> lb.reload(next)).isInstanceOf(IOException.class)
            .hasMessage("listener front: defer-accept needs the epoll transport (running nio)");
        assertThat(lb.config()).isEqualTo(running);
    }

    @Test
    void aReloadThatTurnsItOnSaysItNeedsARestart() throws Exception {
        final HeaderEchoServer server = epoll.track(new HeaderEchoServer());
        final LoadBalancer lb = epoll.start(config(server.address(), false));
        final InetSocketAddress bound = lb.localAddress("front");
        final Config next = Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, LOOPBACK, "g", TcpOptions.DEFAULTS.withDeferAccept(true)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server.address(), 1))));

        final ReloadResult result = lb.reload(epoll.withTransport(next));

        assertThat(result.notApplied()).containsExactly("listener front: defer-accept false→true needs a restart");
        assertThat(lb.localAddress("front")).isEqualTo(bound);
        assertThat(lb.reload(epoll.withTransport(next)).notApplied()).as("the same file again: still not applied")
            .containsExactly("listener front: defer-accept false→true needs a restart");
        assertThat(lb.reload(epoll.withTransport(config(server.address(), false))).notApplied())
            .as("the file gives back what runs").isEmpty();
    }
}
