package dev.niolb.cli;

import dev.niolb.config.Endpoint;
import dev.niolb.testing.HeaderEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb run} with the PROXY protocol flags, as a child process: the flags reach the engine. */
@Timeout(60)
class RunProxyProcessTest {

    @Test
    void aTrustedProxysClientReachesASendProxyServerAndAnUntrustedPeerIsServedDirectly() throws Exception {
        try (HeaderEchoServer server = new HeaderEchoServer();
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:0", "--threads", "1",
                 "--server", Endpoint.hostPort(server.address()) + ",send-proxy-v2",
                 "--accept-proxy-from", "127.0.0.2/32", "--proxy-header-timeout", "2s")) {
            final int port = niolb.awaitListeningPort();
            final InetSocketAddress front = new InetSocketAddress("127.0.0.1", port);
            try (Socket proxy = connectFrom("127.0.0.2", front)) {
                proxy.getOutputStream().write("PROXY TCP4 203.0.113.5 127.0.0.1 4444 80\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
                assertThat(readLine(proxy)).isEqualTo("proxied 203.0.113.5:4444 127.0.0.1:80 v2");
            }
            try (Socket direct = connectFrom("127.0.0.3", front)) {
                assertThat(readLine(direct)).isEqualTo(HeaderEchoServer.line(
                    (InetSocketAddress) direct.getLocalSocketAddress(), front, 2));
            }
        }
    }

    private static Socket connectFrom(final String ip, final InetSocketAddress target) throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(ip, 0));
        s.connect(target, 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static String readLine(final Socket s) throws IOException {
        final InputStream in = s.getInputStream();
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }
}
