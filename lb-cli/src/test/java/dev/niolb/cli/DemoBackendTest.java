package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class DemoBackendTest {

    @Test
    void aDemoBackendGreetsWithItsNameThenEchoes() throws Exception {
        try (DemoBackend backend = DemoBackend.start("backend-7");
             Socket socket = new Socket(backend.address().getAddress(), backend.address().getPort());
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8)) {
            assertThat(backend.address().getAddress().isLoopbackAddress()).isTrue();
            assertThat(in.readLine()).isEqualTo("hello from backend-7");
            out.println("ping");
            assertThat(in.readLine()).isEqualTo("ping");
        }
    }
}
