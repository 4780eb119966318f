package dev.niolb.transport.epoll;

import dev.niolb.loop.BufferPool;
import dev.niolb.transport.BufferRelay;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;

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
 * writability. The source is read only into an empty pipe, so an {@code EAGAIN} from that splice means "nothing
 * to read", never "pipe full". A splice that moves nothing (0 or {@code EAGAIN} on a wake-up's first) is
 * followed by a read through the buffer path: at TCP urgent data a splice stops at the mark and says the same,
 * and the read steps over the urgent byte; at the end of the stream the read finds it, and the buffer path
 * shuts the destination. A transfer is never left stranded in a pipe: the source is read again only once the
 * pipe is empty; a session that ends with bytes in one closes it rather than pool it.
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
                // the end of the stream, or TCP urgent data once the FIN is in: a splice stops at the urgent mark
                // and says 0 there, and the stream was cut short as if it had ended, the client none the wiser
                // (black-box testing, session 29). A read tells the two apart, steps over the urgent byte (niolb
                // relays none) and, at the end, ends the direction as the buffer path does.
                givePipeBack();
                return buffered.onReadable();
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                givePipeBack();
                // woken readable and nothing spliced: TCP urgent data. A splice stops at the urgent mark and says
                // EAGAIN while the socket stays readable, so the loop woke for ever and nothing after the mark
                // moved (black-box testing, session 29); a read steps over the urgent byte (niolb relays none,
                // as the buffer path and nio do), and the next wake-up splices on. Else one read that finds nothing.
                return i == 0 ? buffered.onReadable() : OK;
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
                dst.sent();
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
        return OK;
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
        return pipe != null ? drain() : OK;
    }

    @Override
    public void closeFollows() {
        buffered.closeFollows();
    }

    @Override
    public void abortSource() {
        buffered.abortSource();
    }

    @Override
    public boolean wantsRead() {
        return splicing ? pipe == null && buffered.wantsRead() : buffered.wantsRead();
    }

    @Override
    public boolean wantsWrite() {
        return buffered.wantsWrite() || pipe != null;
    }

    @Override
    public boolean done() {
        return buffered.done();
    }

    @Override
    public boolean srcEnded() {
        return buffered.srcEnded(); // the end is always read through the buffer path, see onReadable
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
