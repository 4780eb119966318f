package dev.niolb.transport.epoll;

import dev.niolb.transport.DatagramSocket.Refusals;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * A full send buffer when a batch leaves ({@code EAGAIN} from {@code sendmmsg}). Over loopback UDP the kernel hands
 * each datagram to its receiver inside the send, so the send buffer never fills; a Unix datagram socket pair's
 * does: a datagram holds the sender's buffer until the other end reads it, so with a small {@code SO_SNDBUF} a
 * few unread datagrams fill it and the next send says {@code EAGAIN}. The outbox's code does not depend on the
 * family (a connected socket's datagrams carry no address).
 */
class DatagramOutboxTest {
    private static final int AF_UNIX = 1;
    private static final int DATAGRAMS = 40;
    private static final String PADDING = ".".repeat(1000);

    private final Arena arena = Arena.ofConfined();
    private DatagramOutbox outbox;
    private int sender = -1;
    private int receiver = -1;

    @BeforeAll
    static void runsHere() {
        assumeThat(EpollTransport.isAvailable()).as("%s", EpollTransport.unavailableReason()).isTrue();
    }

    @BeforeEach
    void socketPair() throws Throwable {
        final Linker linker = Linker.nativeLinker();
        final MethodHandle socketpair = linker.downcallHandle(linker.defaultLookup().find("socketpair").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        final MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        final int rc = (int) socketpair.invokeExact(AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC,
            0, fds);
        assertThat(rc).as("socketpair").isZero();
        sender = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
        receiver = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
        final MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
        size.set(ValueLayout.JAVA_INT, 0, 4096); // the kernel doubles it: room for a few of these datagrams
        assertThat(Libc.setsockopt(sender, Libc.SOL_SOCKET, Libc.SO_SNDBUF, size, 4)).as("SO_SNDBUF").isZero();
        outbox = new DatagramOutbox();
    }

    @AfterEach
    void closeAll() {
        outbox.close();
        Libc.close(sender);
        Libc.close(receiver);
        arena.close();
    }

    private static String datagram(final int i) {
        return "datagram " + i + PADDING;
    }

    private void queue(final int from, final int to) {
        queue(from, to, i -> null);
    }

    /** Datagrams {@code from} to {@code to}, each sent for the owner {@code owners} gives it (null: the socket's). */
    private void queue(final int from, final int to, final IntFunction<Refusals> owners) {
        for (int i = from; i < to; i++) {
            final byte[] bytes = datagram(i).getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(bytes, 0, outbox.data(), ValueLayout.JAVA_BYTE, outbox.nextOffset(), bytes.length);
            outbox.add(bytes.length, MemorySegment.NULL, 0, null, owners.apply(i));
        }
    }

    /** Every datagram waiting at the receiving end, in order. */
    private List<String> received() {
        final List<String> texts = new ArrayList<>();
        final MemorySegment buffer = arena.allocate(2048);
        long n;
        while ((n = Libc.read(receiver, buffer, buffer.byteSize())) > 0) {
            texts.add(new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        }
        return texts;
    }

    @Test
    void aFullSendBufferDropsTheDatagramItStoppedAtAndEveryOneAfterItAndCountsThem() {
        queue(0, DATAGRAMS);
        outbox.flush(sender);

        final List<String> received = received();
        assertThat(outbox.refused()).as("the receiving end holds fewer than %d", DATAGRAMS).isPositive();
        assertThat(received).as("sent in order, up to where the kernel said EAGAIN")
            .isEqualTo(IntStream.range(0, received.size()).mapToObj(DatagramOutboxTest::datagram).toList());
        assertThat(received.size() + outbox.refused()).isEqualTo(DATAGRAMS);
        assertThat(outbox.refusedBytes()).isEqualTo(IntStream.range(received.size(), DATAGRAMS)
            .mapToLong(i -> datagram(i).length()).sum());
        assertThat(outbox.unreachable()).as("a full buffer is not a port unreachable").isFalse();
        assertThat(outbox.isEmpty()).as("nothing is held for a later flush").isTrue();
    }

    @Test
    void theBatchAfterARefusedOneLeavesWholeOnceThereIsRoom() {
        queue(0, DATAGRAMS);
        outbox.flush(sender);
        final int first = received().size();

        queue(100, 103);
        outbox.flush(sender);

        assertThat(outbox.refused()).isZero();
        assertThat(outbox.refusedBytes()).isZero();
        assertThat(received()).as("after %d of the first batch", first)
            .containsExactly(datagram(100), datagram(101), datagram(102));
    }

    @Test
    void eachRefusedDatagramSentForAnOwnerIsReportedAsThatOwnersAndTheRestAsTheSockets() {
        final Refusals even = (datagrams, bytes) -> { };
        final Refusals byThree = (datagrams, bytes) -> { };
        final IntFunction<Refusals> owners = i -> i % 2 == 0 ? even : i % 3 == 0 ? byThree : null;
        queue(0, DATAGRAMS, owners);
        outbox.flush(sender);
        final int sent = received().size();
        assertThat(outbox.refused()).as("the receiving end holds fewer than %d", DATAGRAMS).isPositive();

        final List<Integer> dropped = IntStream.range(sent, DATAGRAMS).boxed().toList();
        final Map<Refusals, Long> expected = dropped.stream().filter(i -> owners.apply(i) != null)
            .collect(Collectors.groupingBy(owners::apply, Collectors.summingLong(i -> datagram(i).length())));
        final Map<Refusals, Long> reported = IntStream.range(0, outbox.refusedOwned()).boxed()
            .collect(Collectors.groupingBy(outbox::takeRefusedOwner, Collectors.summingLong(outbox::refusedOwnerBytes)));
        assertThat(reported).as("the owners' datagrams among the %d dropped", dropped.size()).isEqualTo(expected);
        assertThat(outbox.refusedOwned()).isEqualTo((int) dropped.stream().filter(i -> owners.apply(i) != null).count());
        assertThat(outbox.refusedBytes()).as("in all, owned or not")
            .isEqualTo(dropped.stream().mapToLong(i -> datagram(i).length()).sum());
    }
}
