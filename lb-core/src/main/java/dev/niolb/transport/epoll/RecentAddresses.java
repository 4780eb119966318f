package dev.niolb.transport.epoll;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * The loop thread of the listener's socket that owns it.
 *
 * The addresses a UDP socket met lately, both ways: the address object for a sender's {@code sockaddr} bytes, and
 * the {@code sockaddr} bytes for an address a datagram goes to. Without it a socket makes an
 * {@link InetSocketAddress} (four objects) per datagram received and asks an address for its bytes (a new array)
 * per send. A flow's socket meets one address, its server's, and has one slot; a listener's, whose clients take
 * turns (two ping-pongs interleaved, a resolver's clients), has {@value #LISTENER_SLOTS}.
 *
 * <p>Direct-mapped, the same number of slots each way: an address whose slot another took costs what it cost
 * without the cache, once. Received addresses are keyed by their bytes, sent ones by the object (a reply goes to
 * the very object its flow was given when the client's first datagram came).
 */
final class RecentAddresses {
    static final int LISTENER_SLOTS = 64;
    /** The longs of one {@code sockaddr}: bytes 0–7, 8–15, 16–23, and 24–27 (an IPv6 scope). */
    private static final int LONGS = 4;
    private static final long FIBONACCI = 0x9E3779B97F4A7C15L;

    private final int mask;
    private final int shift;
    private final InetSocketAddress[] senders;
    private final long[] senderBytes;
    private final int[] senderLengths;
    private final InetSocketAddress[] destinations;
    private final long[] destinationBytes;
    private final int[] destinationLengths;

    /** A cache of {@code slots} addresses each way; a power of two. */
    RecentAddresses(final int slots) {
        if (slots <= 0 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        mask = slots - 1;
        shift = Long.SIZE - Integer.numberOfTrailingZeros(slots); // 64 for one slot: a shift by 0, masked to 0
        senders = new InetSocketAddress[slots];
        senderBytes = new long[slots * LONGS];
        senderLengths = new int[slots];
        destinations = new InetSocketAddress[slots];
        destinationBytes = new long[slots * LONGS];
        destinationLengths = new int[slots];
    }

    /** The sender whose {@code length} bytes of {@code sockaddr} are at {@code offset} in {@code names}. */
    InetSocketAddress sender(final MemorySegment names, final long offset, final int length) throws IOException {
        final long b0 = names.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
        final long b1 = names.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8);
        final long b2 = length > 16 ? names.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + 16) : 0L;
        final long b3 = length > 24 ? names.get(ValueLayout.JAVA_INT_UNALIGNED, offset + 24) : 0L;
        final int slot = slot((b0 ^ b1 * 31 ^ b2 * 961 ^ b3 * 29_791) * FIBONACCI);
        final int at = slot * LONGS;
        final InetSocketAddress known = senders[slot];
        if (known != null && senderLengths[slot] == length && senderBytes[at] == b0 && senderBytes[at + 1] == b1
            && senderBytes[at + 2] == b2 && senderBytes[at + 3] == b3) {
            return known;
        }
        final InetSocketAddress sender = SocketAddresses.read(names.asSlice(offset), length);
        senders[slot] = sender;
        senderLengths[slot] = length;
        senderBytes[at] = b0;
        senderBytes[at + 1] = b1;
        senderBytes[at + 2] = b2;
        senderBytes[at + 3] = b3;
        return sender;
    }

    /** Writes {@code to} into {@code into} as a socket of {@code family} takes it, and returns the length. */
    int write(final InetSocketAddress to, final int family, final MemorySegment into) throws IOException {
        final int slot = slot(to.hashCode() * FIBONACCI);
        final int at = slot * LONGS;
        if (destinations[slot] == to) {
            final int length = destinationLengths[slot];
            into.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, destinationBytes[at]);
            into.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, destinationBytes[at + 1]);
            if (length > 16) {
                into.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, destinationBytes[at + 2]);
                into.set(ValueLayout.JAVA_INT_UNALIGNED, 24, (int) destinationBytes[at + 3]);
            }
            return length;
        }
        final int length = SocketAddresses.write(to, family, into);
        destinations[slot] = to;
        destinationLengths[slot] = length;
        destinationBytes[at] = into.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        destinationBytes[at + 1] = into.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        destinationBytes[at + 2] = length > 16 ? into.get(ValueLayout.JAVA_LONG_UNALIGNED, 16) : 0L;
        destinationBytes[at + 3] = length > 24 ? into.get(ValueLayout.JAVA_INT_UNALIGNED, 24) : 0L;
        return length;
    }

    /** The top bits of a mixed hash: the well-mixed ones (a multiplication carries a low bit's change only up). */
    private int slot(final long mixed) {
        return (int) (mixed >>> shift) & mask;
    }
}
