package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.UdpOptions;
import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A UDP listener on a wildcard address answers from the address a client wrote to only where the transport can
 * tell it (epoll); on nio the start says so, rather than leave replies from the wrong address unexplained.
 */
class WildcardUdpOnNioTest {
    private static Config config(final String bind, final TransportChoice transport) {
        return Config.single(1, Duration.ZERO,
            new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress(bind, 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", new InetSocketAddress("127.0.0.1", 9), 1)))).withTransport(transport);
    }

    private static List<String> startLogs(final Config config) throws Exception {
        try (LogCapture log = LogCapture.of(UdpListener.class.getName())) {
            LoadBalancer.start(config).stop(Duration.ZERO);
            return log.messages();
        }
    }

    @Test
    void aWildcardUdpListenerOnNioWarnsThatRepliesMayLeaveFromAnotherAddress() throws Exception {
        assertThat(startLogs(config("0.0.0.0", TransportChoice.NIO))).singleElement().asString()
            .startsWith("listener dns: a wildcard address on the nio transport, which cannot choose a reply's source");
    }

    @Test
    void onEpollOrAtASpecificAddressItSaysNothing() throws Exception {
        assertThat(startLogs(config("0.0.0.0", TransportChoice.EPOLL))).noneMatch(m -> m.contains("wildcard"));
        assertThat(startLogs(config("127.0.0.1", TransportChoice.NIO))).noneMatch(m -> m.contains("wildcard"));
    }
}
