package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two listeners that cannot both bind are refused by the config itself, so {@code niolb check} says so. */
class ConfigBindsTest {
    private static final TargetGroupConfig WEB = new TargetGroupConfig("web", Algorithm.ROUNDROBIN,
        List.of(new ServerConfig(new InetSocketAddress("10.0.0.1", 80), 1)));

    private static ListenerConfig listener(final String name, final Protocol protocol, final String host, final int port) {
        return new ListenerConfig(name, protocol, new InetSocketAddress(host, port), "web", TcpOptions.DEFAULTS);
    }

    private static Config config(final ListenerConfig... listeners) {
        return new Config(1, Duration.ZERO, List.of(listeners), List.of(WEB));
    }

    @Test
    void twoListenersOnOneAddressAndPortAreRefused() {
        assertThatThrownBy(() -> config(listener("a", Protocol.TCP, "127.0.0.1", 8080),
            listener("b", Protocol.TCP, "127.0.0.1", 8080)))
            .hasMessage("listeners 'a' and 'b' both bind tcp://127.0.0.1:8080");
    }

    @Test
    void aWildcardListenerClashesWithAnAddressOfItsFamilyOnTheSamePort() {
        assertThatThrownBy(() -> config(listener("any", Protocol.TCP, "0.0.0.0", 8080),
            listener("lo", Protocol.TCP, "127.0.0.1", 8080)))
            .hasMessage("listeners 'any' and 'lo' both bind tcp://0.0.0.0:8080 (127.0.0.1:8080)");
    }

    @Test
    void theIpv6WildcardIsDualStackAndClashesWithIpv4Too() {
        assertThatThrownBy(() -> config(listener("lo", Protocol.TCP, "127.0.0.1", 8080),
            listener("any6", Protocol.TCP, "::", 8080)))
            .hasMessageStartingWith("listeners 'lo' and 'any6' both bind");
    }

    @Test
    void theSamePortForTcpAndUdpOrOnTwoAddressesIsFine() {
        assertThat(config(listener("t", Protocol.TCP, "127.0.0.1", 53), listener("u", Protocol.UDP, "127.0.0.1", 53),
            listener("t2", Protocol.TCP, "127.0.0.2", 53)).listeners()).hasSize(3);
    }

    @Test
    void anyFreePortNeverClashes() {
        assertThat(config(listener("a", Protocol.TCP, "127.0.0.1", 0), listener("b", Protocol.TCP, "127.0.0.1", 0))
            .listeners()).hasSize(2);
    }
}
