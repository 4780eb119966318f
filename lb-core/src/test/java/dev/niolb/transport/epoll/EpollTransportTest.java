package dev.niolb.transport.epoll;

import dev.niolb.transport.LocalAddresses;
import dev.niolb.config.TcpOptions;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Poller;
import dev.niolb.loop.Ready;
import dev.niolb.loop.Registration;
import dev.niolb.testing.TcpServers;
import dev.niolb.transport.BufferRelay;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.BindException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * What is particular to the epoll transport; what it shares with NIO (every behaviour of the engine) is held by
 * the end-to-end suites, which run on both.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EpollTransportTest {
    private static final int TCPI_SEGS_IN = 140;
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Integer> calls = new ArrayList<>();

    @BeforeAll
    static void runsHere() {
        assumeThat(EpollTransport.isAvailable()).as("%s", EpollTransport.unavailableReason()).isTrue();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private EpollPoller poller(final Poller.Dispatch dispatch) throws IOException {
        final EpollPoller poller = new EpollPoller(dispatch);
        open.add(poller::close);
        return poller;
    }

    private ListeningSocket listen() throws IOException {
        final ListeningSocket listener = EpollTransport.instance().listen(LOOPBACK, 16, 1).getFirst();
        open.add(listener::close);
        return listener;
    }

    private Socket connect(final ListeningSocket listener) throws IOException {
        final Socket client = new Socket(listener.localAddress().getAddress(), listener.localAddress().getPort());
        open.add(client);
        return client;
    }

    private StreamSocket accepted(final ListeningSocket listener) throws IOException {
        final ListeningSocket.Accepted accepted = awaitAccept(listener);
        open.add(() -> accepted.socket().close(false));
        return accepted.socket();
    }

    private static ListeningSocket.Accepted awaitAccept(final ListeningSocket listener) throws IOException {
        while (true) {
            final ListeningSocket.Accepted accepted = listener.accept();
            if (accepted != null) {
                return accepted;
            }
            Thread.onSpinWait(); // the handshake completes in the kernel; nothing to wait on but the backlog
        }
    }

    private IoHandler recording(final int id) {
        return new IoHandler() {
            @Override
            public void onReady(final int readyOps) {
                calls.add(id);
            }

            @Override
            public void onFailure(final Throwable failure) {
                throw new AssertionError(failure);
            }
        };
    }

    @Test
    void epollEventsBecomeTheReadinessTheOwnerAsksFor() {
        assertThat(EpollPoller.translate(Libc.EPOLLIN, Ready.READ | Ready.WRITE)).isEqualTo(Ready.READ);
        assertThat(EpollPoller.translate(Libc.EPOLLIN, Ready.ACCEPT)).isEqualTo(Ready.ACCEPT);
        assertThat(EpollPoller.translate(Libc.EPOLLOUT, Ready.CONNECT)).isEqualTo(Ready.CONNECT);
        assertThat(EpollPoller.translate(Libc.EPOLLOUT, Ready.READ)).isZero();
        // an error or hang-up is every operation the owner waits for: it finds the error by trying
        assertThat(EpollPoller.translate(Libc.EPOLLERR, Ready.READ | Ready.WRITE)).isEqualTo(Ready.READ | Ready.WRITE);
        assertThat(EpollPoller.translate(Libc.EPOLLHUP | Libc.EPOLLIN, Ready.CONNECT)).isEqualTo(Ready.CONNECT);
    }

    @Test
    void theEventLayoutIsTheKernelsForThisArchitecture() {
        final String arch = System.getProperty("os.arch");
        if (arch.equals("amd64")) {
            assertThat(EpollEvents.SIZE).isEqualTo(12); // packed on x86-64
            assertThat(EpollEvents.DATA_OFFSET).isEqualTo(4);
        } else {
            assertThat(EpollEvents.SIZE).isEqualTo(16);
            assertThat(EpollEvents.DATA_OFFSET).isEqualTo(8);
        }
    }

    @Test
    void anAcceptedConnectionComesWithItsPeersAddressAndNeverBlocks() throws Exception {
        final ListeningSocket listener = listen();
        final Socket client = connect(listener);
        final ListeningSocket.Accepted accepted = awaitAccept(listener);
        open.add(() -> accepted.socket().close(false));
        assertThat(accepted.peer()).isEqualTo(client.getLocalSocketAddress());
        assertThat(accepted.peer().getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(accepted.socket().read(ByteBuffer.allocate(16))).as("nothing sent yet: 0, not a block").isZero();
        assertThat(accepted.socket().localAddress()).isEqualTo(listener.localAddress());
    }

    @Test
    void bytesGoBothWaysThroughHeapAndDirectBuffersAndAnEndIsMinusOne() throws Exception {
        final ListeningSocket listener = listen();
        final Socket client = connect(listener);
        final StreamSocket server = accepted(listener);
        client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        final ByteBuffer direct = ByteBuffer.allocateDirect(64);
        while (direct.position() < 5) {
            server.read(direct);
        }
        direct.flip();
        assertThat(StandardCharsets.US_ASCII.decode(direct).toString()).isEqualTo("hello");
        final ByteBuffer heap = ByteBuffer.wrap("--world".getBytes(StandardCharsets.US_ASCII));
        heap.position(2); // a buffer's position is honoured: only "world" goes
        assertThat(server.write(heap)).isEqualTo(5);
        assertThat(client.getInputStream().readNBytes(5)).asString(StandardCharsets.US_ASCII).isEqualTo("world");
        client.shutdownOutput();
        int n;
        while ((n = server.read(ByteBuffer.allocate(8))) == 0) {
            Thread.onSpinWait();
        }
        assertThat(n).isEqualTo(-1);
    }

    @Test
    void unacknowledgedBytesAreWhatThePeerHasNotTakenAndNoneOnceItHasTakenThemAll() throws Exception {
        final ListeningSocket listener = listen();
        final Socket peer = connect(listener);
        final StreamSocket socket = accepted(listener);
        final int written = fillUntilFull(socket);
        assertThat(socket.unacknowledgedBytes()).as("the peer reads nothing: its window is full").isPositive();

        final InputStream in = peer.getInputStream();
        final byte[] chunk = new byte[64 * 1024];
        int read = 0;
        while (read < written) {
            read += in.read(chunk);
        }
        dev.niolb.testing.Await.until(() -> socket.unacknowledgedBytes() == 0, 5000);
    }

    @Test
    void aResetConnectionHasNoUnacknowledgedBytesLeftToWaitFor() throws Exception {
        final ListeningSocket listener = listen();
        final Socket peer = connect(listener);
        final StreamSocket socket = accepted(listener);
        fillUntilFull(socket);
        assertThat(socket.unacknowledgedBytes()).isPositive();

        peer.setSoLinger(true, 0);
        peer.close(); // RST: the kernel drops what it held for the peer but keeps counting it as unacknowledged

        dev.niolb.testing.Await.until(() -> socket.unacknowledgedBytes() == 0, 5000);
    }

    /** Writes to {@code socket} until its peer, which reads nothing, takes no more: the bytes written. */
    private static int fillUntilFull(final StreamSocket socket) throws IOException {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
        int written = 0;
        int n;
        do {
            chunk.clear();
            n = socket.write(chunk);
            written += n;
        } while (n > 0);
        return written;
    }

    @Test
    void aPeersFinIsSeenFromTheEventThatReportsIt() throws Exception {
        final ListeningSocket listener = listen();
        final EpollStreamSocket socket = connected(listener);
        final StreamSocket peer = accepted(listener);
        final EpollPoller poller = poller((handler, ops, registration) -> handler.onReady(ops));
        poller.register(socket, Ready.READ, recording(1));
        peer.write(ByteBuffer.wrap(new byte[]{1}));
        while (calls.isEmpty()) {
            poller.pollNow();
        }
        assertThat(socket.endSeen()).as("bytes, no end yet").isFalse();
        assertThat(socket.read(ByteBuffer.allocate(8))).isEqualTo(1);
        peer.shutdownOutput();
        while (calls.size() < 2) {
            poller.pollNow();
        }
        assertThat(socket.endSeen()).isTrue();
        assertThat(socket.read(ByteBuffer.allocate(8))).isEqualTo(-1);
    }

    @Test
    void theLastBytesBeforeAnEndLeaveInTheSameSegmentAsTheFin() throws Exception {
        // feeder -> [source | relay | destination] -> reader, every socket an epoll one
        final ListeningSocket front = listen();
        final ListeningSocket back = listen();
        final EpollStreamSocket source = connected(front);
        final StreamSocket feeder = accepted(front);
        final EpollStreamSocket destination = connected(back);
        final EpollStreamSocket reader = (EpollStreamSocket) accepted(back);
        final BufferRelay relay = new BufferRelay(new BufferPool(4096, 2));
        relay.connect(source, destination);
        final EpollPoller poller = poller((handler, ops, registration) -> handler.onReady(ops));
        poller.register(source, Ready.READ, new IoHandler() {
            @Override
            public void onReady(final int readyOps) {
                assertThat(relay.onReadable()).isEqualTo(StreamRelay.OK);
            }

            @Override
            public void onFailure(final Throwable failure) {
                throw new AssertionError(failure);
            }
        });
        final int before = segmentsIn(reader);
        // "hello" and the FIN reach the source together, as when a server answers and closes
        feeder.writeLast(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        feeder.shutdownOutput();
        while (!relay.done()) {
            poller.pollNow();
        }
        final ByteBuffer got = ByteBuffer.allocate(16);
        int n;
        while ((n = reader.read(got)) >= 0) {
            if (n == 0) {
                Thread.onSpinWait();
            }
        }
        got.flip();
        assertThat(StandardCharsets.US_ASCII.decode(got).toString()).isEqualTo("hello");
        assertThat(segmentsIn(reader) - before).as("the bytes and the FIN in one segment, not two").isEqualTo(1);
    }

    @Test
    void aConnectThatBytesFollowLeavesTheHandshakesLastAckForThemToCarry() throws Exception {
        final ListeningSocket listener = listen();
        // the kernel sends a held ACK after its delayed-ACK timer (up to 200 ms)
        final BacklogLook<EpollStreamSocket> look = backlogRightAfter(listener, 100, () -> {
            final EpollStreamSocket socket = (EpollStreamSocket) EpollTransport.instance()
                .openStream(listener.localAddress());
            open.add(() -> socket.close(false));
            assertThat(socket.connect(listener.localAddress(), true)).as("connected in the call").isTrue();
            return socket;
        });
        assertThat(look.accepted()).as("the server has no connection until the first bytes bring the ACK").isNull();
        look.client().write(ByteBuffer.wrap(new byte[]{7}));
        final EpollStreamSocket accepted = (EpollStreamSocket) accepted(listener);
        assertThat(segmentsIn(accepted)).as("the SYN, then the byte with the ACK").isEqualTo(2);
    }

    @Test
    void aConnectWithNothingToSendCompletesTheHandshakeAtOnce() throws Exception {
        final ListeningSocket listener = listen();
        final EpollStreamSocket socket = (EpollStreamSocket) EpollTransport.instance().openStream(listener.localAddress());
        open.add(() -> socket.close(false));
        assertThat(socket.connect(listener.localAddress(), false)).isTrue();
        final ListeningSocket.Accepted accepted = listener.accept();
        assertThat(accepted).as("a server that speaks first has its connection now").isNotNull();
        open.add(() -> accepted.socket().close(false));
        assertThat(segmentsIn((EpollFd) accepted.socket())).as("the SYN and the ACK").isEqualTo(2);
    }

    @Test
    void aListenerThatDefersAcceptHandsOverAConnectionOnlyWithItsFirstBytes() throws Exception {
        final ListeningSocket listener = EpollTransport.instance().listen(LOOPBACK, 16, 1, true).getFirst();
        open.add(listener::close);
        // the kernel hands a quiet connection over after its defer timeout (a second or more)
        final BacklogLook<Socket> look = backlogRightAfter(listener, 500, () -> connect(listener));
        assertThat(look.accepted()).as("connected, nothing sent yet: not handed over").isNull();
        look.client().getOutputStream().write(5);
        final ListeningSocket.Accepted accepted = awaitAccept(listener);
        open.add(() -> accepted.socket().close(false));
        final ByteBuffer got = ByteBuffer.allocate(4);
        assertThat(accepted.socket().read(got)).as("its first byte, there at once").isEqualTo(1);
        assertThat(got.get(0)).isEqualTo((byte) 5);
    }

    /** A client {@link #backlogRightAfter} connected, and what the listener's backlog held then (null: nothing). */
    private record BacklogLook<T>(T client, ListeningSocket.Accepted accepted) {
    }

    /**
     * Connects a client and looks at {@code listener}'s backlog at once. The kernel's own timer would hand a held
     * connection over after a while, so a try whose connect and look took longer than {@code boundMs} (a stall of
     * the machine) says nothing and is made again, up to three tries.
     */
    private <T> BacklogLook<T> backlogRightAfter(final ListeningSocket listener, final long boundMs,
                                                 final Callable<T> connect) throws Exception {
        for (int attempt = 1; ; attempt++) {
            final long start = System.nanoTime();
            final T client = connect.call();
            final ListeningSocket.Accepted accepted = listener.accept();
            if (System.nanoTime() - start <= TimeUnit.MILLISECONDS.toNanos(boundMs) || attempt == 3) {
                return new BacklogLook<>(client, accepted);
            }
            if (accepted != null) {
                accepted.socket().close(false);
            }
        }
    }

    @Test
    void aListenerThatDoesNotDeferHandsOverAQuietConnection() throws Exception {
        final ListeningSocket listener = EpollTransport.instance().listen(LOOPBACK, 16, 1, false).getFirst();
        open.add(listener::close);
        connect(listener);
        final ListeningSocket.Accepted accepted = awaitAccept(listener);
        open.add(() -> accepted.socket().close(false));
        assertThat(accepted.socket().read(ByteBuffer.allocate(4))).as("nothing to read yet").isZero();
    }

    /** A socket niolb opens, connected to {@code listener} (on loopback the connect completes in the call). */
    private EpollStreamSocket connected(final ListeningSocket listener) throws IOException {
        final EpollStreamSocket socket = (EpollStreamSocket) EpollTransport.instance().openStream(listener.localAddress());
        open.add(() -> socket.close(false));
        assertThat(socket.connect(listener.localAddress())).isTrue();
        return socket;
    }

    /** {@code tcpi_segs_in} of {@code TCP_INFO}: the segments the socket received (Linux 4.2 and later). */
    private static int segmentsIn(final EpollFd socket) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment info = arena.allocate(256);
            final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, (int) info.byteSize());
            assertThat(Libc.getsockopt(socket.fd(), Libc.IPPROTO_TCP, Libc.TCP_INFO, info, length)).isZero();
            assertThat(length.get(ValueLayout.JAVA_INT, 0)).isGreaterThanOrEqualTo(TCPI_SEGS_IN + 4);
            return info.get(ValueLayout.JAVA_INT, TCPI_SEGS_IN);
        }
    }

    @Test
    void aSocketWatchedForNothingIsStillToldOfItsPeersResetAndLeavesTheSet() throws Exception {
        final ListeningSocket listener = listen();
        final Socket peer = connect(listener);
        final StreamSocket accepted = accepted(listener);
        final EpollStreamSocket socket = (EpollStreamSocket) accepted;
        final List<Integer> ready = new ArrayList<>();
        final EpollPoller poller = poller((handler, ops, registration) -> ready.add(ops));
        final Registration registration = poller.register(socket, Ready.READ, recording(1));
        registration.interest(0); // a relay holds its bytes back: nothing to read or write
        assertThat(socket.inEpollSet()).as("kept in the set with no events").isTrue();
        peer.setSoLinger(true, 0);
        peer.close(); // RST
        while (ready.isEmpty()) {
            poller.pollNow();
        }
        assertThat(ready).containsExactly(Ready.ERROR);
        assertThat(socket.inEpollSet()).isFalse();
        registration.interest(Ready.READ); // back in the set: the reset is there to be read
        assertThat(socket.inEpollSet()).isTrue();
        assertThatThrownBy(() -> socket.read(ByteBuffer.allocate(8))).isInstanceOf(SocketException.class);
    }

    @Test
    void aHangupWithNoErrorOnASocketWatchedForNothingTakesItOutOfTheSetWithoutTellingItsOwner() throws Exception {
        final ListeningSocket listener = listen();
        final EpollStreamSocket socket = connected(listener);
        final StreamSocket peer = accepted(listener);
        final List<Integer> ready = new ArrayList<>();
        final EpollPoller poller = poller((handler, ops, registration) -> ready.add(ops));
        final Registration registration = poller.register(socket, Ready.READ, recording(1));
        registration.interest(0);
        peer.shutdownOutput();
        socket.shutdownOutput(); // both ways shut: EPOLLHUP, level-triggered, with no error behind it
        while (socket.inEpollSet()) { // would wake every wait until the close if it stayed
            poller.pollNow();
        }
        assertThat(ready).as("a clean hang-up is not a reset").isEmpty();
        registration.interest(Ready.READ);
        while (ready.isEmpty()) {
            poller.pollNow();
        }
        assertThat(ready).containsExactly(Ready.READ);
        assertThat(socket.read(ByteBuffer.allocate(8))).isEqualTo(-1);
    }

    @Test
    void anAbortingCloseResetsThePeer() throws Exception {
        final ListeningSocket listener = listen();
        final Socket client = connect(listener);
        final StreamSocket server = accepted(listener);
        server.close(true);
        final InputStream in = client.getInputStream();
        assertThatThrownBy(in::read).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }

    @Test
    void aRefusedConnectIsAConnectException() throws Exception {
        final InetSocketAddress nobody = TcpServers.refusingAddress();
        final StreamSocket socket = EpollTransport.instance().openStream(nobody);
        open.add(() -> socket.close(false));
        // on loopback the refusal is known inside the connect call: no wake-up is spent to learn it
        assertThatThrownBy(() -> socket.connect(nobody)).isInstanceOf(ConnectException.class)
            .hasMessage("Connection refused");
    }

    @Test
    void aLoopbackConnectIsCompleteWhenTheCallReturns() throws Exception {
        final ListeningSocket listener = listen();
        final StreamSocket socket = EpollTransport.instance().openStream(listener.localAddress());
        open.add(() -> socket.close(false));
        assertThat(socket.connect(listener.localAddress())).as("connected, not in progress").isTrue();
        final ByteBuffer hello = ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII));
        assertThat(socket.write(hello)).isEqualTo(2);
    }

    @Test
    void aConnectToAnotherAddressOfThisHostIsCompleteWhenTheCallReturns() throws Exception {
        final InetAddress own = LocalAddresses.ofInterfaces().stream()
            .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
            .findFirst().orElse(null);
        assumeThat(own).as("an IPv4 address of this host other than loopback").isNotNull();
        try (ServerSocket server = new ServerSocket(0, 16, own)) {
            final InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();
            final StreamSocket socket = EpollTransport.instance().openStream(address);
            open.add(() -> socket.close(false));
            assertThat(socket.connect(address)).as("connected to %s, not in progress", address).isTrue();
            final ByteBuffer hello = ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.write(hello)).isEqualTo(2);
            try (Socket accepted = server.accept()) {
                assertThat(accepted.getInputStream().readNBytes(2)).asString(StandardCharsets.US_ASCII).isEqualTo("hi");
            }
        }
    }

    @Test
    void aLoopbackConnectWritesTheFirstBytesWithTheSendThatFindsItDone() throws Exception {
        final ListeningSocket listener = listen();
        final StreamSocket socket = EpollTransport.instance().openStream(listener.localAddress());
        open.add(() -> socket.close(false));
        final ByteBuffer first = ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(socket.connect(listener.localAddress(), first)).as("connected in the call").isTrue();
        assertThat(first.hasRemaining()).as("written by the connect").isFalse();
        final EpollStreamSocket accepted = (EpollStreamSocket) accepted(listener);
        final ByteBuffer got = ByteBuffer.allocate(5);
        while (got.hasRemaining()) {
            assertThat(accepted.read(got)).isNotNegative();
        }
        assertThat(new String(got.array(), StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(segmentsIn(accepted)).as("the SYN, then the bytes with the handshake's ACK").isEqualTo(2);
    }

    @Test
    void aRefusedConnectWritesNoneOfTheFirstBytes() throws Exception {
        final InetSocketAddress nobody = TcpServers.refusingAddress();
        final StreamSocket socket = EpollTransport.instance().openStream(nobody);
        open.add(() -> socket.close(false));
        final ByteBuffer first = ByteBuffer.wrap(new byte[]{1, 2, 3});
        assertThatThrownBy(() -> socket.connect(nobody, first)).isInstanceOf(ConnectException.class);
        assertThat(first.position()).as("left for the next server").isZero();
    }

    @Test
    void aConnectLeftInProgressWritesNoneOfTheFirstBytes() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();
            ByteBuffer waiting = null;
            for (int made = 0; made < 10 && waiting == null; made++) { // the accept queue holds one or two
                final StreamSocket socket = EpollTransport.instance().openStream(address);
                open.add(() -> socket.close(false));
                final ByteBuffer first = ByteBuffer.wrap(new byte[]{1, 2, 3});
                if (!socket.connect(address, first)) {
                    waiting = first;
                } else {
                    assertThat(first.hasRemaining()).as("a connect done in the call wrote them").isFalse();
                }
            }
            assertThat(waiting).as("a connect the full backlog holds up").isNotNull();
            assertThat(waiting.position()).as("written once connected, not before").isZero();
        }
    }

    @Test
    void aLoopbackConnectToAFullBacklogIsLeftInProgressForEpollToFinish() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();
            StreamSocket waiting = null;
            int made = 0;
            while (made < 10 && waiting == null) { // the accept queue holds one or two, then a SYN waits
                final StreamSocket socket = EpollTransport.instance().openStream(address);
                open.add(() -> socket.close(false));
                made++;
                if (!socket.connect(address)) {
                    waiting = socket;
                }
            }
            assertThat(waiting).as("a connect the full backlog holds up").isNotNull();
            final CompletableFuture<Integer> ready = new CompletableFuture<>();
            final EpollPoller poller = poller((handler, ops, registration) -> ready.complete(ops));
            poller.register((EpollFd) waiting, Ready.CONNECT, recording(0));
            for (int i = 0; i < made; i++) {
                open.add(server.accept()); // room in the queue: the SYN's retry completes the handshake
            }
            while (!ready.isDone()) {
                poller.poll(1000);
            }
            assertThat(ready.get()).isEqualTo(Ready.CONNECT);
            assertThat(waiting.finishConnect()).isTrue();
        }
    }

    @Test
    void anAcceptedSocketIsReadOnceAsSoonAsItIsWatchedWithoutWaitingForEpoll() throws Exception {
        final ListeningSocket listener = listen();
        connect(listener); // sends nothing: epoll would never report it readable
        final StreamSocket server = accepted(listener);
        final EpollPoller poller = poller((handler, ops, registration) -> handler.onReady(ops));
        poller.register((EpollFd) server, Ready.READ, recording(1));
        poller.pollNow();
        assertThat(calls).as("read at once, the first time").containsExactly(1);
        poller.pollNow();
        assertThat(calls).as("once only: then it waits for epoll").containsExactly(1);
    }

    @Test
    void anAcceptedSocketHasNoDelayFromItsListenerBeforeAnyOptionIsApplied() throws Exception {
        final ListeningSocket listener = listen();
        connect(listener);
        final EpollStreamSocket accepted = (EpollStreamSocket) accepted(listener);
        assertThat(accepted.getInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY)).isNotZero();
        accepted.apply(TcpOptions.DEFAULTS);
        assertThat(accepted.getInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY)).isNotZero();
    }

    @Test
    void optionsAskingForNagleTurnTheInheritedNoDelayOff() throws Exception {
        final ListeningSocket listener = listen();
        connect(listener);
        final EpollStreamSocket accepted = (EpollStreamSocket) accepted(listener);
        accepted.apply(TcpOptions.DEFAULTS.withNoDelay(false));
        assertThat(accepted.getInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY)).isZero();
    }

    @Test
    void aSocketNiolbOpensGetsNoDelayWhenTheOptionsAskForIt() throws Exception {
        final ListeningSocket listener = listen();
        final EpollStreamSocket socket =
            (EpollStreamSocket) EpollTransport.instance().openStream(listener.localAddress());
        open.add(() -> socket.close(false));
        assertThat(socket.getInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY)).as("the kernel's default").isZero();
        socket.apply(TcpOptions.DEFAULTS);
        assertThat(socket.getInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY)).isNotZero();
    }

    @Test
    void aSecondListenerOnTheSameAddressIsRefusedNotShared() throws Exception {
        final ListeningSocket first = listen();
        assertThatThrownBy(() -> EpollTransport.instance().listen(first.localAddress(), 16, 2))
            .isInstanceOf(BindException.class).hasMessage("Address already in use");
    }

    @Test
    void everyLoopsSocketBindsTheSamePortWhenPortZeroIsAsked() throws Exception {
        final List<ListeningSocket> sockets = EpollTransport.instance().listen(LOOPBACK, 16, 3);
        sockets.forEach(s -> open.add(s::close));
        assertThat(sockets).hasSize(3).extracting(ListeningSocket::localAddress).containsOnly(sockets.getFirst()
            .localAddress());
        assertThat(sockets.getFirst().localAddress().getPort()).isPositive();
    }

    @Test
    void anEventForASocketClosedEarlierInTheBatchNeverReachesTheSocketThatTookItsSlot() throws Exception {
        final ListeningSocket listener = listen();
        final StreamSocket a = readable(listener);
        final StreamSocket b = readable(listener);
        final StreamSocket quiet = EpollTransport.instance().openStream(LOOPBACK); // never ready for reading
        open.add(() -> quiet.close(false));
        final EpollFd[] sockets = {(EpollFd) a, (EpollFd) b};
        final EpollPoller poller = poller((handler, ops, registration) -> handler.onReady(ops));
        for (int i = 0; i < 2; i++) {
            final int self = i;
            poller.register(sockets[i], Ready.READ, new IoHandler() {
                @Override
                public void onReady(final int readyOps) {
                    calls.add(self);
                    if (calls.size() == 1) {
                        sockets[1 - self].closeFd(false); // the other one's event is in this batch already
                        try {
                            poller.register((EpollFd) quiet, Ready.READ, recording(99)); // takes its slot
                        } catch (final IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                }

                @Override
                public void onFailure(final Throwable failure) {
                    throw new AssertionError(failure);
                }
            });
        }
        poller.pollNow();
        assertThat(calls).hasSize(1).doesNotContain(99);
    }

    /** An accepted socket with a byte waiting to be read, reported readable by epoll only. */
    private StreamSocket readable(final ListeningSocket listener) throws IOException {
        final Socket client = connect(listener);
        final StreamSocket server = accepted(listener);
        ((EpollFd) server).takeReadHint();
        client.getOutputStream().write(1);
        return server;
    }

    @Test
    void aWakeupFromAnotherThreadEndsAWaitWithNoDeadline() throws Exception {
        final EpollPoller poller = poller((handler, ops, registration) -> { });
        final CompletableFuture<Void> woken = CompletableFuture.runAsync(() -> {
            try {
                poller.poll(0); // 0: no deadline
            } catch (final IOException e) {
                throw new AssertionError(e);
            }
        });
        poller.wakeup(); // before the wait or during it, the same: the eventfd stays readable until drained
        woken.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aWakeupAfterThePollerClosedDoesNothing() throws Exception {
        final EpollPoller poller = new EpollPoller((handler, ops, registration) -> { });
        poller.close();
        poller.wakeup(); // a loop's stop races the last wake-ups: no write to a descriptor number reused since
        poller.close();
    }

    @Test
    void datagramsFromTheSameSenderShareOneAddressObject() throws Exception {
        final DatagramSocket socket = EpollTransport.instance().bindDatagram(LOOPBACK, 1).getFirst();
        open.add(socket::close);
        final java.net.DatagramSocket sender = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        open.add(sender);
        final InetSocketAddress to = socket.localAddress();
        sender.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, to));
        sender.send(new DatagramPacket(new byte[] {4}, 1, to));
        final ByteBuffer buffer = ByteBuffer.allocateDirect(64);
        final InetSocketAddress first = receive(socket, buffer);
        assertThat(buffer.position()).isEqualTo(3);
        buffer.clear();
        final InetSocketAddress second = receive(socket, buffer);
        assertThat(first).isEqualTo(sender.getLocalSocketAddress());
        assertThat(second).isSameAs(first);
        assertThat(buffer.position()).isEqualTo(1);
    }

    private static InetSocketAddress receive(final DatagramSocket socket, final ByteBuffer buffer) throws IOException {
        InetSocketAddress from;
        while ((from = socket.receive(buffer)) == null) {
            Thread.onSpinWait();
        }
        return from;
    }

    @Test
    void aReceiverThatTookAShortBatchToTheEndIsNotCalledAgainForIt() throws Exception {
        final DatagramSocket socket = EpollTransport.instance().bindDatagram(LOOPBACK, 1).getFirst();
        open.add(socket::close);
        final java.net.DatagramSocket sender = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        open.add(sender);
        final List<Byte> received = new ArrayList<>();
        final int[] emptyCalls = {0};
        final EpollPoller poller = poller((handler, ops, registration) -> handler.onReady(ops));
        poller.register((EpollFd) socket, Ready.READ, TestHandlers.of(() -> {
            final ByteBuffer one = ByteBuffer.allocate(16);
            final int before = received.size();
            while (socket.receive(one.clear()) != null) { // all there is, as a UDP listener does
                received.add(one.get(0));
            }
            if (received.size() == before) {
                emptyCalls[0]++;
            }
        }));
        for (byte i = 1; i <= 3; i++) {
            sender.send(new DatagramPacket(new byte[] {i}, 1, socket.localAddress()));
        }
        for (int i = 0; i < 50 && received.size() < 3; i++) {
            poller.poll(100); // the three usually come in one batch; a loaded machine may deliver them apart
        }
        assertThat(received).containsExactly((byte) 1, (byte) 2, (byte) 3);
        assertThat(emptyCalls[0]).as("calls that found the queue a short batch had shown empty").isZero();
    }

    @Test
    void datagramsTakenInOneBatchReachAReceiverThatTakesOneAtATime() throws Exception {
        final DatagramSocket socket = EpollTransport.instance().bindDatagram(LOOPBACK, 1).getFirst();
        open.add(socket::close);
        final java.net.DatagramSocket sender = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        open.add(sender);
        final List<Byte> received = new ArrayList<>();
        final EpollPoller poller = poller((handler, ops, registration) -> handler.onReady(ops));
        poller.register((EpollFd) socket, Ready.READ, TestHandlers.of(() -> {
            final ByteBuffer one = ByteBuffer.allocate(16);
            if (socket.receive(one) != null) { // one per readiness: the batch keeps the rest
                received.add(one.get(0));
            }
        }));
        for (byte i = 1; i <= 5; i++) {
            sender.send(new DatagramPacket(new byte[] {i}, 1, socket.localAddress()));
        }
        while (received.isEmpty()) {
            poller.poll(1000);
        }
        for (int i = 0; i < 4 && received.size() < 5; i++) {
            poller.poll(1000); // the kernel's queue is empty now: only the poller knows the batch holds more
        }
        assertThat(received).containsExactly((byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5);
    }

    @Test
    void aWildcardSocketTellsWhereEachDatagramWasSentAndAnswersFromThere() throws Exception {
        final DatagramSocket socket = EpollTransport.instance()
            .bindDatagram(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 1).getFirst();
        open.add(socket::close);
        final InetSocketAddress asked = new InetSocketAddress("127.0.0.3", socket.localAddress().getPort());
        final java.net.DatagramSocket client = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        open.add(client);
        client.setSoTimeout(5000);
        client.send(new DatagramPacket(new byte[] {7}, 1, asked));
        final InetSocketAddress from = receive(socket, ByteBuffer.allocate(16));
        assertThat(socket.receivedAt()).isEqualTo(InetAddress.getByName("127.0.0.3"));
        assertThat(socket.send(ByteBuffer.wrap(new byte[] {8}), from, socket.receivedAt())).isEqualTo(1);
        final DatagramPacket reply = new DatagramPacket(new byte[16], 16);
        client.receive(reply);
        assertThat(reply.getSocketAddress()).as("the reply's source").isEqualTo(asked);
    }

    @Test
    void aGatheringWriteLeavesAsOneDatagram() throws Exception {
        final java.net.DatagramSocket server = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        open.add(server);
        final InetSocketAddress at = (InetSocketAddress) server.getLocalSocketAddress();
        final DatagramSocket flow = EpollTransport.instance().openDatagram(at);
        open.add(flow::close);
        flow.connect(at);
        final ByteBuffer header = ByteBuffer.wrap("head:".getBytes(StandardCharsets.US_ASCII));
        final ByteBuffer payload = ByteBuffer.allocateDirect(4).put("body".getBytes(StandardCharsets.US_ASCII)).flip();
        assertThat(flow.write(new ByteBuffer[] {header, payload}, null)).isEqualTo(9);
        assertThat(header.hasRemaining() || payload.hasRemaining()).isFalse();
        final DatagramPacket packet = new DatagramPacket(new byte[64], 64);
        server.receive(packet);
        assertThat(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII))
            .isEqualTo("head:body");
    }

    @Test
    void aPortUnreachableNotReadYetIsToldOnceAndAnAnsweringPeerHasNone() throws Exception {
        final int closed = dev.niolb.testing.Ports.freeForTcpAndUdp();
        final InetSocketAddress nobody = new InetSocketAddress(InetAddress.getLoopbackAddress(), closed);
        final DatagramSocket toNobody = EpollTransport.instance().openDatagram(nobody);
        open.add(toNobody::close);
        toNobody.connect(nobody);
        final java.net.DatagramSocket server = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        open.add(server);
        final InetSocketAddress at = (InetSocketAddress) server.getLocalSocketAddress();
        final DatagramSocket toServer = EpollTransport.instance().openDatagram(at);
        open.add(toServer::close);
        toServer.connect(at);

        toNobody.write(ByteBuffer.wrap(new byte[] {1}));
        toServer.write(ByteBuffer.wrap(new byte[] {1}));
        server.receive(new DatagramPacket(new byte[8], 8));

        // loopback's ICMP comes within the send; a wait bounded in case the host is slow
        dev.niolb.testing.Await.until(toNobody::refusedAlready, 5000);
        assertThat(toNobody.refusedAlready()).as("told once: the error is taken").isFalse();
        assertThat(toServer.refusedAlready()).isFalse();
        final DatagramSocket nio = dev.niolb.transport.nio.NioTransport.INSTANCE.openDatagram(nobody);
        open.add(nio::close);
        assertThat(nio.refusedAlready()).as("NIO cannot tell").isFalse();
    }

    @Test
    void anIpv4MappedPeerIsReadAsItsIpv4Address() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment address = arena.allocate(SocketAddresses.IN6_BYTES);
            final InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 4242);
            final int length = SocketAddresses.write(v4, Libc.AF_INET6, address);
            assertThat(length).isEqualTo(SocketAddresses.IN6_BYTES);
            assertThat(SocketAddresses.read(address, length)).isEqualTo(v4);
            final InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 53);
            assertThat(SocketAddresses.read(address, SocketAddresses.write(v6, Libc.AF_INET6, address)))
                .isEqualTo(v6);
        }
    }
}
