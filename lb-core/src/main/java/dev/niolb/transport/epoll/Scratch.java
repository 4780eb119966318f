package dev.niolb.transport.epoll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One thread's.
 *
 * Native memory a thread's calls pass to libc and read back at once (an address, its length, an option's
 * value): allocated once per thread, so that no call allocates. Nothing is kept in it between calls.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> MINE = ThreadLocal.withInitial(Scratch::new);
    /** {@code struct sockaddr_storage}: room for any address. */
    private static final int ADDRESS_BYTES = 128;
    /** The largest UDP payload plus room for a PROXY v2 header: what a gathered datagram can be. */
    static final int DATAGRAM_BYTES = 65_536 + 256;

    final MemorySegment address;
    final MemorySegment length;
    final MemorySegment option;
    /**
     * A {@code sendmsg} message: {@code msghdr} @0 (56 bytes), its one {@code iovec} @64, its control buffer @80
     * (one {@code IP_PKTINFO} or {@code IPV6_PKTINFO}); the pointers between them are set once, here.
     */
    final MemorySegment message;
    private final Arena arena;
    private MemorySegment datagram;

    private Scratch() {
        this.arena = Arena.ofAuto();
        this.address = arena.allocate(ADDRESS_BYTES, 8);
        this.length = arena.allocate(ValueLayout.JAVA_INT);
        this.option = arena.allocate(8, 8);
        this.message = arena.allocate(128, 8);
        message.set(ValueLayout.ADDRESS, 0, address);
        message.set(ValueLayout.ADDRESS, 16, message.asSlice(64, 16));
        message.set(ValueLayout.JAVA_LONG, 24, 1L);
        message.set(ValueLayout.ADDRESS, 32, message.asSlice(80, 40));
        this.datagram = null;
    }

    static Scratch mine() {
        return MINE.get();
    }

    /** Room to gather one datagram in, made the first time a thread needs it. */
    MemorySegment datagram() {
        if (datagram == null) {
            datagram = arena.allocate(DATAGRAM_BYTES, 8);
        }
        return datagram;
    }

    /** Sets {@link #length} to {@code value} and returns it (an in-out length for accept, getsockname). */
    MemorySegment length(final int value) {
        length.set(ValueLayout.JAVA_INT, 0, value);
        return length;
    }

    int addressCapacity() {
        return ADDRESS_BYTES;
    }
}
