package dev.niolb.transport.epoll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Used on its socket's event loop.
 *
 * A listening UDP socket's batch: {@code recvmmsg} takes up to {@link #SLOTS} datagrams in one syscall, and
 * {@code receive} hands them out one by one, so a loop busy with many clients makes one syscall per batch rather
 * than per datagram. Each slot holds the largest UDP payload, so no datagram is cut.
 *
 * <pre>
 * struct mmsghdr (64 bytes on LP64: x86-64, arm64)
 *   msghdr: | name ptr @0 | namelen u32 @8 | iov ptr @16 | iovlen @24 | control ptr @32 | controllen @40 | flags @48 |
 *   msg_len u32 @56
 * struct iovec (16 bytes): | base ptr | len |
 * </pre>
 *
 * <p>Native memory: about 1 MiB per listening UDP socket (one per loop and UDP listener), freed when the socket
 * closes. A flow's connected socket has no batch of its own: it borrows its loop's ({@link SharedDatagramBatch}).
 */
final class DatagramBatch {
    static final int SLOTS = 16;
    static final int SLOT_BYTES = 65_536;
    private static final int MMSGHDR = 64;
    private static final int IOVEC = 16;
    private static final int NAME_BYTES = 128;
    /** Room for one {@code IP_PKTINFO} or {@code IPV6_PKTINFO} control message (and then some). */
    private static final int CONTROL_BYTES = 64;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment headers = arena.allocate((long) SLOTS * MMSGHDR, 8);
    private final MemorySegment names = arena.allocate((long) SLOTS * NAME_BYTES, 8);
    private final MemorySegment data = arena.allocate((long) SLOTS * SLOT_BYTES, 8);
    private final MemorySegment controls = arena.allocate((long) SLOTS * CONTROL_BYTES, 8);
    private boolean withControl;
    private int count;
    private int next;

    DatagramBatch() {
        final MemorySegment iovecs = arena.allocate((long) SLOTS * IOVEC, 8);
        for (int i = 0; i < SLOTS; i++) {
            final long h = (long) i * MMSGHDR;
            iovecs.set(ValueLayout.ADDRESS, (long) i * IOVEC, data.asSlice((long) i * SLOT_BYTES, SLOT_BYTES));
            iovecs.set(ValueLayout.JAVA_LONG, (long) i * IOVEC + 8, SLOT_BYTES);
            headers.set(ValueLayout.ADDRESS, h, names.asSlice((long) i * NAME_BYTES, NAME_BYTES));
            headers.set(ValueLayout.ADDRESS, h + 16, iovecs.asSlice((long) i * IOVEC, IOVEC));
            headers.set(ValueLayout.JAVA_LONG, h + 24, 1L);
        }
    }

    /** Asks for each datagram's control messages from now on (the socket has {@code IP_PKTINFO} on). */
    void withControl() {
        withControl = true;
        for (int i = 0; i < SLOTS; i++) {
            headers.set(ValueLayout.ADDRESS, (long) i * MMSGHDR + 32, controls.asSlice((long) i * CONTROL_BYTES,
                CONTROL_BYTES));
        }
    }

    /**
     * Where the next datagram was sent to, from its {@code IP_PKTINFO}/{@code IPV6_PKTINFO} control message,
     * written into {@code into} (4 or 16 bytes): the count written, 0 when there is none.
     *
     * <pre>
     * cmsghdr (LP64): | cmsg_len u64 | cmsg_level i32 | cmsg_type i32 | data @16 |
     * in_pktinfo:     | ifindex i32 | spec_dst 4 | addr 4 @8 |     in6_pktinfo: | addr 16 @0 | ifindex i32 |
     * </pre>
     */
    int destination(final byte[] into) {
        if (!withControl) {
            return 0;
        }
        final long base = (long) next * CONTROL_BYTES;
        final long length = headers.get(ValueLayout.JAVA_LONG, (long) next * MMSGHDR + 40);
        long at = 0;
        while (at + 16 <= length) {
            final long cmsgLength = controls.get(ValueLayout.JAVA_LONG, base + at);
            final int level = controls.get(ValueLayout.JAVA_INT, base + at + 8);
            final int type = controls.get(ValueLayout.JAVA_INT, base + at + 12);
            if (level == Libc.IPPROTO_IP && type == Libc.IP_PKTINFO && cmsgLength >= 16 + 12) {
                MemorySegment.copy(controls, ValueLayout.JAVA_BYTE, base + at + 16 + 8, into, 0, 4);
                return 4;
            }
            if (level == Libc.IPPROTO_IPV6 && type == Libc.IPV6_PKTINFO && cmsgLength >= 16 + 20) {
                MemorySegment.copy(controls, ValueLayout.JAVA_BYTE, base + at + 16, into, 0, 16);
                return 16;
            }
            if (cmsgLength < 16) {
                return 0;
            }
            at += (cmsgLength + 7) & ~7L;
        }
        return 0;
    }

    /** Whether datagrams taken by the last {@link #fill} are still to be handed out. */
    boolean hasNext() {
        return next < count;
    }

    /** Takes what is queued on {@code fd}, up to {@link #SLOTS}: the count, or -1 with errno set. */
    int fill(final int fd) {
        for (int i = 0; i < SLOTS; i++) {
            headers.set(ValueLayout.JAVA_INT, (long) i * MMSGHDR + 8, NAME_BYTES); // in-out: reset each time
            if (withControl) {
                headers.set(ValueLayout.JAVA_LONG, (long) i * MMSGHDR + 40, CONTROL_BYTES);
            }
        }
        final int n = Libc.recvmmsg(fd, headers, SLOTS, Libc.MSG_DONTWAIT);
        count = Math.max(n, 0);
        next = 0;
        return n;
    }

    /**
     * Copies the next datagram into {@code dst} at {@code offset}, at most {@code room} bytes (what does not fit
     * is lost, as a receive into a short buffer loses it), and returns the count copied.
     */
    int copyNext(final MemorySegment dst, final long offset, final long room) {
        final int length = headers.get(ValueLayout.JAVA_INT, (long) next * MMSGHDR + 56);
        final long copied = Math.min(length, room);
        MemorySegment.copy(data, (long) next * SLOT_BYTES, dst, offset, copied);
        return (int) copied;
    }

    /** The names' array: the next datagram's sender is at {@link #senderOffset()}. */
    MemorySegment names() {
        return names;
    }

    long senderOffset() {
        return (long) next * NAME_BYTES;
    }

    int senderLength() {
        return headers.get(ValueLayout.JAVA_INT, (long) next * MMSGHDR + 8);
    }

    void advance() {
        next++;
    }

    /** Drops the datagrams not handed out yet (their socket closed). */
    void discard() {
        count = 0;
        next = 0;
    }

    void close() {
        count = 0;
        next = 0;
        arena.close();
    }
}
