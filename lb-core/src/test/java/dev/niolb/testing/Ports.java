package dev.niolb.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free loopback port numbers for tests that must name a port before something binds it. */
public final class Ports {
    private Ports() {
    }

    /**
     * A port number free for both TCP and UDP on 127.0.0.1 right now (another process could still take it before
     * the caller binds it; tests accept that small race).
     */
    public static int freeForTcpAndUdp() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress("127.0.0.1", 0));
                final int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                    return port;
                } catch (final IOException taken) {
                    // UDP has this port in use: try another
                }
            }
        }
        throw new IOException("no port free for both TCP and UDP on 127.0.0.1");
    }
}
