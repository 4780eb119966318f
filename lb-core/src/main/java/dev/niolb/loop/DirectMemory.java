package dev.niolb.loop;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Whether a relay pool may allocate another direct buffer, asked before it does. An event loop must never ask
 * the JDK for direct memory it does not have: {@code ByteBuffer.allocateDirect} past
 * {@code -XX:MaxDirectMemorySize} runs {@code System.gc()} and sleeps, up to half a second, before it throws,
 * and a loop that asks for every session it serves stalled for tens of seconds, its other sessions, the admin
 * API's stats and its own recovery with it (black-box testing, session 24: 700 clients that never read, 1 MiB
 * buffers). So a pool asks here first and fails at once, and the memory that released buffers left to the
 * collector still hold is reclaimed by a collection on a thread of its own, not on the loop.
 *
 * <p>The bound leaves {@link #headroom} to the JDK's own users of direct memory (the temporary buffers of heap
 * buffer I/O, the admin server's) so that they do not meet the same stall. Threadsafe: the JDK's count is an
 * atomic; the reclaimer is one daemon thread, woken without allocating.
 */
public final class DirectMemory {
    private static final long MIN_HEADROOM = 8L << 20;
    /** A collection at most this often: each is a whole cycle of the collector. */
    private static final long RECLAIM_INTERVAL_NANOS = 1_000_000_000L;

    private static final DirectMemory JVM = new DirectMemory(directCapacity(), maxDirectMemory());

    private final LongSupplier used;
    private final long limit;
    private volatile boolean reclaimAsked;
    private volatile Thread reclaimer;
    private volatile long reclaims; // written by the reclaimer only, read by anyone

    /** @param used the bytes of direct buffers allocated now; {@code max} the most there may be */
    DirectMemory(final LongSupplier used, final long max) {
        this.used = used;
        this.limit = max - headroom(max);
    }

    /** The JVM's direct memory, as the relay pools share it. */
    public static DirectMemory jvm() {
        return JVM;
    }

    /**
     * What the pools leave to the JDK's other users: an eighth of the maximum, at least 8 MiB, at most half (a
     * JVM given only a few MiB still relays).
     */
    static long headroom(final long max) {
        return Math.min(max / 2, Math.max(MIN_HEADROOM, max / 8));
    }

    /** The bound the pools allocate below: the maximum less {@link #headroom}. */
    public long limit() {
        return limit;
    }

    /**
     * Whether {@code bytes} more fit under {@link #limit}. When they do not, a collection is asked for (it frees
     * the buffers pools let go that the collector has not reclaimed yet), and the caller goes without.
     */
    public boolean roomFor(final int bytes) {
        if (used.getAsLong() + bytes <= limit) {
            return true;
        }
        reclaim();
        return false;
    }

    /** Collections run because a pool found no room. */
    public long reclaims() {
        return reclaims;
    }

    private void reclaim() {
        if (reclaimAsked) {
            return;
        }
        reclaimAsked = true;
        Thread t = reclaimer;
        if (t == null) {
            synchronized (this) {
                t = reclaimer;
                if (t == null) {
                    t = Thread.ofPlatform().daemon().name("niolb-direct-reclaim").start(this::reclaimLoop);
                    reclaimer = t;
                }
            }
        }
        LockSupport.unpark(t);
    }

    private void reclaimLoop() {
        long last = System.nanoTime() - RECLAIM_INTERVAL_NANOS;
        while (true) {
            while (!reclaimAsked) {
                LockSupport.park(this);
            }
            final long wait = last + RECLAIM_INTERVAL_NANOS - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            last = System.nanoTime();
            // the cleaners of unreachable direct buffers free their memory after a collection found them
            System.gc();
            reclaims++;
            reclaimAsked = false;
        }
    }

    /** The JDK's own count of direct buffer capacity, the one {@code allocateDirect} checks (an atomic read). */
    private static LongSupplier directCapacity() {
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool::getTotalCapacity;
            }
        }
        return () -> 0; // a JVM without the pool's bean: the JDK's own check is all there is
    }

    /** {@code -XX:MaxDirectMemorySize}, or what the JDK takes when it is not set: the heap's maximum. */
    static long maxDirectMemory() {
        try {
            final HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            final long set = Long.parseLong(vm.getVMOption("MaxDirectMemorySize").getValue());
            return set > 0 ? set : Runtime.getRuntime().maxMemory();
        } catch (final RuntimeException e) {
            return Runtime.getRuntime().maxMemory();
        }
    }
}
