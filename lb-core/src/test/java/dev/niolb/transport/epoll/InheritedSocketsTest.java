package dev.niolb.transport.epoll;

import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.ListeningSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Sockets handed over at start (what systemd's {@code LISTEN_FDS} passes after a restart): made here as another
 * process would have, then adopted by the transport's listeners.
 */
@Timeout(30)
class InheritedSocketsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void epollRunsHere() {
        assumeThat(EpollTransport.isAvailable()).as("%s", EpollTransport.unavailableReason()).isTrue();
    }

    @AfterEach
    void close() throws Exception {
        EpollTransport.instance().inherited().closeUnclaimed();
        for (final AutoCloseable c : open) {
            c.close();
        }
    }

    /** A listening socket as the previous process made it: SO_REUSEPORT, bound, listening; its bare descriptor. */
    private static int previousProcessListening() throws IOException {
        final int fd = EpollFd.open(Libc.AF_INET, Libc.SOCK_STREAM);
        final EpollListeningSocket s = new EpollListeningSocket(fd, Libc.AF_INET);
        s.setInt(Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        s.setInt(Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1);
        s.bind(LOOPBACK);
        s.listen(16, false);
        return fd;
    }

    private static InetSocketAddress boundOf(final int fd) throws IOException {
        return new EpollDatagramSocket(fd, Libc.AF_INET).boundAddress();
    }

    @Test
    void aListenerTakesTheHandedOverSocketAndAcceptsTheClientThatWaitedInItsBacklog() throws Exception {
        final int fd = previousProcessListening();
        final InetSocketAddress address = boundOf(fd);
        final Socket waited = new Socket(address.getAddress(), address.getPort()); // connected during the restart
        open.add(waited);
        EpollTransport.instance().inherited().adopt(new int[] {fd});

        final List<ListeningSocket> sockets = EpollTransport.instance().listen(address, 16, 2);
        sockets.forEach(s -> open.add(s::close));

        assertThat(sockets.getFirst().descriptor()).as("the handed-over socket itself").isEqualTo(fd);
        assertThat(sockets.get(1).descriptor()).as("one more for the second loop, in its SO_REUSEPORT group")
            .isNotEqualTo(fd);
        assertThat(sockets.get(1).localAddress()).isEqualTo(address);
        ListeningSocket.Accepted accepted = null;
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (accepted == null && System.nanoTime() < deadline) {
            accepted = sockets.getFirst().accept();
        }
        assertThat(accepted).as("the waiting client, accepted by the new listener").isNotNull();
        assertThat(accepted.peer().getPort()).isEqualTo(waited.getLocalPort());
        accepted.socket().close(false);
    }

    @Test
    void aHandedOverSocketWithoutReusePortIsTheOnlySocketEveryLoopWatchesEachThroughADescriptorOfItsOwn()
        throws Exception {
        final int fd = EpollFd.open(Libc.AF_INET, Libc.SOCK_STREAM);
        final EpollListeningSocket plain = new EpollListeningSocket(fd, Libc.AF_INET);
        plain.bind(LOOPBACK); // as systemd-socket-activate, or a socket unit without ReusePort=yes
        plain.listen(16, false);
        final InetSocketAddress address = boundOf(fd);
        EpollTransport.instance().inherited().adopt(new int[] {fd});

        final List<ListeningSocket> sockets = EpollTransport.instance().listen(address, 16, 2);
        sockets.forEach(s -> open.add(s::close));

        assertThat(sockets).as("no second socket can join it: not 'address already in use'").hasSize(2);
        assertThat(sockets.getFirst().descriptor()).isEqualTo(fd);
        // a descriptor is in one epoll set at a time: the second loop watches a copy of it, the same socket
        assertThat(sockets.get(1).descriptor()).isNotEqualTo(fd);
        final Socket client = new Socket(address.getAddress(), address.getPort());
        open.add(client);
        ListeningSocket.Accepted accepted = null;
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (accepted == null && System.nanoTime() < deadline) {
            accepted = sockets.get(1).accept();
        }
        assertThat(accepted).as("the client, accepted through the copy").isNotNull();
        assertThat(accepted.peer().getPort()).isEqualTo(client.getLocalPort());
        accepted.socket().close(false);
    }

    @Test
    void aUdpSocketIsTakenByTheUdpListenerOfItsAddressOnly() throws Exception {
        final int fd = EpollFd.open(Libc.AF_INET, Libc.SOCK_DGRAM);
        final EpollDatagramSocket previous = new EpollDatagramSocket(fd, Libc.AF_INET);
        previous.setInt(Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1);
        previous.bind(LOOPBACK);
        final InetSocketAddress address = previous.boundAddress();
        EpollTransport.instance().inherited().adopt(new int[] {fd});

        assertThat(EpollTransport.instance().inherited().take(Libc.SOCK_STREAM, address, 1)).as("not TCP").isEmpty();
        final List<DatagramSocket> sockets = EpollTransport.instance().bindDatagram(address, 1);
        sockets.forEach(s -> open.add(s::close));

        assertThat(sockets.getFirst().descriptor()).isEqualTo(fd);
    }

    @Test
    void aTcpSocketThatDoesNotListenIsRefusedAndClosed() throws Exception {
        final int fd = EpollFd.open(Libc.AF_INET, Libc.SOCK_STREAM);
        final InheritedSockets inherited = new InheritedSockets();

        inherited.adopt(new int[] {fd});

        assertThat(inherited.refused()).singleElement().asString()
            .isEqualTo("descriptor " + fd + ": a TCP socket that does not listen, closed");
        assertThat(inherited.offered()).isZero();
        assertThat(Libc.fcntl(fd, Libc.F_GETFL, 0)).as("closed: EBADF").isNegative();
    }

    /** LISTEN_FDS=8 with one socket passed names descriptors 4..10: the process's own files, which must stay open. */
    @Test
    void aDescriptorThatIsNoSocketIsRefusedButLeftOpenAndUnchanged() {
        final int fd = Libc.eventfd(0, 0); // any descriptor that is not a socket
        try {
            final int flagsBefore = Libc.fcntl(fd, Libc.F_GETFL, 0);
            final InheritedSockets inherited = new InheritedSockets();

            inherited.adopt(new int[] {fd});

            assertThat(inherited.refused()).singleElement().asString()
                .startsWith("descriptor " + fd + ": not a socket (").endsWith("), left open");
            assertThat(Libc.fcntl(fd, Libc.F_GETFL, 0)).as("open, its flags as they were").isEqualTo(flagsBefore);
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void whatNoListenerTakesIsClosedAndNamed() throws Exception {
        final int fd = previousProcessListening();
        final InetSocketAddress address = boundOf(fd);
        final InheritedSockets inherited = new InheritedSockets();
        inherited.adopt(new int[] {fd});

        assertThat(inherited.closeUnclaimed()).containsExactly("tcp://127.0.0.1:" + address.getPort());
        try (Socket refused = new Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> refused.connect(address))
                .hasMessageContaining("Connection refused");
        }
    }
}
