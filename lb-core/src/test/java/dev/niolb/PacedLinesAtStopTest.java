package dev.niolb;

import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.Await;
import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A stop in the middle of a flood of warnings says the flood's count, which the tail a second later would have. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PacedLinesAtStopTest {
    @Test
    void aStopSaysTheConnectFailuresLeftOutOfTheLog() throws Exception {
        final int dead;
        try (ServerSocket probe = new ServerSocket(0)) {
            dead = probe.getLocalPort(); // closed once probed: connects to it are refused
        }
        final LoadBalancer lb = LoadBalancer.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS.withRetries(0)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("dead", new InetSocketAddress("127.0.0.1", dead), 1)),
                HealthCheckConfig.DEFAULTS.withMaxFails(0))));
        final int clients = 20;
        try (LogCapture log = LogCapture.of(dev.niolb.tcp.TcpListener.class.getName())) {
            for (int i = 0; i < clients; i++) {
                try (Socket s = new Socket()) {
                    s.connect(lb.localAddress("front"), 2000);
                    s.setSoTimeout(5000);
                    try {
                        assertThat(s.getInputStream().read()).isEqualTo(-1);
                    } catch (final IOException reset) {
                        // refused on: a reset is an end too
                    }
                }
            }
            Await.until(() -> lb.listener("front").counters().connectFailures() == clients, 5000);

            lb.stop(Duration.ZERO); // well within the second: no tail has come yet

            long said = 0;
            final Pattern counted = Pattern.compile("\\((\\d+) more failures since|: (\\d+) more connect failures?");
            for (final String m : log.messages()) {
                if (m.contains("connect to server dead")) {
                    said++;
                }
                final Matcher n = counted.matcher(m);
                if (n.find()) {
                    said += Long.parseLong(n.group(1) != null ? n.group(1) : n.group(2));
                }
            }
            assertThat(said).as("every failure logged or counted: %s", log.messages()).isEqualTo(clients);
        }
    }
}
