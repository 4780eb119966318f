package dev.niolb.transport;

import dev.niolb.loop.BufferPool;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Runs on its session's event loop.
 *
 * <p>One direction of a TCP session through a pooled direct buffer: the relay every transport has.
 *
 * <p>Buffering: a pooled direct buffer is taken only when the source is readable and given back as soon as its
 * bytes are written out, so an idle direction holds none and the pool's LIFO order hands the next read a
 * cache-warm buffer. The same buffer the kernel read into is written from: no copy in user space. While a
 * write is partial the buffer stays, the source is not read ({@link #wantsRead()} is false) and the destination
 * waits for writability ({@link #wantsWrite()}): backpressure, and at most one buffer per direction, whatever
 * the speeds of the two peers.
 *
 * <p>Half-close: end of stream from the source becomes {@code shutdownOutput} on the destination once every byte
 * before it has been written; the other direction is unaffected.
 */
public final class BufferRelay implements StreamRelay {
    /** A read that filled the buffer may have left more behind; a few more reads per wake-up save a select. */
    private static final int MAX_READS_PER_WAKEUP = 4;
    /**
     * What a buffer read ahead of the connect leaves free before the bytes, for a PROXY protocol header to go in
     * front of them without a copy (the longest niolb writes is 104 bytes).
     */
    public static final int HEADER_ROOM = 128;
    /** The source's end shuts the destination's output down (a FIN). */
    public static final byte END_SHUTS = 0;
    /** {@link #closeFollows}: the session's close sends the FIN. */
    public static final byte END_CLOSE_FOLLOWS = 1;
    /** {@link #abortSource}: the end is the source's failure, not one to pass on. */
    public static final byte END_ABORTED = 2;

    private final BufferPool pool;
    private StreamSocket src;
    private StreamSocket dst;
    private ByteBuffer buffer;
    /** The buffer is a copy of bytes read ahead ({@link #parkAhead}), not the pool's. */
    private boolean parked;
    private boolean srcEnded;
    private boolean dstShut;
    /** What the source's end does: {@link #END_SHUTS}, {@link #END_CLOSE_FOLLOWS} or {@link #END_ABORTED}. */
    private byte onEnd = END_SHUTS;
    private long bytes;

    public BufferRelay(final BufferPool pool) {
        this.pool = pool;
    }

    @Override
    public void connect(final StreamSocket src, final StreamSocket dst) {
        this.src = src;
        this.dst = dst;
    }

    /** The source is readable: read and write on as much as the destination takes now. */
    @Override
    public int onReadable() {
        for (int i = 0; i < MAX_READS_PER_WAKEUP; i++) {
            final ByteBuffer b = pool.acquire();
            if (b == null) {
                return NO_BUFFER;
            }
            buffer = b;
            final int n;
            try {
                n = src.read(b);
            } catch (final IOException e) {
                releaseBuffer(); // empty: nothing of it may be taken for bytes to write (a lingering session writes on)
                return SRC_FAILED;
            }
            if (n <= 0) {
                releaseBuffer();
                if (n < 0) {
                    srcEnded = true;
                    return shutdownDst();
                }
                return OK;
            }
            bytes += n;
            b.flip();
            // a read shorter than the buffer, once the source's FIN has arrived, took all there was before it: the
            // end needs no read of its own, and the destination's FIN can leave in the same segment as these bytes.
            // (Not so after TCP urgent data, where a read stops at the mark: a socket that has had urgent data does
            // not say its end is seen, so the end is read as such; see EpollStreamSocket#endSeen.)
            final boolean last = onEnd != END_ABORTED && n < b.capacity() && src.endSeen();
            try {
                if (last) {
                    srcEnded = true;
                    dst.writeLast(b);
                } else {
                    dst.write(b);
                }
            } catch (final IOException e) {
                return DST_FAILED;
            }
            if (b.hasRemaining()) {
                return OK; // keep the buffer; wait for the destination to drain (then the end goes on)
            }
            releaseBuffer();
            if (last) {
                return shutdownDst();
            }
            if (n < b.capacity()) {
                return OK; // the source had no more than this: nothing left to read now
            }
        }
        return OK;
    }

    /** Reads into a pooled buffer after {@link #HEADER_ROOM} bytes of room, and holds what came. */
    @Override
    public int readAhead(final StreamSocket source) {
        this.src = source;
        final ByteBuffer b = pool.acquire();
        if (b == null) {
            return OK; // the bytes wait in the kernel until the relay reads them
        }
        if (b.capacity() <= HEADER_ROOM) {
            pool.release(b);
            return OK;
        }
        b.position(HEADER_ROOM);
        final int n;
        try {
            n = source.read(b);
        } catch (final IOException e) {
            pool.release(b);
            return SRC_FAILED;
        }
        if (n <= 0) {
            pool.release(b); // nothing yet, or the end, which a read finds again once connected
            return OK;
        }
        b.limit(HEADER_ROOM + n);
        b.position(HEADER_ROOM);
        buffer = b;
        return OK;
    }

    @Override
    public void parkAhead() {
        final ByteBuffer b = buffer;
        if (b == null || parked) {
            return;
        }
        final ByteBuffer copy = ByteBuffer.allocate(HEADER_ROOM + b.remaining());
        copy.position(HEADER_ROOM);
        copy.put(b);
        copy.flip();
        copy.position(HEADER_ROOM);
        pool.release(b);
        buffer = copy;
        parked = true;
    }

    @Override
    public ByteBuffer ahead() {
        return buffer;
    }

    /**
     * Writes {@code header} (not counted as relayed bytes: a PROXY protocol header for the server) and then
     * {@code early} (bytes the source sent before the relay started: counted) to the destination, ahead of anything
     * read from the source; or the header and the bytes read ahead ({@link #readAhead}), which never come with
     * {@code early}. What the destination does not take at once stays pending as after a partial write,
     * so the source is not read until it is written. Either may be null; together they must fit in one buffer.
     */
    @Override
    public int prime(final ByteBuffer header, final ByteBuffer early) {
        ByteBuffer b = buffer;
        if (b != null) {
            if (early != null) {
                throw new IllegalStateException("bytes read ahead and bytes after a PROXY header at once");
            }
            bytes += b.limit() - HEADER_ROOM; // with any the connect wrote (ahead())
            if (header != null) {
                if (b.position() != HEADER_ROOM) {
                    throw new IllegalStateException("a header after bytes read ahead were written");
                }
                final int start = b.position() - header.remaining();
                if (start < 0) {
                    throw new IllegalStateException("a header of " + header.remaining() + " bytes");
                }
                b.put(start, header, header.position(), header.remaining());
                b.position(start);
            }
        } else {
            b = pool.acquire();
            if (b == null) {
                return NO_BUFFER;
            }
            buffer = b;
            if (header != null) {
                b.put(header);
            }
            if (early != null) {
                bytes += early.remaining();
                b.put(early);
            }
            b.flip();
        }
        try {
            dst.write(b);
        } catch (final IOException e) {
            return DST_FAILED;
        }
        if (!b.hasRemaining()) {
            releaseBuffer();
        }
        return OK;
    }

    /** The destination is writable again: write what is pending. */
    @Override
    public int onWritable() {
        final ByteBuffer b = buffer;
        if (b == null) {
            return OK;
        }
        try {
            dst.write(b);
        } catch (final IOException e) {
            return DST_FAILED;
        }
        if (b.hasRemaining()) {
            return OK;
        }
        releaseBuffer();
        return srcEnded ? shutdownDst() : OK;
    }

    private int shutdownDst() {
        if (onEnd == END_ABORTED) {
            return SRC_FAILED;
        }
        if (!dstShut) {
            dstShut = true;
            if (onEnd == END_CLOSE_FOLLOWS) {
                return OK; // the session's close sends the FIN
            }
            try {
                dst.shutdownOutput();
            } catch (final IOException e) {
                return DST_FAILED;
            }
        }
        return OK;
    }

    @Override
    public void closeFollows() {
        if (onEnd != END_ABORTED) {
            onEnd = END_CLOSE_FOLLOWS;
        }
    }

    @Override
    public void abortSource() {
        onEnd = END_ABORTED;
    }

    /** Whether to watch the source for reading: not ended and nothing pending. */
    @Override
    public boolean wantsRead() {
        return !srcEnded && buffer == null;
    }

    /** Whether to watch the destination for writing: bytes pending. */
    @Override
    public boolean wantsWrite() {
        return buffer != null;
    }

    /** The source has ended and the end has been passed on. */
    @Override
    public boolean done() {
        return dstShut;
    }

    @Override
    public boolean srcEnded() {
        return srcEnded;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    /** Bytes read but not yet written (0 or what is left in the one buffer). */
    @Override
    public int pending() {
        return buffer == null ? 0 : buffer.remaining();
    }

    /** Gives the buffer back, if held. Called when the session closes. */
    @Override
    public void release() {
        if (buffer != null) {
            releaseBuffer();
        }
    }

    private void releaseBuffer() {
        if (parked) {
            parked = false; // a copy of its own: nothing to give back
        } else {
            pool.release(buffer);
        }
        buffer = null;
    }
}
