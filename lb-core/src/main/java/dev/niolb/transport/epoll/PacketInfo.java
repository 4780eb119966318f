package dev.niolb.transport.epoll;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Used on the thread that owns the memory it writes.
 *
 * The control message that names the local address a datagram leaves from: one {@code cmsghdr} and an
 * {@code in_pktinfo} ({@code IP_PKTINFO}) or {@code in6_pktinfo} ({@code IPV6_PKTINFO}), as a single
 * {@code sendmsg} and a {@code sendmmsg} batch both need it.
 *
 * <pre>
 * cmsghdr (LP64): | cmsg_len u64 @0 | cmsg_level i32 @8 | cmsg_type i32 @12 | data @16 |
 * in_pktinfo:     | ipi_ifindex @0 | ipi_spec_dst @4 | ipi_addr @8 |   in6_pktinfo: | ipi6_addr @0 | ifindex @16 |
 * </pre>
 */
final class PacketInfo {
    /** Room for either message, padded: 40 bytes. */
    static final int BYTES = 40;

    private PacketInfo() {
    }

    /**
     * Writes the message naming {@code source} (4 or 16 bytes) at {@code at} in {@code into}, every field it does
     * not set zeroed (an interface index of 0 lets routing choose); returns the control length to give the kernel.
     */
    static long write(final MemorySegment into, final long at, final byte[] source) {
        for (long o = 0; o < BYTES; o += 8) {
            into.set(ValueLayout.JAVA_LONG, at + o, 0L);
        }
        if (source.length == 4) {
            into.set(ValueLayout.JAVA_LONG, at, 16 + 12); // cmsg_len: the header and an in_pktinfo
            into.set(ValueLayout.JAVA_INT, at + 8, Libc.IPPROTO_IP);
            into.set(ValueLayout.JAVA_INT, at + 12, Libc.IP_PKTINFO);
            MemorySegment.copy(source, 0, into, ValueLayout.JAVA_BYTE, at + 16 + 4, 4); // ipi_spec_dst
            return 32;
        }
        into.set(ValueLayout.JAVA_LONG, at, 16 + 20); // the header and an in6_pktinfo
        into.set(ValueLayout.JAVA_INT, at + 8, Libc.IPPROTO_IPV6);
        into.set(ValueLayout.JAVA_INT, at + 12, Libc.IPV6_PKTINFO);
        MemorySegment.copy(source, 0, into, ValueLayout.JAVA_BYTE, at + 16, 16);
        return 40;
    }
}
