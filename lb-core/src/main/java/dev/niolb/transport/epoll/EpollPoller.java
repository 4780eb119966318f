package dev.niolb.transport.epoll;

import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Poller;
import dev.niolb.loop.Ready;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Runs on its loop's thread ({@link #wakeup()} from any thread).
 *
 * One loop's epoll instance, level-triggered (as the JDK's selector, and Netty 4.2 after measuring), with an
 * eventfd to be woken by other threads.
 *
 * <p>Registrations live in a table indexed by slot; an event's 64-bit {@code data} is the slot and a generation
 * number, so that an event for a socket closed earlier in the same batch, whose slot a new socket has taken
 * since, is recognised as stale and dropped rather than handed to the wrong owner.
 *
 * <p>An error or hang-up is reported as every operation the owner waits for, which then finds the error itself.
 * A socket with no interest leaves the epoll set (an error or hang-up is reported even to an empty interest, and
 * level-triggered it would be reported on every wait), except a connected stream socket: it stays with no events,
 * so that its peer's reset reaches its owner as {@link Ready#ERROR}, and leaves at the first error or hang-up.
 *
 * <p>Threading: the owning loop's thread, except {@link #wakeup()}.
 */
final class EpollPoller implements Poller {
    private static final int MAX_EVENTS = 256;
    private static final long WAKE = -1L;

    private final Poller.Dispatch dispatch;
    private final Arena arena;
    private final MemorySegment events;
    private final MemorySegment change;
    private final MemorySegment one;
    private final MemorySegment drained;
    private final int epfd;
    private final int wakeFd;
    private EpollFd[] slots = new EpollFd[64];
    private int[] free = new int[64];
    private int freeCount;
    private int highest;
    private int generation;
    private boolean closed;
    private EpollFd[] again = new EpollFd[8];
    private EpollFd[] dispatching = new EpollFd[8];
    private int againCount;
    private final PipePool pipes;
    private final DatagramOutboxes outboxes = new DatagramOutboxes();
    private final SharedDatagramBatch sharedBatch = new SharedDatagramBatch();

    EpollPoller(final Poller.Dispatch dispatch) throws IOException {
        this(dispatch, new PipePool());
    }

