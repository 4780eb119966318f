package dev.niolb.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {
    @Test
    void aUdpListenAddressIsAUsageErrorNotATcpListenerOnItsPort() {
        final Cli result = Cli.run("demo", "--listen", "udp://127.0.0.1:1", "--admin", "none");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst())
            .isEqualTo("niolb: --listen: the demo serves TCP only, got udp://127.0.0.1:1 (niolb run takes udp:// listeners)");
    }
}
