package dev.niolb;

import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.transport.LocalAddresses;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** A start knows the host: a server at a wildcard listener's port on any of its addresses is niolb itself. */
class OwnListenerPreflightTest {
    private static Config wildcardBefore(final InetSocketAddress server) {
        return Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig(new InetSocketAddress("0.0.0.0", 18443), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig(server, 1))));
    }

    @Test
    void aServerAtAWildcardListenersPortOnAnotherAddressOfThisHostIsRefusedAtStart() {
        final InetAddress own = LocalAddresses.ofInterfaces().stream()
            .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
            .findFirst().orElse(null);
        assumeThat(own).as("an IPv4 address of this host other than loopback").isNotNull();
        final Config config = wildcardBefore(new InetSocketAddress(own, 18443)); // the file's check lets it by

        assertThatThrownBy(() -> LoadBalancer.preflight(config)).isInstanceOf(IOException.class)
            .hasMessageContaining("niolb would relay to itself");
    }

    @Test
    void anIpv6LoopbackServerIsNoneOfAnIpv4WildcardListenersButIsOneOfADualStackOnes() {
        final InetSocketAddress v6Loopback = new InetSocketAddress("::1", 18443);
        assertThatCode(() -> LoadBalancer.preflight(wildcardBefore(v6Loopback))).as("0.0.0.0 binds IPv4 only")
            .doesNotThrowAnyException();
        assertThatThrownBy(() -> LoadBalancer.preflight(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig(new InetSocketAddress("::", 18443), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig(v6Loopback, 1))))))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("niolb would relay to itself");
    }

    @Test
    void aServerOnAnotherHostAtThatPortIsNoneOfNiolbs() {
        assertThatCode(() -> LoadBalancer.preflight(wildcardBefore(new InetSocketAddress("198.51.100.9", 18443))))
            .doesNotThrowAnyException();
    }
}
