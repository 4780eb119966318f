package dev.niolb.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.niolb.bench.harness.Variant.Scenario;
import dev.niolb.bench.harness.backend.Backend;
import dev.niolb.bench.harness.target.Target;
import dev.niolb.bench.harness.target.Target.Role;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The unmeasured run before round one: each scenario's own load, straight against the in-process backend. */
@Timeout(60)
class ScenarioRunnerWarmTest {

    private static final Duration SHORT = Duration.ofMillis(300);

    private static Backend backend;
    private static ScenarioRunner runner;

    @BeforeAll
    static void start() throws IOException {
        backend = Backend.start(InetAddress.getLoopbackAddress(), 0, 0, 1);
        runner = new ScenarioRunner(Settings.quick());
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static Variant variant(final Scenario scenario, final String mode) {
        return runner.variants(List.of(scenario)).stream().filter(v -> mode == null || v.mode().equals(mode))
            .findFirst().orElseThrow();
    }

    private static Target direct(final boolean udp) {
        return new Target("direct", Role.DIRECT, backend.tcpAddress(), udp ? backend.udpAddress() : null, 0,
            udp ? null : "no udp listener");
    }

    @Test
    void warmingEachWindowedVariantRunsItsOwnLoadAgainstTheTarget() {
        for (Variant variant : List.of(variant(Scenario.THROUGHPUT, "UP"), variant(Scenario.RR, "max"),
            variant(Scenario.RR, "fixed"), variant(Scenario.CONNRATE, null), variant(Scenario.UDP, null))) {
            assertThat(runner.warm(variant, direct(true), SHORT)).as(variant.id()).isPositive();
        }
    }

    @Test
    void warmingTheFixedRateVariantRunsAtMaxRateBeforeItsRate() {
        // at its rate alone, 5,000 req/s for 300 ms, it could complete 1,501 requests at most
        assertThat(runner.warm(variant(Scenario.RR, "fixed"), direct(true), SHORT)).isGreaterThan(1_600L);
    }

    @Test
    void theConcurrencyScenarioAndUdpWithoutAListenerHaveNothingToWarm() {
        assertThat(runner.warm(variant(Scenario.CONCURRENCY, null), direct(true), SHORT)).isZero();
        assertThat(runner.warm(variant(Scenario.UDP, null), direct(false), SHORT)).isZero();
    }
}
