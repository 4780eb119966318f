package dev.niolb.transport.epoll;

import dev.niolb.loop.BufferPool;
import dev.niolb.transport.BufferRelay;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Runs on its session's event loop.
 *
 * <p>One direction of a TCP session that moves bulk by {@code splice(2)}: source socket → pipe → destination
 * socket, the bytes never copied into user space. Small exchanges stay on the buffer path ({@link BufferRelay},
 * held inside): with {@code auto} a direction switches to splice once one read fills a whole relay buffer, as
 * HAProxy's {@code splice-auto}; with {@code always} it splices from the first read. A PROXY header and early
 * bytes ({@link #prime}) always go through the buffer.
 *
 * <p>The pipe: taken from the loop's {@link PipePool} for a read and given back as soon as the destination has
 * taken every byte in it, so an idle or waiting direction holds none. While bytes sit in it the source is not
 * read (backpressure, as the buffer path: at most one pipe per direction) and the destination is watched for
 * writability. The source is read only into an empty pipe, so an {@code EAGAIN} from that splice always means
 * "nothing to read", never "pipe full". The end of the stream becomes a shutdown of the destination once the
 * pipe is empty: a transfer is never left stranded in a pipe; a session that ends with bytes in one closes it
 * rather than pool it.
 *
 * <p>Falling back: when no pipe can be had (the loop's pipe budget, or {@code pipe2} refused) that read goes
 * through a buffer; when the kernel refuses splice for these sockets ({@code EINVAL}) the direction stays on
 * buffers for good. Neither is an error the session sees.
 */
final class SpliceRelay implements StreamRelay {
    private static final int FLAGS = Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK;
    private static final int MAX_SPLICES_PER_WAKEUP = 4;

    private final BufferRelay buffered;
    private final int bulkRead;
    private EpollStreamSocket src;
    private EpollStreamSocket dst;
    private PipePool pipes;
    private Pipe pipe;
    private boolean splicing;
    private boolean srcEnded;
    private boolean dstShut;
    /** What the source's end does, as {@link BufferRelay}'s: shut the destination, leave it to the close, or fail. */
    private byte onEnd = BufferRelay.END_SHUTS;
    private long splicedBytes;

    SpliceRelay(final BufferPool pool, final boolean always) {
        this.buffered = new BufferRelay(pool);
        this.bulkRead = pool.bufferSize();
        this.splicing = always;
    }

    @Override
    public void connect(final StreamSocket source, final StreamSocket destination) {
        buffered.connect(source, destination);
        if (source instanceof EpollStreamSocket s && destination instanceof EpollStreamSocket d) {
            this.src = s;
            this.dst = d;
        } else {
            splicing = false; // not both ours: nothing to splice between
        }
    }

    @Override
    public int onReadable() {
        if (!splicing) {
            final long before = buffered.bytes();
            final int status = buffered.onReadable();
            if (status == OK && src != null && buffered.bytes() - before >= bulkRead && buffered.pending() == 0
                && !buffered.srcEnded()) {
                splicing = true; // a read filled a whole buffer: bulk, from now on kernel to kernel
            }
            return status;
        }
        if (pipes == null) {
            final EpollPoller poller = src.poller();
            if (poller == null) {
                splicing = false;
                return buffered.onReadable();
            }
            pipes = poller.pipes();
        }
        for (int i = 0; i < MAX_SPLICES_PER_WAKEUP; i++) {
            if (pipe == null) {
                pipe = pipes.acquire();
                if (pipe == null) {
                    return buffered.onReadable(); // no pipe now: this read through a buffer
                }
            }
            final int capacity = pipe.capacity;
            final long n = Libc.splice(src.fd(), pipe.writeFd, capacity, FLAGS);
            if (n > 0) {
                pipe.held += (int) n;
                splicedBytes += n;
                final int status = drain();
                if (status != OK || pipe != null || n < capacity) {
                    return status; // failed, or the destination is full, or the source had no more than this
                }
                continue;
            }
            if (n == 0) {
                srcEnded = true;
                src.endRead();
                givePipeBack();
                return shutdownDst();
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                givePipeBack();
                return OK;
            }
            if (errno == Errors.EINTR) {
                continue;
            }
            if (errno == Errors.EINVAL || errno == Errors.ENOSYS) {
                givePipeBack(); // the kernel cannot splice these sockets: buffers for good
                splicing = false;
                src = null;
                return buffered.onReadable();
            }
            givePipeBack();
            return SRC_FAILED;
        }
        return OK;
    }

    /** Splices what the pipe holds into the destination; gives the pipe back once empty. */
    private int drain() {
        while (pipe.held > 0) {
            final long m = Libc.splice(pipe.readFd, dst.fd(), pipe.held, FLAGS);
            if (m > 0) {
                pipe.held -= (int) m;
                continue;
            }
            final int errno = m == 0 ? Errors.EAGAIN : Libc.errno();
            if (errno == Errors.EAGAIN) {
                return OK; // the destination is full: keep the pipe, wait for writability
            }
            if (errno != Errors.EINTR) {
                return DST_FAILED;
            }
        }
        givePipeBack();
        return srcEnded ? shutdownDst() : OK;
    }

    private void givePipeBack() {
        if (pipe != null) {
            pipes.release(pipe);
            pipe = null;
        }
    }

    @Override
    public int readAhead(final StreamSocket source) {
        return buffered.readAhead(source);
    }

    @Override
    public void parkAhead() {
        buffered.parkAhead();
    }

    @Override
    public ByteBuffer ahead() {
        return buffered.ahead();
    }

    @Override
    public int prime(final ByteBuffer header, final ByteBuffer early) {
        return buffered.prime(header, early);
    }

    @Override
    public int onWritable() {
        final int status = buffered.onWritable();
        if (status != OK || buffered.pending() > 0) {
            return status;
        }
        if (pipe != null) {
            return drain();
        }
        return srcEnded ? shutdownDst() : OK;
    }

    private int shutdownDst() {
        if (onEnd == BufferRelay.END_ABORTED) {
            return SRC_FAILED; // its end is its failure (abortSource): nothing to pass on
        }
        if (!dstShut) {
            dstShut = true;
            if (onEnd == BufferRelay.END_CLOSE_FOLLOWS) {
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
        if (onEnd != BufferRelay.END_ABORTED) {
            onEnd = BufferRelay.END_CLOSE_FOLLOWS;
        }
        buffered.closeFollows();
    }

    @Override
    public void abortSource() {
        onEnd = BufferRelay.END_ABORTED;
        buffered.abortSource();
    }

    @Override
    public boolean wantsRead() {
        return splicing ? !srcEnded && pipe == null && buffered.wantsRead() : buffered.wantsRead();
    }

    @Override
    public boolean wantsWrite() {
        return buffered.wantsWrite() || pipe != null;
    }

    @Override
    public boolean done() {
        return dstShut || buffered.done();
    }

    @Override
    public boolean srcEnded() {
        return srcEnded || buffered.srcEnded();
    }

    @Override
    public long bytes() {
        return buffered.bytes() + splicedBytes;
    }

    @Override
    public int pending() {
        return buffered.pending() + (pipe == null ? 0 : pipe.held);
    }

    @Override
    public void release() {
        buffered.release();
        givePipeBack(); // closed rather than pooled when bytes still sit in it
    }

    /** Whether this direction moves by splice now. */
    boolean splicing() {
        return splicing;
    }
}
