package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IgnoredWeightsTest {
    private static TargetGroupConfig group(final Algorithm balance, final Duration slowStart, final int... weights) {
        final List<ServerConfig> servers = new java.util.ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            servers.add(new ServerConfig("w" + (i + 1), new InetSocketAddress("127.0.0.1", 9000 + i), weights[i]));
        }
        return new TargetGroupConfig("web", balance, servers,
            HealthCheckConfig.DEFAULTS.withSlowStart(slowStart), 0);
    }

    @Test
    void roundrobinOverUnequalWeightsIsSaidToIgnoreThemAndNamesHaproxysEquivalent() {
        assertThat(IgnoredWeights.of(group(Algorithm.ROUNDROBIN, Duration.ZERO, 5, 1))).isEqualTo("group web: balance "
            + "roundrobin ignores the weights of its servers (w1 5, w2 1); balance weighted is HAProxy's roundrobin");
    }

    @Test
    void roundrobinWithSlowStartIsSaidToIgnoreItEvenOverEqualWeights() {
        assertThat(IgnoredWeights.of(group(Algorithm.ROUNDROBIN, Duration.ofSeconds(30), 1, 1)))
            .contains("ignores slowstart, which acts through the weights");
    }

    @Test
    void equalWeightsOrABalanceThatUsesThemSayNothing() {
        assertThat(IgnoredWeights.of(group(Algorithm.ROUNDROBIN, Duration.ZERO, 3, 3, 0))).as("0 takes none: used")
            .isNull();
        assertThat(IgnoredWeights.of(group(Algorithm.WEIGHTED, Duration.ofSeconds(30), 5, 1))).isNull();
        assertThat(IgnoredWeights.ofWeightChange(Algorithm.LEASTCONN)).isNull();
        assertThat(IgnoredWeights.ofWeightChange(Algorithm.ROUNDROBIN)).startsWith("balance roundrobin ignores weights");
    }
}
