package dev.niolb.transport.epoll;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * The loop thread of the listener's socket that owns it.
 *
 * The client addresses a listener's UDP socket met lately, both ways: the address object for a sender's
 * {@code sockaddr} bytes, and the {@code sockaddr} bytes for an address a reply goes to. Without it a listener
 * whose clients take turns (two ping-pongs interleaved, a resolver's clients) makes an {@link InetSocketAddress}
 * (four objects) per datagram received and asks an address for its bytes (a new array) per reply: a socket keeps
 * only its last address, which is all a flow's socket, with its one server, needs.
 *
 * <p>Direct-mapped, {@value #SLOTS} slots a direction: a client whose slot another took costs what it cost before,
 * once. Received addresses are keyed by their bytes, sent ones by the object (a reply goes to the very object its
 * flow was given when the client's first datagram came).
 */
final class RecentAddresses {
    static final int SLOTS = 64;
    /** The longs of one {@code sockaddr}: bytes 0–7, 8–15, 16–23, and 24–27 (an IPv6 scope). */
    private static final int LONGS = 4;
    private static final long FIBONACCI = 0x9E3779B97F4A7C15L;

    private final InetSocketAddress[] senders = new InetSocketAddress[SLOTS];
    private final long[] senderBytes = new long[SLOTS * LONGS];
    private final int[] senderLengths = new int[SLOTS];

    private final InetSocketAddress[] destinations = new InetSocketAddress[SLOTS];
    private final long[] destinationBytes = new long[SLOTS * LONGS];
    private final int[] destinationLengths = new int[SLOTS];

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

    /** The top bits of a mixed hash: the well-mixed ones. */
    private static int slot(final long mixed) {
        return (int) (mixed >>> (Long.SIZE - Integer.numberOfTrailingZeros(SLOTS)));
    }
}
