package dev.niolb.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.niolb.bench.harness.target.Executables;
import dev.niolb.bench.harness.target.HaproxyConfig;
import dev.niolb.bench.harness.target.ManagedProcess;
import dev.niolb.bench.harness.target.Ports;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HAProxy's {@code strict-limits} (on by default) makes it refuse to start when it cannot raise its descriptor
 * limit to what its {@code maxconn} and {@code maxpipes} need. The harness sizes the open-file limit its proxies
 * inherit with {@link Harness#descriptorsNeeded}; here {@code haproxy-splice}'s generated config starts under
 * exactly that limit, for the default one bulk connection and for more than the minimum pipes cover.
 */
@Timeout(60)
class SpliceDescriptorBudgetTest {

    private static final int IDLE = 1000;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} bulk connection(s)")
    @ValueSource(ints = {1, 100})
    void haproxySpliceStartsWithinTheDescriptorsTheHarnessBudgetsForIt(final int bulkConnections) throws Exception {
        final Path haproxy = Executables.find("haproxy").orElse(null);
        assumeTrue(haproxy != null, "haproxy is not installed (apt-get install haproxy)");
        final Path prlimit = Executables.find("prlimit").orElse(null);
        assumeTrue(prlimit != null, "prlimit is not installed (util-linux)");
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final InetSocketAddress listen = Ports.freeTcp(loopback);
        final int pipes = Harness.splicePipes(bulkConnections);
        final long limit = Harness.descriptorsNeeded(IDLE, pipes);
        final Path config = Files.writeString(dir.resolve("haproxy-splice.cfg"), new HaproxyConfig(1, listen,
            new InetSocketAddress(loopback, 9), Harness.haproxyMaxconn(IDLE), pipes).render());
        try (ManagedProcess process = ManagedProcess.start("haproxy-splice", List.of(prlimit.toString(),
            "--nofile=" + limit + ":" + limit, haproxy.toString(), "-db", "-f", config.toString()),
            dir.resolve("haproxy-splice.log"))) {
            // throws, with HAProxy's "Cannot raise FD limit" alert, if it exits instead
            process.awaitListening(listen, Duration.ofSeconds(20));
            assertThat(process.alive()).isTrue();
        }
    }
}
