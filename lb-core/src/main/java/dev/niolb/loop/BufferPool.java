package dev.niolb.loop;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * Owned by one event loop.
 *
 * Direct buffers of one size, reused LIFO so that the buffer the next read gets is the one still warm in cache.
 *
 * <p>Not threadsafe: owned by one {@link EventLoop}. Buffers are taken when a direction has bytes to move and
 * returned as soon as they are written out, so an idle session holds none. At most {@code maxPooled} free
 * buffers are kept; more are left to the garbage collector (and their native memory to its cleaner).
 *
 * <p>When direct memory is exhausted ({@code -XX:MaxDirectMemorySize}) {@link #acquire} returns {@code null}
 * and counts it, at once: it asks {@link DirectMemory} before it allocates, since the JDK's own refusal costs
 * the loop a collection and up to half a second of sleep per buffer asked for.
 */
public final class BufferPool {
    private final int bufferSize;
    private final IntFunction<ByteBuffer> allocator;
    private final DirectMemory memory;
    private final ByteBuffer[] free;
    private int freeCount;
    private long allocated;
    private int inUse;
    private long allocationFailures;

    public BufferPool(final int bufferSize, final int maxPooled) {
        this(bufferSize, maxPooled, ByteBuffer::allocateDirect, DirectMemory.jvm());
    }

    /** @param allocator makes a new buffer of the given size (tests make it fail) */
    public BufferPool(final int bufferSize, final int maxPooled, final IntFunction<ByteBuffer> allocator) {
        this(bufferSize, maxPooled, allocator, DirectMemory.jvm());
    }

    /**
     * @param allocator makes a new buffer of the given size (tests make it fail)
     * @param memory    asked before each allocation
     */
    public BufferPool(final int bufferSize, final int maxPooled, final IntFunction<ByteBuffer> allocator,
                      final DirectMemory memory) {
        if (bufferSize < 1 || maxPooled < 0) {
            throw new IllegalArgumentException("bad pool size");
        }
        this.bufferSize = bufferSize;
        this.allocator = allocator;
        this.memory = memory;
        this.free = new ByteBuffer[maxPooled];
    }

    /** A cleared buffer in fill mode, or {@code null} when no more direct memory can be had. */
    public ByteBuffer acquire() {
        if (freeCount > 0) {
            inUse++;
            final ByteBuffer b = free[--freeCount];
            free[freeCount] = null;
            return b;
        }
        if (!memory.roomFor(bufferSize)) {
            allocationFailures++;
            return null;
        }
        final ByteBuffer b;
        try {
            b = allocator.apply(bufferSize);
        } catch (final OutOfMemoryError e) {
            allocationFailures++;
            return null;
        }
        allocated++;
        inUse++;
        return b;
    }

    /** Times {@link #acquire} found no direct memory left. */
    public long allocationFailures() {
        return allocationFailures;
    }

    /** Gives a buffer back; the caller must drop its reference. */
    public void release(final ByteBuffer buffer) {
        inUse--;
        buffer.clear();
        if (freeCount < free.length) {
            free[freeCount++] = buffer;
        }
    }

    public int bufferSize() {
        return bufferSize;
    }

    /** Buffers handed out and not yet returned. */
    public int inUse() {
        return inUse;
    }

    /** Buffers ever allocated by this pool. */
    public long allocated() {
        return allocated;
    }

    public int pooled() {
        return freeCount;
    }
}
