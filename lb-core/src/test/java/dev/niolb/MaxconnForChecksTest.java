package dev.niolb;

import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A derived maxconn leaves every server's checks their sockets, servers added at run time too. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MaxconnForChecksTest {
    @Test
    void serversAddedThroughTheApiLowerADerivedMaxconnByTheirChecksSockets() throws Exception {
        final HealthCheckConfig checked = HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
            .withInterval(Duration.ofSeconds(30));
        final LoadBalancer lb = LoadBalancer.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s0", new InetSocketAddress("127.0.11.1", 1000), 1)), checked)));
        try {
            final int before = lb.maxconn().max();
            for (int i = 1; i <= 200; i++) {
                lb.addServer("g", new ServerConfig("s" + i, new InetSocketAddress("127.0.11." + (i % 250 + 1),
                    2000 + i), 1));
            }

            // two descriptors a session: 200 check sockets more are 100 sessions fewer; a cap within 16 of the one
            // derived is kept (as over a reload), and a few descriptors come and go (log files, a check's socket)
            assertThat(lb.maxconn().max()).as("derived maxconn after 200 servers with a check each")
                .isBetween(before - 100 - 20, before - 100 + 20);
        } finally {
            lb.stop(Duration.ZERO);
        }
    }
}
