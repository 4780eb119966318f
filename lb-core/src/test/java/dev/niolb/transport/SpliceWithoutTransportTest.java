package dev.niolb.transport;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.Splice;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code splice: always} on a transport that cannot splice starts, and says it relays through buffers. */
class SpliceWithoutTransportTest {
    private static Config config(final TransportChoice transport) {
        return Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS.withSplice(Splice.ALWAYS)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", new InetSocketAddress("127.0.0.1", 9), 1)))).withTransport(transport);
    }

    @Test
    void spliceAlwaysOnNioStartsAndWarnsOnceThatItRelaysThroughBuffers() throws Exception {
        try (LogCapture log = LogCapture.of(LoadBalancer.class.getName())) {
            final LoadBalancer lb = LoadBalancer.start(config(TransportChoice.NIO));
            lb.stop(Duration.ZERO);
            assertThat(log.messages()).containsOnlyOnce("listener front: splice always, but the nio transport cannot "
                + "splice: it relays through buffers (splice needs the epoll transport)");
        }
    }

    @Test
    void spliceAlwaysOnEpollSaysNothing() throws Exception {
        try (LogCapture log = LogCapture.of(LoadBalancer.class.getName())) {
            final LoadBalancer lb = LoadBalancer.start(config(TransportChoice.EPOLL));
            lb.stop(Duration.ZERO);
            assertThat(log.messages()).noneMatch(m -> m.contains("cannot splice"));
        }
    }
}
