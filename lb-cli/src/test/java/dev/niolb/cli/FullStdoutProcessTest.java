package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A command whose standard output cannot be written ({@code /dev/full}: a full disk under {@code > file}) says so
 * and fails, so that a script does not take a cut-off file for the answer (black-box testing, session 29: exit 0).
 */
class FullStdoutProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Runs what follows with its standard output on /dev/full. */
    private static final List<String> TO_DEV_FULL = List.of("sh", "-c", "exec \"$0\" \"$@\" >/dev/full");

    @Test
    void checkPrintingTheEffectiveConfigToAFullDiskSaysSoAndExitsOne(@TempDir final Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"),
            "listeners:\n  - bind: 127.0.0.1:0\n    group: g\ngroups:\n  - name: g\n    servers: [127.0.0.1:9]\n");
        try (NiolbProcess niolb = NiolbProcess.start(TO_DEV_FULL, "check", "--config", file.toString())) {
            assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly("niolb: cannot write to standard output: No space left on device");
        }
    }

    @Test
    void versionToAFullDiskSaysSoAndExitsOne() throws Exception {
        try (NiolbProcess niolb = NiolbProcess.start(TO_DEV_FULL, "version")) {
            assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly("niolb: cannot write to standard output: No space left on device");
        }
    }

    @Test
    void runsHelpToAFullDiskSaysSoAndExitsOneAsEveryCommandsDoes() throws Exception {
        // run and demo keep the JVM's stdout for their logs; their help is output like any other command's
        try (NiolbProcess niolb = NiolbProcess.start(TO_DEV_FULL, "run", "--help")) {
            assertThat(niolb.awaitExit(WAIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly("niolb: cannot write to standard output: No space left on device");
        }
    }
}
