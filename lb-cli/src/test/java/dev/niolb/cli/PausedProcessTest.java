package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * niolb paused for longer than its idle timeout (SIGSTOP here; a VM paused, a long GC) while its clients go on
 * sending: what waits in the sockets is read before the idle timers judge, as nginx and HAProxy do.
 */
@Timeout(60)
class PausedProcessTest {
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void aSessionWhoseClientSentDuringAPauseLongerThanTheIdleTimeoutGoesOn(final String transport) throws Exception {
        try (EchoServer echo = new EchoServer("hi");
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--transport", transport, "--server", RunProcessTest.hostPort(echo), "--idle-timeout", "1s",
                 "--admin", "none");
             Socket client = new Socket(InetAddress.getLoopbackAddress(), niolb.awaitListeningPort())) {
            client.setSoTimeout(5_000);
            assertThat(RunProcessTest.readLine(client)).isEqualTo("hi");

            niolb.signal("STOP");
            try {
                // kill(1) returns once the stop is sent, not once every thread has stopped: a loop thread still
                // running then read the client's line before the pause (seen under load), and the test, meant to
                // send during a pause, sent before it
                awaitStopped(niolb.pid());
                client.getOutputStream().write("sent while paused\n".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(1_600); // the behaviour: a pause longer than the idle timeout (1 s)
            } finally {
                niolb.signal("CONT");
            }

            assertThat(RunProcessTest.readLine(client)).isEqualTo("sent while paused");
            final OutputStream out = client.getOutputStream();
            out.write("after\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RunProcessTest.readLine(client)).as("the session goes on").isEqualTo("after");
        }
    }

    /** Returns once every thread of {@code pid} is stopped (state T in /proc/PID/task/TID/stat). */
    private static void awaitStopped(final long pid) throws Exception {
        final java.nio.file.Path tasks = java.nio.file.Path.of("/proc/" + pid + "/task");
        dev.niolb.testing.Await.until(() -> {
            try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.list(tasks)) {
                return all.allMatch(t -> {
                    try {
                        final String stat = java.nio.file.Files.readString(t.resolve("stat"));
                        return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
                    } catch (final java.io.IOException gone) {
                        return true; // a thread that ended is no thread running
                    }
                });
            }
        }, 5_000);
    }
}
