package dev.niolb.transport.epoll;

import dev.niolb.transport.DatagramSocket.Refusals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Used on its loop's thread.
 *
 * Datagrams one UDP socket sends within one loop wake-up, copied into native memory and sent together by one
 * {@code sendmmsg} before the loop next waits ({@link DatagramOutboxes}): many flows' replies out of a listener's
 * socket, or a burst from one client written to its flow's socket, cost one syscall rather than one each.
 *
 * <pre>
 * struct mmsghdr (64 bytes on LP64): | name ptr @0 | namelen u32 @8 | iov ptr @16 | iovlen @24 | control ptr @32 |
 *                                    | controllen @40 | flags @48 | msg_len u32 @56 |
 * iovec (16 bytes): | base ptr | len |     name: a sockaddr_in or sockaddr_in6 (at most 28 bytes)
 * control: one cmsghdr (16 bytes) and an in_pktinfo (12) or in6_pktinfo (20): 40 bytes with padding
 * </pre>
 *
 * <p>Payloads are packed one after another in one region of {@link #DATA_BYTES}, which holds the largest datagram
 * the transport can send (a 64 KiB payload and a PROXY header): {@link #fits} says when the caller must flush first.
 * Nothing is allocated per datagram; the native memory (about 140 KiB) is allocated once, when a loop first
 * queues a datagram, and kept by the loop's pool until the loop closes.
 */
final class DatagramOutbox {
    static final int ENTRIES = 64;
    static final int DATA_BYTES = 128 * 1024;
    private static final int MMSGHDR = 64;
    private static final int IOVEC = 16;
    private static final int NAME_BYTES = 32;
    private static final int CONTROL_BYTES = PacketInfo.BYTES;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment headers = arena.allocate((long) ENTRIES * MMSGHDR, 8);
    private final MemorySegment iovecs = arena.allocate((long) ENTRIES * IOVEC, 8);
    private final MemorySegment names = arena.allocate((long) ENTRIES * NAME_BYTES, 8);
    private final MemorySegment controls = arena.allocate((long) ENTRIES * CONTROL_BYTES, 8);
    private final MemorySegment data = arena.allocate(DATA_BYTES, 8);
    private final long[] lengths = new long[ENTRIES];
    /** Who each datagram was sent for, when not the socket's owner (a flow's reply out of its listener's socket). */
    private final Refusals[] owners = new Refusals[ENTRIES];
    private int count;
    private long used;
    private long calls; // sendmmsg calls made: how well sends batch, for tests and profiling

    /** What the last {@link #flush} could not send: in all, and the part sent for owners of their own. */
    private int refused;
    private long refusedBytes;
    private boolean unreachable;
    private final Refusals[] refusedOwners = new Refusals[ENTRIES];
    private final long[] refusedOwnerBytes = new long[ENTRIES];
    private int refusedOwned;

    DatagramOutbox() {
        for (int i = 0; i < ENTRIES; i++) {
            headers.set(ValueLayout.ADDRESS, (long) i * MMSGHDR + 16, iovecs.asSlice((long) i * IOVEC, IOVEC));
            headers.set(ValueLayout.JAVA_LONG, (long) i * MMSGHDR + 24, 1L);
        }
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Whether one more datagram of {@code bytes} fits; when not, the caller flushes first. */
    boolean fits(final long bytes) {
        return count < ENTRIES && used + bytes <= DATA_BYTES;
    }

    /**
     * The region to copy the next datagram's {@code bytes} into ({@link #fits} said yes); {@link #add} then
     * queues it. The region is a view of the outbox's memory: valid until the next flush.
     */
    long nextOffset() {
        return used;
    }

    MemorySegment data() {
        return data;
    }

    /**
     * Queues the datagram of {@code bytes} the caller copied at {@link #nextOffset()}: to {@code nameLength} bytes
     * of address in {@code name} (0: a connected socket's peer), from {@code source} (4 or 16 bytes of the local
     * address to send from, as {@code IP_PKTINFO}/{@code IPV6_PKTINFO}; null: the kernel's choice), for
     * {@code owner} (who hears if it is refused; null: the socket's owner).
     */
    void add(final long bytes, final MemorySegment name, final int nameLength, final byte[] source,
             final Refusals owner) {
        final int i = count;
        final long h = (long) i * MMSGHDR;
        final long iov = (long) i * IOVEC;
        // pointers are stored as the addresses they are (LP64): no segment object per datagram
        iovecs.set(ValueLayout.JAVA_LONG, iov, data.address() + used);
        iovecs.set(ValueLayout.JAVA_LONG, iov + 8, bytes);
        if (nameLength > 0) {
            final long at = (long) i * NAME_BYTES;
            MemorySegment.copy(name, 0, names, at, nameLength);
            headers.set(ValueLayout.JAVA_LONG, h, names.address() + at);
        } else {
            headers.set(ValueLayout.JAVA_LONG, h, 0L);
        }
        headers.set(ValueLayout.JAVA_INT, h + 8, nameLength);
        if (source == null) {
            headers.set(ValueLayout.JAVA_LONG, h + 32, 0L);
            headers.set(ValueLayout.JAVA_LONG, h + 40, 0L);
        } else {
            headers.set(ValueLayout.JAVA_LONG, h + 40, PacketInfo.write(controls, (long) i * CONTROL_BYTES, source));
            headers.set(ValueLayout.JAVA_LONG, h + 32, controls.address() + (long) i * CONTROL_BYTES);
        }
        headers.set(ValueLayout.JAVA_INT, h + 48, 0);
        lengths[i] = bytes;
        owners[i] = owner;
        used += (bytes + 7) & ~7L;
        count++;
    }

    /**
     * Sends everything queued on {@code fd} and empties the outbox. A datagram the kernel refuses is dropped, as a
     * direct send would drop it: a full send buffer ({@code EAGAIN}, {@code ENOBUFS}) drops it and every one after
     * it; a refusal of that datagram alone ({@code EINVAL}, {@code EACCES}, ...) drops only it; {@code ECONNREFUSED}
     * on a connected socket (the ICMP port unreachable an earlier datagram drew) drops it and every one after it,
     * and is kept for the socket's owner to learn ({@link #unreachable()}). {@link #refused()} and
     * {@link #refusedBytes()} then say what was dropped, and {@link #refusedOwned()} how many of those datagrams
     * had an owner of their own ({@link #refusedOwner}, {@link #refusedOwnerBytes}).
     */
    void flush(final int fd) {
        refused = 0;
        refusedBytes = 0;
        refusedOwned = 0;
        unreachable = false;
        int at = 0;
        while (at < count) {
            // sendmmsg sends in order and stops at the first datagram it cannot send: the count sent, or -1 when
            // the first fails (the error of a later one is not reported, so the next call meets it first)
            calls++;
            final int n = Libc.sendmmsg(fd, at == 0 ? headers : headers.asSlice((long) at * MMSGHDR), count - at,
                Libc.MSG_DONTWAIT);
            if (n > 0) {
                at += n;
                continue;
            }
            final int errno = n == 0 ? Errors.EAGAIN : Libc.errno();
            if (errno == Errors.EINTR) {
                continue;
            }
            if (errno == Errors.EAGAIN || errno == Errors.ENOBUFS || errno == Errors.ECONNREFUSED) {
                unreachable = errno == Errors.ECONNREFUSED;
                drop(at, count);
                break;
            }
            drop(at, at + 1);
            at++;
        }
        Arrays.fill(owners, 0, count, null); // a closed flow is not kept alive by the loop's outbox
        count = 0;
        used = 0;
    }

    private void drop(final int from, final int to) {
        for (int i = from; i < to; i++) {
            refused++;
            refusedBytes += lengths[i];
            if (owners[i] != null) {
                refusedOwners[refusedOwned] = owners[i];
                refusedOwnerBytes[refusedOwned] = lengths[i];
                refusedOwned++;
            }
        }
    }

    /** {@code sendmmsg} calls made so far. */
    long calls() {
        return calls;
    }

    /** Datagrams the last {@link #flush} dropped. */
    int refused() {
        return refused;
    }

    long refusedBytes() {
        return refusedBytes;
    }

    /** How many of the datagrams the last {@link #flush} dropped were sent for an owner of their own. */
    int refusedOwned() {
        return refusedOwned;
    }

    /** The owner of the {@code i}th of them; the reference is let go (the caller reports to it once). */
    Refusals takeRefusedOwner(final int i) {
        final Refusals owner = refusedOwners[i];
        refusedOwners[i] = null;
        return owner;
    }

    long refusedOwnerBytes(final int i) {
        return refusedOwnerBytes[i];
    }

    /** Whether the last {@link #flush} met an ICMP port unreachable (a connected socket's peer is not there). */
    boolean unreachable() {
        return unreachable;
    }

    void close() {
        count = 0;
        arena.close();
    }
}
