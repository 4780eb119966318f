package dev.niolb.bench.harness.soak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short soak: niolb (from this test's classpath) as a child process under 20 s of mixed load with servers
 * flapping every 4 s, reloads when niolb has them; it must come back to its start level and lose no byte.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SoakTest {
    @TempDir
    Path out;

    @Test
    void twentySecondsOfMixedLoadWithFlappingServersLeaveNiolbAsItStartedWithNoByteLost() throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> niolb = List.of(java, "-Xms64m", "-Xmx256m", "-XX:+UseZGC", "-XX:+UseCompactObjectHeaders",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), "dev.niolb.cli.Main");
        final Soak.Settings settings = new Soak.Settings(Duration.ofSeconds(20), Duration.ofSeconds(3),
            Duration.ofSeconds(3), 2, 12, Duration.ofSeconds(6), 20, 4, 40, Duration.ofSeconds(4),
            Duration.ofMillis(1500), Soak.ReloadMode.AUTO, niolb, out, SoakReport.Tolerances.DEFAULTS);
        final ByteArrayOutputStream console = new ByteArrayOutputStream();
        final SoakReport report = new Soak(settings, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
        System.out.println(console.toString(StandardCharsets.UTF_8));
        System.out.println(report.text());

        assertThat(report.failures()).isEmpty();
        assertThat(report.passed()).isTrue();
        assertThat(report.text()).contains("TCP bytes lost in healthy sessions: 0", "TCP bytes corrupt: 0")
            .containsPattern("server stops \\(flaps\\): [1-9]");
        assertThat(Files.readString(out.resolve("soak.md"))).isEqualTo(report.text());
    }
}
