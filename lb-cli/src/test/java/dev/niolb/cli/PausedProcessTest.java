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
}
