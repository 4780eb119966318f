package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb demo} end to end, on a free port rather than 8080. */
@Timeout(60)
class DemoProcessTest {

    @Test
    void demoGreetsFromEachBackendInTurnEchoesAndStopsOnCtrlC() throws Exception {
        try (NiolbProcess demo = NiolbProcess.start("demo", "--listen", "127.0.0.1:0")) {
            final int port = demo.awaitListeningPort();
            demo.awaitOut("nc 127\\.0\\.0\\.1 " + port, Duration.ofSeconds(10));

            final List<String> greetings = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    greetings.add(RunProcessTest.readLine(client));
                    client.getOutputStream().write("echo?\n".getBytes(StandardCharsets.UTF_8));
                    assertThat(RunProcessTest.readLine(client)).isEqualTo("echo?");
                }
            }
            assertThat(greetings).containsExactly(
                "hello from backend-1", "hello from backend-2", "hello from backend-3");
            demo.awaitOut("backend-3 served 127\\.0\\.0\\.1:\\d+", Duration.ofSeconds(10));

            demo.signal("INT");
            assertThat(demo.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(demo.out()).last().asString().endsWith(" - stopped");
        }
    }
}
