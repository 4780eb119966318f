package dev.niolb.loop;

import java.io.IOException;

/**
 * Runs on its loop's thread (wakeup from any thread).
 *
 * How one loop waits for its sockets: the part of an event loop that differs between transports (a
 * {@code Selector} for NIO; epoll for the native transport). Everything else a loop does (its thread, command
 * queue, timers, clock, session table) is the transport-neutral {@link EventLoop}.
 *
 * <p>Threading: the owning loop's thread only, except {@link #wakeup()}, which any thread may call.
 */
public interface Poller extends AutoCloseable {
    /**
     * Waits until a socket is ready, {@code timeoutMs} passes (0: no limit) or {@link #wakeup()} is called, and
     * hands each ready socket to its {@link IoHandler} through the {@link Dispatch} the poller was opened with.
     */
    void poll(long timeoutMs) throws IOException;

    /** As {@link #poll}, without waiting. */
    void pollNow() throws IOException;

    /** Makes a {@link #poll} under way, or the next one, return at once. Any thread. */
    void wakeup();

    /**
     * Releases now the sockets closed on this loop since the last poll, reporting no readiness (a transport
     * whose close is immediate does nothing). A wake-up this consumes must be sent again by the caller.
     */
    void releaseClosed() throws IOException;

    /** Kernel pipes held by this loop's splicing sessions now; 0 for a transport that does not splice. */
    default int pipesInUse() {
        return 0;
    }

    /** Kernel pipes this loop keeps open for reuse, held by no session; 0 for a transport that does not splice. */
    default int pipesIdle() {
        return 0;
    }

    /** Closes every socket still registered: the loop is stopping. */
    void closeRegistered();

    /** Releases the poller itself. */
    @Override
    void close() throws IOException;

    /** Where a poller hands readiness: the loop keeps its clock, error counting and failure handling in one place. */
    @FunctionalInterface
    interface Dispatch {
        void ready(IoHandler handler, int readyOps, Registration registration);
    }

    /** Opens one poller per loop; a transport is one. */
    @FunctionalInterface
    interface Factory {
        Poller open(Dispatch dispatch) throws IOException;
    }
}
