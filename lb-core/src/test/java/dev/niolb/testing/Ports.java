package dev.niolb.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/** Free loopback port numbers for tests that must name a port before something binds it. */
public final class Ports {
    /**
     * Below the kernel's ephemeral range (32768–60999 here): a port named now and bound later, or bound again after
     * a restart, is never the one the kernel hands another socket of this machine for an outgoing connection or a
     * bind to port 0 meanwhile (the other test JVM makes thousands). Above the ports services and tools use.
     */
    static final int FIRST = 20_000;
    static final int LAST = 32_767;

    /** The sockets that hold the unreachable UDP addresses' ports, for the life of the test JVM. */
    private static final List<DatagramSocket> UNREACHABLE = new CopyOnWriteArrayList<>();

    private Ports() {
    }

    /**
     * A loopback UDP address where a datagram draws ICMP port unreachable: a "dead" UDP server. Its port stays held,
     * by a socket connected to the discard port: the kernel hands such a socket only its peer's datagrams and answers
     * any other sender unreachable. A port merely freed is soon bound again by a test server bound to port 0 (the
     * other test JVM binds hundreds), and the "dead" server answered.
     */
    public static InetSocketAddress unreachableUdp() throws IOException {
        final DatagramSocket holder = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        holder.connect(new InetSocketAddress("127.0.0.1", 9));
        UNREACHABLE.add(holder);
        return (InetSocketAddress) holder.getLocalSocketAddress();
    }

    /**
     * A port number free for both TCP and UDP on 127.0.0.1 right now, picked at random below the ephemeral range
     * (another test could still take it before the caller binds it; with the range this wide tests accept that).
     */
    public static int freeForTcpAndUdp() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            final int port = ThreadLocalRandom.current().nextInt(FIRST, LAST + 1);
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress("127.0.0.1", port));
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                    return port;
                }
            } catch (final IOException taken) {
                // TCP or UDP has this port in use: try another
            }
        }
        throw new IOException("no port free for both TCP and UDP on 127.0.0.1 in " + FIRST + "-" + LAST);
    }
}
