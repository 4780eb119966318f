package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb run --config FILE} as a real process. */
@Timeout(60)
class RunConfigProcessTest {
    private static final Duration EXIT = Duration.ofSeconds(20);

    @Test
    void runsWhatTheFileDescribesAndStopsOnSigterm(@TempDir final Path dir) throws Exception {
        try (EchoServer server = new EchoServer("from-file")) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), """
                defaults:
                  threads: 1
                  grace: 1s
                listeners:
                  - bind: 127.0.0.1:0
                groups:
                  - name: web
                    servers:
                      - %s
                """.formatted(RunProcessTest.hostPort(server)));
            try (NiolbProcess niolb = NiolbProcess.start("run", "--config", file.toString())) {
                final int port = niolb.awaitListeningPort();
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    assertThat(RunProcessTest.readLine(client)).isEqualTo("from-file");
                    client.getOutputStream().write("echo me\n".getBytes(StandardCharsets.UTF_8));
                    assertThat(RunProcessTest.readLine(client)).isEqualTo("echo me");
                }
                niolb.signal("TERM");
                assertThat(niolb.awaitExit(EXIT)).isZero();
            }
        }
    }

    @Test
    void anInvalidFileIsOneLineAndExitCode78ThatSystemdDoesNotRestartInto(@TempDir final Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), "listeners:\n  - bind: 127.0.0.1:0\n    wieght: 1\n");
        try (NiolbProcess niolb = NiolbProcess.start("run", "--config", file.toString())) {
            assertThat(niolb.awaitExit(EXIT)).as("EX_CONFIG").isEqualTo(78);
            assertThat(niolb.err()).containsExactly(
                "niolb: " + file + ":1: needs 'groups'");
        }
    }

    @Test
    void configWithAnotherFlagIsAUsageError() {
        final Cli result = Cli.run("run", "--config", "niolb.yaml", "--listen", "127.0.0.1:8080", "--threads", "2");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines()).containsExactly(
            "niolb: --config takes no other flag but --state-file, --control-socket and --takeover, got --listen, "
                + "--threads: set it in the file",
            "Try 'niolb run --help'.");
    }

    @Test
    void withoutConfigListenAndServerAreRequired() {
        final Cli result = Cli.run("run");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst()).isEqualTo(
            "niolb: Missing required options: '--listen=HOST:PORT', '--server=SERVER' (or --config FILE)");
    }
}
