package dev.niolb.testing;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * This JVM's direct {@code ByteBuffer} memory, read from its {@link BufferPoolMXBean} after a full collection,
 * so that buffers nobody holds any more have been freed by their cleaners and only live ones count.
 */
public final class DirectMemory {
    private static final BufferPoolMXBean DIRECT = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
        .stream().filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();

    private DirectMemory() {
    }

    /** Bytes of direct buffers now, unsettled (no collection first). */
    public static long used() {
        return DIRECT.getMemoryUsed();
    }

    /** Bytes of live direct buffers: collects, lets the cleaners run, until two readings agree (at most ~1 s). */
    public static long usedAfterGc() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 30; i++) {
            System.gc();
            Thread.sleep(30);
            final long now = DIRECT.getMemoryUsed();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }
}
