package dev.niolb.loop;

import java.nio.ByteBuffer;

/**
 * Direct buffers of one size, reused LIFO so that the buffer the next read gets is the one still warm in cache.
 *
 * <p>Not threadsafe: owned by one {@link EventLoop}. Buffers are taken when a direction has bytes to move and
 * returned as soon as they are written out, so an idle session holds none. At most {@code maxPooled} free
 * buffers are kept; more are left to the garbage collector (and their native memory to its cleaner).
 */
public final class BufferPool {
    private final int bufferSize;
    private final ByteBuffer[] free;
    private int freeCount;
    private long allocated;
    private int inUse;

    public BufferPool(final int bufferSize, final int maxPooled) {
        if (bufferSize < 1 || maxPooled < 0) {
            throw new IllegalArgumentException("bad pool size");
        }
        this.bufferSize = bufferSize;
        this.free = new ByteBuffer[maxPooled];
    }

    /** A cleared buffer in fill mode. */
    public ByteBuffer acquire() {
        inUse++;
        if (freeCount > 0) {
            final ByteBuffer b = free[--freeCount];
            free[freeCount] = null;
            return b;
        }
        allocated++;
        return ByteBuffer.allocateDirect(bufferSize);
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
