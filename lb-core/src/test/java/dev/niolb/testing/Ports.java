package dev.niolb.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    /** Where the test JVMs of this machine claim their ports: one file per port, locked by the JVM that has it. */
    private static final Path CLAIMS = Path.of(System.getProperty("java.io.tmpdir"), "niolb-test-ports");
    /** This JVM's claims, held for its life (the kernel releases them when it exits). */
    private static final List<FileLock> CLAIMED = new CopyOnWriteArrayList<>();

    private Ports() {
    }

    /**
     * Claims {@code port} for this JVM: false when another test JVM has it, or this one gave it out before. A free
     * port alone was not enough: niolb binds its listeners with {@code SO_REUSEPORT}, so two test JVMs (the
     * surefire forks, or a CI clone's run beside a developer's) that picked the same free port both bound it, in one
     * group, and a test that then bound the port itself after its niolb let go found it still in use
     * (ReloadTest.beforeATakeoverTheFlowsOfARemovedUdpListenerEnd…, twice in session 32).
     */
    private static boolean claim(final int port) {
        try {
            Files.createDirectories(CLAIMS);
            final FileChannel file = FileChannel.open(CLAIMS.resolve(Integer.toString(port)), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
            final FileLock lock;
            try {
                lock = file.tryLock();
            } catch (final OverlappingFileLockException mine) {
                file.close();
                return false; // given out by this JVM already
            }
            if (lock == null) {
                file.close();
                return false; // another JVM's
            }
            CLAIMED.add(lock);
            return true;
        } catch (final IOException e) {
            return true; // no claims can be made here (a read-only temporary directory): the port as before
        }
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
     * A port number free for both TCP and UDP on 127.0.0.1 right now, picked at random below the ephemeral range,
     * and never handed to another test JVM while this one lives ({@link #claim}). Another test could still take it
     * before the caller binds it; with the range this wide tests accept that.
     */
    public static int freeForTcpAndUdp() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            final int port = ThreadLocalRandom.current().nextInt(FIRST, LAST + 1);
            if (!claim(port)) {
                continue;
            }
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
