package dev.niolb.transport.epoll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Used on its loop's thread.
 *
 * One loop's pipes for splicing (HAProxy's {@code pipe.c}): a session direction takes one only while bytes sit in
 * it and gives it back empty, so a loop needs about as many pipes as it has directions moving bulk at that
 * instant, not one per session. Idle pipes are kept up to {@link #MAX_IDLE}; at most {@link #MAX_IN_USE} are out
 * at once (a pipe is two descriptors: the budget keeps splicing from eating the descriptors sessions need), and
 * when none can be had (the budget, or {@code pipe2} refused, e.g. out of descriptors) the caller moves its bytes
 * through a buffer instead: never an error for the session.
 *
 * <p>Pipes are sized with {@code F_SETPIPE_SZ} to {@link #PIPE_BYTES}: a bulk transfer then moves that much per
 * pair of splices. 1 MiB (the default {@code pipe-max-size}) against 256 KiB measured 1.36-1.40x instead of
 * 1.20-1.27x HAProxy-with-splice's upload rate, at about 55 % of the CPU per MiB (docs/BENCHMARKS.md, session 7).
 * The memory is the kernel's and only while bytes sit in the pipe. Where the kernel refuses (an unprivileged
 * user past {@code pipe-user-pages-soft}, 64 MiB by default: 64 such pipes at once; {@code pipe-max-size}) the
 * pipe keeps its default size.
 */
final class PipePool {
    static final int MAX_IDLE = 64;
    static final int MAX_IN_USE = 1024;
    static final int PIPE_BYTES = 1024 * 1024;

    private final int maxInUse;
    private final Pipe[] idle = new Pipe[MAX_IDLE];
    private final MemorySegment fds = Arena.ofAuto().allocate(ValueLayout.JAVA_INT, 2);
    private int idleCount;
    private int inUse;
    private long created;
    private long refused;

    PipePool() {
        this(MAX_IN_USE);
    }

    /** A pool that lends at most {@code maxInUse} pipes at once. */
    PipePool(final int maxInUse) {
        this.maxInUse = maxInUse;
    }

    /** An empty pipe, or null when none can be had now. */
    Pipe acquire() {
        if (idleCount > 0) {
            inUse++;
            final Pipe p = idle[--idleCount];
            idle[idleCount] = null;
            return p;
        }
        if (inUse >= maxInUse || Libc.pipe2(fds, Libc.O_NONBLOCK | Libc.O_CLOEXEC) < 0) {
            refused++;
            return null;
        }
        final int readFd = fds.get(ValueLayout.JAVA_INT, 0);
        final int writeFd = fds.get(ValueLayout.JAVA_INT, 4);
        int capacity = Libc.fcntl(writeFd, Libc.F_SETPIPE_SZ, PIPE_BYTES);
        if (capacity < 0) {
            capacity = Libc.fcntl(writeFd, Libc.F_GETPIPE_SZ, 0);
        }
        created++;
        inUse++;
        return new Pipe(readFd, writeFd, capacity > 0 ? capacity : 65_536);
    }

    /** Gives back a pipe: kept when empty and there is room, closed otherwise. */
    void release(final Pipe pipe) {
        inUse--;
        if (pipe.held == 0 && idleCount < MAX_IDLE) {
            idle[idleCount++] = pipe;
        } else {
            pipe.close();
        }
    }

    /** Closes every idle pipe: the loop is stopping. */
    void close() {
        while (idleCount > 0) {
            idle[--idleCount].close();
            idle[idleCount] = null;
        }
    }

    int inUse() {
        return inUse;
    }

    /** Pipes kept open for the next splice, held by no session: each is two descriptors. */
    int idle() {
        return idleCount;
    }

    long created() {
        return created;
    }

    long refused() {
        return refused;
    }
}
