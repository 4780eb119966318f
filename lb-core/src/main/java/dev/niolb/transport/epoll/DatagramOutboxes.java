package dev.niolb.transport.epoll;

import java.util.Arrays;

/**
 * Used on its loop's thread.
 *
 * One loop's {@link DatagramOutbox}es and the UDP sockets that queued datagrams in them since the loop last
 * waited. The poller calls {@link #flush()} before every {@code epoll_wait}, so a datagram is never held across a
 * wait: whatever a wake-up's handlers (and the commands and timers run after them) queued leaves before the loop
 * sleeps again.
 *
 * <p>At most {@link #MAX_OUTBOXES} sockets queue at once (a listener's socket and the flows a burst touches): a
 * socket that finds none free sends at once, as without batching, so the native memory stays bounded per loop
 * (about 140 KiB an outbox, made the first time one is needed). Only the thread that runs the poller queues: a
 * send on any other thread (before the loop starts, a test) goes out at once.
 */
final class DatagramOutboxes {
    static final int MAX_OUTBOXES = 8;

    private final DatagramOutbox[] made = new DatagramOutbox[MAX_OUTBOXES];
    private final DatagramOutbox[] free = new DatagramOutbox[MAX_OUTBOXES];
    private EpollDatagramSocket[] pending = new EpollDatagramSocket[MAX_OUTBOXES];
    private int madeCount;
    private int freeCount;
    private int pendingCount;
    private Thread loop;
    private boolean closed;

    /** Whether the calling thread is the one the poller runs on (from its first wait). */
    boolean onLoop() {
        return Thread.currentThread() == loop && !closed;
    }

    /** An outbox for {@code socket}, which is now pending until the next {@link #flush()}; null when none is free. */
    DatagramOutbox take(final EpollDatagramSocket socket) {
        final DatagramOutbox outbox;
        if (freeCount > 0) {
            outbox = free[--freeCount];
        } else if (madeCount < MAX_OUTBOXES) {
            outbox = new DatagramOutbox();
            made[madeCount++] = outbox;
        } else {
            return null;
        }
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = socket;
        return outbox;
    }

    /** {@code socket} sent what it queued on its own (it closes) and gives its outbox back. */
    void giveBack(final EpollDatagramSocket socket, final DatagramOutbox outbox) {
        for (int i = 0; i < pendingCount; i++) {
            if (pending[i] == socket) {
                pending[i] = pending[--pendingCount];
                pending[pendingCount] = null;
                break;
            }
        }
        free[freeCount++] = outbox;
    }

    /**
     * Sends what every pending socket queued, and makes the calling thread the one that queues: the poller calls
     * it before each wait. A socket's refusals are reported to its owner from here.
     */
    void flush() {
        loop = Thread.currentThread();
        if (pendingCount == 0) {
            return;
        }
        for (int i = 0; i < pendingCount; i++) { // re-read: an owner told of a refusal may queue again
            final EpollDatagramSocket socket = pending[i];
            pending[i] = null;
            free[freeCount++] = socket.sendQueued();
        }
        pendingCount = 0;
    }

    /** {@code sendmmsg} calls this loop made so far: fewer than the datagrams it queued when sends batch. */
    long calls() {
        long calls = 0;
        for (int i = 0; i < madeCount; i++) {
            calls += made[i].calls();
        }
        return calls;
    }

    /** Sends what is still queued and frees the outboxes: the loop closes. */
    void close() {
        flush();
        closed = true;
        for (int i = 0; i < madeCount; i++) {
            made[i].close();
            made[i] = null;
        }
        madeCount = 0;
        freeCount = 0;
    }
}