    /** A poller whose loop splices through {@code pipes}. */
    EpollPoller(final Poller.Dispatch dispatch, final PipePool pipes) throws IOException {
        this.dispatch = dispatch;
        this.pipes = pipes;
        this.arena = Arena.ofShared();
        this.events = arena.allocate((long) MAX_EVENTS * EpollEvents.SIZE, 8);
        this.change = arena.allocate(EpollEvents.SIZE, 8);
        this.one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG); // other threads': outlives the poller's arena
        this.one.set(ValueLayout.JAVA_LONG, 0, 1L);
        this.drained = arena.allocate(ValueLayout.JAVA_LONG);
        this.epfd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
        if (epfd < 0) {
            final IOException e = Errors.last("epoll_create1");
            arena.close();
            throw e;
        }
        this.wakeFd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (wakeFd < 0 || ctl(Libc.EPOLL_CTL_ADD, wakeFd, Libc.EPOLLIN, WAKE) < 0) {
            final IOException e = Errors.last("eventfd");
            Libc.close(epfd);
            if (wakeFd >= 0) {
                Libc.close(wakeFd);
            }
            arena.close();
            throw e;
        }
    }

    EpollFd register(final EpollFd owner, final int ops, final IoHandler handler) throws IOException {
        if (owner.isValid()) {
            throw new IllegalStateException("socket already registered");
        }
        final int slot = freeCount > 0 ? free[--freeCount] : nextSlot();
        owner.attach(this, handler, slot, ++generation);
        slots[slot] = owner;
        try {
            owner.change(ops);
        } catch (final UncheckedIOException e) {
            owner.forget();
            throw e.getCause();
        } catch (final RuntimeException e) {
            owner.forget();
            throw e;
        }
        return owner;
    }

    private int nextSlot() {
        if (highest == slots.length) {
            slots = Arrays.copyOf(slots, slots.length * 2);
            free = Arrays.copyOf(free, free.length * 2);
        }
        return highest++;
    }

    @Override
    public int pipesInUse() {
        return pipes.inUse();
    }

    @Override
    public int pipesIdle() {
        return pipes.idle();
    }

    /** This loop's pipes for splicing. */
    PipePool pipes() {
        return pipes;
    }

    /** This loop's queues of datagrams to send before it next waits. */
    DatagramOutboxes outboxes() {
        return outboxes;
    }

    /** This loop's receive batch for UDP sockets without one of their own. */
    SharedDatagramBatch sharedBatch() {
        return sharedBatch;
    }

    /** Gives a registration's slot back; its events still in a batch are dropped by the generation check. */
    void release(final EpollFd owner) {
        if (slots[owner.slot()] == owner) {
            slots[owner.slot()] = null;
            free[freeCount++] = owner.slot();
        }
    }

    /** {@code epoll_ctl}; the result, and errno on failure. */
    int ctl(final int op, final int fd, final int epollEvents, final long data) {
        EpollEvents.set(change, 0, epollEvents, data);
        return Libc.epollCtl(epfd, op, fd, change);
    }

    @Override
    public void poll(final long timeoutMs) throws IOException {
        waitAndDispatch(timeoutMs == 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, timeoutMs));
    }

    @Override
    public void pollNow() throws IOException {
        waitAndDispatch(0);
    }

    /**
     * Reports {@code owner} readable at the next poll, whatever epoll says: it holds received datagrams of its own
     * (a batch) that the kernel's queue no longer shows, or has bytes that are probably there (a read hint). Until
     * then the next wait does not block. Unless, by then, {@link EpollFd#stillReady} says its handler has taken
     * them meanwhile.
     */
    void readyAgain(final EpollFd owner) {
        if (!owner.isValid() || owner.again) {
            return;
        }
        owner.again = true;
        if (againCount == again.length) {
            again = Arrays.copyOf(again, againCount * 2);
            dispatching = Arrays.copyOf(dispatching, againCount * 2);
        }
        again[againCount++] = owner;
    }

    private void dispatchAgain() {
        final int n = againCount;
        final EpollFd[] batch = again;
        again = dispatching;
        dispatching = batch;
        againCount = 0;
        for (int i = 0; i < n; i++) {
            final EpollFd registration = batch[i];
            batch[i] = null;
            registration.again = false;
            if (registration.isValid() && (registration.interestOps() & Ready.READ) != 0 && registration.stillReady()) {
                dispatch.ready(registration.handler(), Ready.READ, registration);
            }
        }
    }

    private void waitAndDispatch(final int timeoutMs) throws IOException {
        outboxes.flush(); // datagrams queued since the last wait leave before this one: never held across it
        final int n = Libc.epollWait(epfd, events, MAX_EVENTS, againCount > 0 ? 0 : timeoutMs);
        if (n < 0) {
            final int errno = Libc.errno();
            if (errno == Errors.EINTR) {
                return;
            }
            throw Errors.of("epoll_wait", errno);
        }
        for (int i = 0; i < n; i++) {
            final long data = EpollEvents.data(events, i);
            if (data == WAKE) {
                Libc.read(wakeFd, drained, 8); // resets the counter; a wake-up since is seen by the next wait
                continue;
            }
            final EpollFd registration = slots[(int) data];
            if (registration == null || registration.generation() != (int) (data >>> 32)) {
                continue; // closed earlier in this batch
            }
            final int interest = registration.interestOps();
            final int epollEvents = EpollEvents.events(events, i);
            if (interest == 0) { // in the set only to hear a reset (EpollFd#hearsResetsWhileIdle), or stale here
                if ((epollEvents & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) {
                    registration.leaveSetWhileIdle();
                    if ((epollEvents & Libc.EPOLLERR) != 0 && registration.hearsResetsWhileIdle()) {
                        dispatch.ready(registration.handler(), Ready.ERROR, registration);
                    }
                }
                continue;
            }
            if ((epollEvents & (Libc.EPOLLRDHUP | Libc.EPOLLERR)) == Libc.EPOLLRDHUP) {
                registration.endArrived();
            }
            if ((epollEvents & Libc.EPOLLPRI) != 0) {
                registration.urgentArrived();
            }
            final int ready = translate(epollEvents, interest);
            if (ready != 0) {
                dispatch.ready(registration.handler(), ready, registration);
            }
        }
        if (againCount > 0) {
            dispatchAgain();
        }
    }

    /** epoll's events as the {@link Ready} flags the owner waits for. */
    static int translate(final int epollEvents, final int interest) {
        if ((epollEvents & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) {
            return interest;
        }
        int ready = 0;
        if ((epollEvents & Libc.EPOLLIN) != 0) {
            ready |= interest & (Ready.READ | Ready.ACCEPT);
        }
        if ((epollEvents & Libc.EPOLLOUT) != 0) {
            ready |= interest & (Ready.WRITE | Ready.CONNECT);
        }
        return ready;
    }

    /** The epoll events that {@link Ready} interest needs. */
    static int epollEvents(final int interest) {
        int e = 0;
        if ((interest & Ready.READ) != 0) {
            // the FIN, told apart from bytes, and urgent data, which stops a read short: see EpollStreamSocket#endSeen
            e |= Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLPRI;
        } else if ((interest & Ready.ACCEPT) != 0) {
            e |= Libc.EPOLLIN;
        }
        if ((interest & (Ready.WRITE | Ready.CONNECT)) != 0) {
            e |= Libc.EPOLLOUT;
        }
        return e;
    }

    /**
     * Writes to the eventfd. Under the poller's lock, as {@link #close()} is: a wake-up racing the loop's stop must
     * never write to the eventfd's number after it is closed, when the kernel may have handed it to a client's
     * socket. The loop asks for at most one wake-up per wait, so the lock is all but never contended.
     */
    @Override
    public void wakeup() {
        synchronized (this) {
            if (!closed) {
                Libc.writeNoErrno(wakeFd, one, 8);
            }
        }
    }

    /** A close here is immediate: closing a descriptor takes it out of the epoll set at once. */
    @Override
    public void releaseClosed() {
    }

    @Override
    public void closeRegistered() {
        for (final EpollFd registered : slots.clone()) {
            if (registered != null) {
                registered.closeQuietly();
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            Libc.close(wakeFd);
        }
        Libc.close(epfd);
        outboxes.close();
        sharedBatch.close();
        pipes.close();
        arena.close();
    }
}
