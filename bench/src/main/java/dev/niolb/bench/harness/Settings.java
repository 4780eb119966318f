package dev.niolb.bench.harness;

import dev.niolb.bench.harness.load.ThroughputClient.Direction;
import java.time.Duration;
import java.util.List;

/**
 * Every knob of one harness run, resolved from the command line and the profile.
 *
 * @param rate total intended requests per second of the fixed-rate {@code rr} variant
 * @param idle connections the {@code concurrency} scenario holds
 */
public record Settings(
    Duration warmup, Duration duration, int rounds, int proxyThreads,
    List<Direction> bulkDirections, int bulkConnections, int bulkBuffer,
    List<String> rrModes, int rrConnections, int size, double rate,
    int connrateClients, int idle, Duration hold, int udpFlows, int udpSize) {

    public Settings {
        bulkDirections = List.copyOf(bulkDirections);
        rrModes = List.copyOf(rrModes);
        if (rounds < 1 || proxyThreads < 1 || bulkConnections < 1 || rrConnections < 1 || size < 1
            || connrateClients < 1 || idle < 1 || udpFlows < 1 || udpSize < 8 || rate <= 0) {
            throw new IllegalArgumentException("counts must be positive (udp datagrams at least 8 bytes)");
        }
    }

    /** The {@code quick} profile: the standard comparison in well under five minutes. */
    public static Settings quick() {
        return new Settings(Duration.ofMillis(500), Duration.ofSeconds(2), 3, 1,
            List.of(Direction.UP, Direction.BOTH), 1, 128 * 1024,
            List.of("max", "fixed"), 1, 64, 5_000,
            2, 10_000, Duration.ofSeconds(2), 2, 64);
    }

    /** The {@code full} profile: longer windows and more rounds, for figures to publish (about 15 minutes). */
    public static Settings full() {
        return new Settings(Duration.ofSeconds(2), Duration.ofSeconds(8), 5, 1,
            List.of(Direction.UP, Direction.DOWN, Direction.BOTH), 1, 128 * 1024,
            List.of("max", "fixed"), 1, 64, 5_000,
            2, 10_000, Duration.ofSeconds(5), 2, 64);
    }
}
