package dev.niolb.bench.harness.soak;

import dev.niolb.config.Config;
import dev.niolb.config.Protocol;
import dev.niolb.config.file.ConfigFile;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class SoakNiolbTest {
    @Test
    void theConfigFileTheSoakWritesIsOneNiolbReadsWithTheSameSettingsAsTheFlags() throws Exception {
        final InetAddress host = InetAddress.getLoopbackAddress();
        try (SoakServers servers = SoakServers.open(2, host)) {
            final String yaml = SoakNiolb.yaml(new InetSocketAddress(host, 9001), new InetSocketAddress(host, 9002), 2,
                servers.all());
            final Config config = ConfigFile.parse(yaml, "soak.yaml");
            assertThat(config.threads()).isEqualTo(2);
            assertThat(config.listeners()).extracting(l -> l.protocol()).containsExactly(Protocol.TCP, Protocol.UDP);
            assertThat(config.listeners().get(0).tcp().connectTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(config.listeners().get(1).udp().idleTimeout()).isEqualTo(Duration.ofSeconds(2));
            assertThat(config.groups().getFirst().servers()).extracting(s -> s.name()).containsExactly("s0", "s1");
            assertThat(config.groups().getFirst().health().interval()).isEqualTo(Duration.ofMillis(500));
            assertThat(config.groups().getFirst().health().checks()).hasSize(1);
        }
    }
}
