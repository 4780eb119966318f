package dev.niolb.transport.epoll;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Used by the one poller that owns the array.
 *
 * An array of {@code struct epoll_event}, whose layout differs by architecture: packed on x86-64 (the kernel
 * declares it {@code __attribute__((packed))} there), naturally aligned elsewhere.
 *
 * <pre>
 * x86-64 (12 bytes): | events u32 | data u64 (unaligned, offset 4) |
 * arm64  (16 bytes): | events u32 | pad u32 | data u64 (offset 8)  |
 * </pre>
 *
 * <p>Other architectures are refused when the transport loads ({@link #supported()}): a wrong layout would
 * read garbage, not fail.
 */
final class EpollEvents {
    static final int SIZE;
    static final long DATA_OFFSET;
    private static final String ARCH = System.getProperty("os.arch");

    static {
        if ("amd64".equals(ARCH) || "x86_64".equals(ARCH)) {
            SIZE = 12;
            DATA_OFFSET = 4;
        } else {
            SIZE = 16;
            DATA_OFFSET = 8;
        }
    }

    private EpollEvents() {
    }

    /** Whether this architecture's layout is known: x86-64 and arm64. */
    static boolean supported() {
        return "amd64".equals(ARCH) || "x86_64".equals(ARCH) || "aarch64".equals(ARCH);
    }

    static String arch() {
        return ARCH;
    }

    static int events(final MemorySegment array, final int i) {
        return array.get(ValueLayout.JAVA_INT_UNALIGNED, (long) i * SIZE);
    }

    static long data(final MemorySegment array, final int i) {
        return array.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * SIZE + DATA_OFFSET);
    }

    static void set(final MemorySegment array, final int i, final int events, final long data) {
        array.set(ValueLayout.JAVA_INT_UNALIGNED, (long) i * SIZE, events);
        array.set(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * SIZE + DATA_OFFSET, data);
    }
}
