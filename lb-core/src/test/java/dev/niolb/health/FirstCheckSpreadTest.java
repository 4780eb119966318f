package dev.niolb.health;

import dev.niolb.backend.TargetGroup;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** When the servers' first checks come: spread, so that a large fleet is not checked in one burst. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FirstCheckSpreadTest {
    @Test
    void threeThousandServersFirstChecksAreSpreadOverThreeSecondsNotOne() throws Exception {
        final int servers = 3000;
        // one socket on every loopback address: each server its own address, every check lands here
        try (ServerSocket listening = new ServerSocket(0, 4096, InetAddress.getByName("0.0.0.0"))) {
            final int port = listening.getLocalPort();
            final List<ServerConfig> configs = new ArrayList<>();
            for (int i = 0; i < servers; i++) {
                configs.add(new ServerConfig("s" + i,
                    new InetSocketAddress("127.1." + (i / 250) + "." + (i % 250 + 1), port), 1));
            }
            final HealthCheckConfig health = HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
                .withInterval(Duration.ofSeconds(30)).withTimeout(Duration.ofSeconds(5));
            final TargetGroup group = new TargetGroup(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, configs,
                health), 1);
            long first = 0;
            long last = 0;
            try (HealthChecker checker = HealthChecker.start(List.of(group))) {
                for (int i = 0; i < servers; i++) { // each server's first check, in the order they come
                    try (Socket check = listening.accept()) {
                        last = System.nanoTime();
                        if (i == 0) {
                            first = last;
                        }
                    }
                }
            }
            // FIRST_CHECKS_PER_SECOND (1000) spreads 3000 over 3 s, at random: first to last about 3 s (1 s before)
            assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).as("first check to last, ms")
                .isGreaterThan(2000);
        }
    }

    @Test
    void threeThousandServersAddedAtOnceHaveTheirFirstChecksSpreadToo() throws Exception {
        final int servers = 3000;
        try (ServerSocket listening = new ServerSocket(0, 4096, InetAddress.getByName("0.0.0.0"))) {
            final int port = listening.getLocalPort();
            final HealthCheckConfig health = HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
                .withInterval(Duration.ofSeconds(30)).withTimeout(Duration.ofSeconds(5));
            final TargetGroup group = new TargetGroup(new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("first", new InetSocketAddress("127.2.0.1", port), 1)), health), 1);
            long first = 0;
            long last = 0;
            int inFirstSecond = 0;
            try (HealthChecker checker = HealthChecker.start(List.of(group))) {
                listening.accept().close(); // the first server's first check
                final List<ServerConfig> added = new ArrayList<>();
                for (int i = 0; i < servers; i++) {
                    added.add(new ServerConfig("s" + i,
                        new InetSocketAddress("127.1." + (i / 250) + "." + (i % 250 + 1), port), 1));
                }
                group.reconcile(List.of(), added); // a reload's: one new snapshot, the servers started one by one
                for (int i = 0; i < servers; i++) {
                    try (Socket check = listening.accept()) {
                        last = System.nanoTime();
                        if (i == 0) {
                            first = last;
                        }
                        if (last - first <= TimeUnit.SECONDS.toNanos(1)) {
                            inFirstSecond++;
                        }
                    }
                }
            }
            // spread over 3 s, about a third in the first; counted as they started, the first servers had a
            // second each, and two thirds came in it (1,967 of 3,000: black-box testing, session 34)
            assertThat(inFirstSecond).as("first checks in the first second").isLessThan(servers / 2);
        }
    }
}
