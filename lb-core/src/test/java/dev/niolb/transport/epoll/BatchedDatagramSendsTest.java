package dev.niolb.transport.epoll;

import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Ready;
import dev.niolb.transport.DatagramSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Datagrams the epoll transport's loop sends are queued and leave together in one {@code sendmmsg} before the loop
 * next waits ({@link DatagramOutboxes}). Real sockets on loopback; the test thread is the loop (it polls), except
 * where a loop must be seen blocked in its wait.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BatchedDatagramSendsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<AutoCloseable> open = new ArrayList<>();

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

    private EpollPoller poller() throws IOException {
        final EpollPoller poller = new EpollPoller((handler, ops, registration) -> handler.onReady(ops));
        open.add(poller::close);
        return poller;
    }

    private DatagramSocket bind(final InetSocketAddress address) throws IOException {
        final DatagramSocket socket = EpollTransport.instance().bindDatagram(address, 1).getFirst();
        open.add(socket::close);
        return socket;
    }

    /**
     * A socket bound on loopback, watched by {@code poller} for nothing in particular, with this thread as its loop
     * from now on (it has polled once): what this thread sends on it is queued until the poller next polls.
     */
    private DatagramSocket onThisLoop(final EpollPoller poller) throws IOException {
        final DatagramSocket socket = bind(LOOPBACK);
        poller.register((EpollFd) socket, Ready.READ, TestHandlers.of(() -> { }));
        poller.pollNow();
        return socket;
    }

    private java.net.DatagramSocket client(final String host) throws IOException {
        final java.net.DatagramSocket client = new java.net.DatagramSocket(new InetSocketAddress(host, 0));
        client.setSoTimeout(5000);
        open.add(client);
        return client;
    }


    /** An echo on {@code socket}: every datagram waiting goes back to its sender, from the address it was sent to. */
    private static IoHandler echo(final DatagramSocket socket) {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        return TestHandlers.of(() -> {
            InetSocketAddress sender;
            while ((sender = socket.receive(buffer.clear())) != null) {
                assertThat(socket.send(buffer.flip(), sender, socket.receivedAt())).isEqualTo(buffer.limit());
            }
        });
    }

    /** The next datagram {@code peer} receives, as text. */
    private static String nextText(final java.net.DatagramSocket peer) throws IOException {
        final DatagramPacket packet = new DatagramPacket(new byte[64], 64);
        peer.receive(packet);
        return text(packet);
    }

    private static String text(final DatagramPacket packet) {
        return new String(packet.getData(), packet.getOffset(), packet.getLength(), StandardCharsets.US_ASCII);
    }

    private static ByteBuffer ascii(final String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aReplySentOnTheLoopLeavesBeforeTheLoopWaitsAgain() throws Exception {
        final DatagramSocket socket = bind(LOOPBACK);
        final EpollPoller poller = poller();
        poller.register((EpollFd) socket, Ready.READ, echo(socket));
        final java.net.DatagramSocket client = client("127.0.0.1");
        final Thread loop = Thread.ofPlatform().name("loop").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    poller.poll(60_000); // far beyond the client's wait: a reply held across it never arrives in time
                }
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            client.send(new DatagramPacket(new byte[] {'p', 'i', 'n', 'g'}, 4, socket.localAddress()));
            final DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            client.receive(reply); // nothing else happens on the loop: only the flush before its wait sends it
            assertThat(text(reply)).isEqualTo("ping");
        } finally {
            loop.interrupt();
            poller.wakeup();
            loop.join(5000);
        }
    }

    @Test
    void repliesToABurstOfClientsLeaveInOneSendEachFromTheAddressItsClientWroteTo() throws Exception {
        final DatagramSocket socket = bind(new InetSocketAddress("0.0.0.0", 0)); // wildcard: IP_PKTINFO
        final int port = socket.localAddress().getPort();
        final EpollPoller poller = poller();
        poller.register((EpollFd) socket, Ready.READ, echo(socket));
        poller.pollNow(); // this thread is the loop
        final int clients = 16;
        final java.net.DatagramSocket[] senders = new java.net.DatagramSocket[clients];
        for (int i = 0; i < clients; i++) {
            senders[i] = client("127.0.0.1");
            final InetSocketAddress asked = new InetSocketAddress("127.0.0." + (2 + i % 3), port);
            senders[i].send(new DatagramPacket(("client " + i).getBytes(StandardCharsets.US_ASCII), ("client " + i)
                .length(), asked));
        }
        poller.pollNow(); // the burst: received (recvmmsg) and answered (queued)
        poller.pollNow(); // sent before this wait
        for (int i = 0; i < clients; i++) {
            final DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            senders[i].receive(reply);
            assertThat(text(reply)).isEqualTo("client " + i);
            assertThat(reply.getSocketAddress()).as("the source of client %d's reply", i)
                .isEqualTo(new InetSocketAddress("127.0.0." + (2 + i % 3), port));
        }
        assertThat(poller.outboxes().calls()).as("sendmmsg calls for %d replies", clients).isBetween(1L, 2L);
    }

    @Test
    void aDatagramTheKernelRefusesWhenTheBatchLeavesIsReportedAndTheOthersGoOut() throws Exception {
        final DatagramSocket socket = bind(LOOPBACK);
        final EpollPoller poller = poller();
        poller.register((EpollFd) socket, Ready.READ, TestHandlers.of(() -> { }));
        final List<Long> refused = new ArrayList<>();
        socket.onRefused((datagrams, bytes) -> {
            refused.add((long) datagrams);
            refused.add(bytes);
        });
        final java.net.DatagramSocket peer = client("127.0.0.1");
        final InetSocketAddress to = (InetSocketAddress) peer.getLocalSocketAddress();
        poller.pollNow(); // this thread is the loop
        assertThat(socket.send(ascii("one"), to)).isEqualTo(3);
        // port 0: the kernel refuses this datagram alone (EINVAL) when the batch is sent
        assertThat(socket.send(ascii("refused"), new InetSocketAddress("127.0.0.1", 0))).isEqualTo(7);
        assertThat(socket.send(ascii("three"), to)).isEqualTo(5);
        assertThat(refused).as("nothing is sent before the loop waits").isEmpty();
        poller.pollNow();
        assertThat(refused).containsExactly(1L, 7L);
        final DatagramPacket first = new DatagramPacket(new byte[64], 64);
        peer.receive(first);
        final DatagramPacket second = new DatagramPacket(new byte[64], 64);
        peer.receive(second);
        assertThat(List.of(text(first), text(second))).containsExactly("one", "three");
    }

    @Test
    void aRefusalOfADatagramSentForAnOwnerReachesThatOwnerAndAnyOtherTheSocketsHandler() throws Exception {
        final EpollPoller poller = poller();
        final DatagramSocket socket = onThisLoop(poller);
        final List<String> heard = new ArrayList<>();
        socket.onRefused((datagrams, bytes) -> heard.add("socket " + datagrams + " " + bytes));
        final DatagramSocket.Refusals flow = (datagrams, bytes) -> heard.add("flow " + datagrams + " " + bytes);
        final java.net.DatagramSocket peer = client("127.0.0.1");
        final InetSocketAddress to = (InetSocketAddress) peer.getLocalSocketAddress();
        final InetSocketAddress portZero = new InetSocketAddress("127.0.0.1", 0); // refused alone (EINVAL)
        assertThat(socket.send(ascii("own"), portZero, null, flow)).isEqualTo(3);
        assertThat(socket.send(ascii("unowned"), portZero)).isEqualTo(7);
        assertThat(socket.send(ascii("delivered"), to, null, flow)).isEqualTo(9);

        poller.pollNow();

        assertThat(heard).containsExactly("flow 1 3", "socket 1 7");
        assertThat(nextText(peer)).isEqualTo("delivered");
    }

    @Test
    void aTaskWaitingForTheQueueRunsWhenItLeavesAfterItsRefusalsAreReported() throws Exception {
        final EpollPoller poller = poller();
        final DatagramSocket socket = onThisLoop(poller);
        final List<String> heard = new ArrayList<>();
        socket.whenSent(() -> heard.add("nothing queued: at once"));
        socket.send(ascii("refused"), new InetSocketAddress("127.0.0.1", 0), null,
            (datagrams, bytes) -> heard.add("refused " + bytes));
        socket.whenSent(() -> heard.add("sent"));
        assertThat(heard).containsExactly("nothing queued: at once");

        poller.pollNow();

        assertThat(heard).containsExactly("nothing queued: at once", "refused 7", "sent");
    }

    @Test
    void closingASocketSendsItsQueueAndRunsWhatWaitedForIt() throws Exception {
        final DatagramSocket socket = onThisLoop(poller());
        final java.net.DatagramSocket peer = client("127.0.0.1");
        final List<String> heard = new ArrayList<>();
        socket.send(ascii("last words"), (InetSocketAddress) peer.getLocalSocketAddress());
        socket.whenSent(() -> heard.add("sent"));

        socket.close();

        assertThat(heard).containsExactly("sent");
        assertThat(nextText(peer)).isEqualTo("last words");
    }

    @Test
    void aWaitingTaskThatFailsLeavesTheLoopSendingItsNextBatches() throws Exception {
        final EpollPoller poller = poller();
        final DatagramSocket socket = onThisLoop(poller);
        final java.net.DatagramSocket peer = client("127.0.0.1");
        final InetSocketAddress to = (InetSocketAddress) peer.getLocalSocketAddress();
        final List<String> heard = new ArrayList<>();
        socket.send(ascii("one"), to);
        socket.whenSent(() -> {
            throw new IllegalStateException("a bug in a task");
        });
        socket.whenSent(() -> heard.add("the next task"));

        poller.pollNow(); // does not throw
        socket.send(ascii("two"), to);
        poller.pollNow();

        assertThat(heard).containsExactly("the next task");
        assertThat(List.of(nextText(peer), nextText(peer))).containsExactly("one", "two");
        assertThat(poller.outboxes().calls()).as("one sendmmsg per batch").isEqualTo(2);
    }

    @Test
    void aPortUnreachableMetWhenTheBatchLeavesIsReportedByTheNextReceive() throws Exception {
        final InetSocketAddress nobody;
        try (java.net.DatagramSocket gone = new java.net.DatagramSocket(LOOPBACK)) {
            nobody = (InetSocketAddress) gone.getLocalSocketAddress();
        }
        final DatagramSocket socket = EpollTransport.instance().openDatagram(nobody);
        open.add(socket::close);
        socket.connect(nobody);
        final List<Long> refused = new ArrayList<>();
        socket.onRefused((datagrams, bytes) -> {
            refused.add((long) datagrams);
            refused.add(bytes);
        });
        final AtomicReference<IOException> received = new AtomicReference<>();
        final int[] calls = {0};
        final EpollPoller poller = poller();
        poller.register((EpollFd) socket, Ready.READ, TestHandlers.of(() -> {
            if (++calls[0] == 1) {
                // the first datagram's ICMP error is pending: this write meets it when the batch leaves
                assertThat(socket.write(ascii("second"))).isEqualTo(6);
                return;
            }
            try {
                socket.receive(ByteBuffer.allocate(64));
            } catch (final IOException e) {
                received.set(e);
            }
        }));
        poller.pollNow(); // this thread is the loop
        assertThat(socket.write(ascii("first"))).isEqualTo(5);
        for (int i = 0; i < 100 && calls[0] < 2; i++) {
            poller.poll(100);
        }
        assertThat(refused).as("the second datagram, not sent").containsExactly(1L, 6L);
        assertThat(received.get()).isInstanceOf(PortUnreachableException.class);
    }

    @Test
    void aSocketClosedWithDatagramsQueuedSendsThemFirst() throws Exception {
        final DatagramSocket socket = bind(LOOPBACK);
        final EpollPoller poller = poller();
        poller.register((EpollFd) socket, Ready.READ, TestHandlers.of(() -> { }));
        final java.net.DatagramSocket peer = client("127.0.0.1");
        poller.pollNow(); // this thread is the loop
        assertThat(socket.send(ascii("last words"), (InetSocketAddress) peer.getLocalSocketAddress())).isEqualTo(10);
        socket.close();
        final DatagramPacket packet = new DatagramPacket(new byte[64], 64);
        peer.receive(packet);
        assertThat(text(packet)).isEqualTo("last words");
    }

    @Test
    void datagramsASocketLeftInTheLoopsReceiveBatchReachItLaterAndNoOtherSocket() throws Exception {
        final java.net.DatagramSocket serverA = client("127.0.0.1");
        final java.net.DatagramSocket serverB = client("127.0.0.1");
        final DatagramSocket a = connected((InetSocketAddress) serverA.getLocalSocketAddress());
        final DatagramSocket b = connected((InetSocketAddress) serverB.getLocalSocketAddress());
        final List<String> toA = new ArrayList<>();
        final List<String> toB = new ArrayList<>();
        final EpollPoller poller = poller();
        // a takes one datagram per wake-up and leaves the rest of its batch; b takes all it can
        poller.register((EpollFd) a, Ready.READ, TestHandlers.of(() -> take(a, toA, 1)));
        poller.register((EpollFd) b, Ready.READ, TestHandlers.of(() -> take(b, toB, 64)));
        poller.pollNow(); // this thread is the loop
        for (final String text : List.of("a1", "a2", "a3")) {
            serverA.send(new DatagramPacket(text.getBytes(StandardCharsets.US_ASCII), 2, a.localAddress()));
        }
        for (final String text : List.of("b1", "b2")) {
            serverB.send(new DatagramPacket(text.getBytes(StandardCharsets.US_ASCII), 2, b.localAddress()));
        }
        for (int i = 0; i < 100 && (toA.size() < 3 || toB.size() < 2); i++) {
            poller.poll(100);
        }
        assertThat(toA).containsExactly("a1", "a2", "a3");
        assertThat(toB).containsExactly("b1", "b2");
    }

    private DatagramSocket connected(final InetSocketAddress server) throws IOException {
        final DatagramSocket socket = EpollTransport.instance().openDatagram(server);
        open.add(socket::close);
        socket.connect(server);
        return socket;
    }

    private static void take(final DatagramSocket socket, final List<String> into, final int most) throws IOException {
        final ByteBuffer buffer = ByteBuffer.allocate(64);
        for (int i = 0; i < most && socket.receive(buffer.clear()) != null; i++) {
            into.add(StandardCharsets.US_ASCII.decode(buffer.flip()).toString());
        }
    }
}
