package dev.niolb.loop;

import dev.niolb.session.LoopSession;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Its own thread; other threads only through execute/submit and what it publishes.
 *
 * One thread with its own {@link Poller}, timer wheel, command queue, buffer pools and connection table: the
 * transport-neutral core of an event loop; how it waits for sockets is its transport's {@link Poller}.
 *
 * <p>Threading: everything a loop owns (sockets registered with it, sessions, timers, pools) is touched only
 * by its thread. Other threads talk to it through {@link #execute} (a lock-free queue plus a poller wake-up
 * that is skipped when one is already pending) and read only what is published for them (counters, snapshots).
 * Failures of handlers, commands and timers are counted in its {@link LoopHeartbeat} (exported), then logged.
 *
 * <p>Timers: a {@link TimerWheel} of {@link WheelTimer}s with {@value #TICK_MS} ms ticks; the poll sleeps until the
 * earliest timer may be due and without limit when none is armed, so an idle loop wakes up only when a deadline
 * comes (sessions' idle timers are re-armed lazily, so that is rare), not at every tick.
 * Timeouts of a session (connect, idle) are one timer each at most, never a thread or a scheduled task.
 *
 * <p>Busy polling ({@link #busyPoll}): for a while after a poll last found a socket ready, the loop polls without
 * waiting instead of sleeping, so that the next message of an exchange is found already there rather than paid for
 * with a wake-up; once that long has passed with nothing ready it sleeps as before.
 */
public final class EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    static final int TICK_MS = TimerWheel.TICK_MS;
    private static final int COMMAND_LIMIT = 4096;
    private static final int MAX_POOLED_BUFFERS = 256;
    /**
     * What a pool keeps of free buffers, in bytes, whatever their size: 256 of 1 MiB kept a quarter of a GiB per
     * loop after a peak (black-box testing, session 24). 256 of the default 64 KiB; and at most an eighth of the
     * direct memory the pools may use, so that a small one is not all held free by one loop while another finds
     * none (at least one buffer).
     */
    private static final long MAX_POOLED_BYTES = 16 << 20;

    private final int index;
    private final Poller poller;
    private final TimerWheel wheel;
    private final Long2ObjectHashMap<LoopSession> sessions = new Long2ObjectHashMap<>();
    private final Int2ObjectHashMap<BufferPool> pools = new Int2ObjectHashMap<>();
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final TimerWheel.FailureHandler onTimerFailure = this::timerFailed;
    private final Thread thread;
    private final LoopHeartbeat heartbeat;
    private volatile boolean running = true;
    private volatile boolean started;
    private long nowMs;
    private long nowNanos;
    private boolean clockStale;
    private long sessionSequence;
    private long busyPollNanos; // 0: sleep in the poll as soon as nothing is ready
    private long lastReadyNanos; // when a poll last handed a ready socket to its handler
    private boolean dispatched; // the current poll has handed one
    private boolean spunEmpty; // since the last ready socket, a busy poll found nothing

    /** A relay loop on {@code transport} (a transport is its pollers' factory). */
    public EventLoop(final int index, final Poller.Factory transport) throws IOException {
        this(index, "niolb-loop-" + index, transport);
    }

    /** A loop whose thread has its own name (the health checks' loop is {@code niolb-health}). */
    public EventLoop(final int index, final String threadName, final Poller.Factory transport) throws IOException {
        this.index = index;
        this.heartbeat = new LoopHeartbeat(index);
        this.poller = transport.open(this::dispatch);
        tick();
        // nanoTime may be any value, even negative: "long before now", so that busy polling starts only after an event
        this.lastReadyNanos = nowNanos - Long.MAX_VALUE / 2;
        this.wheel = new TimerWheel(nowMs);
        this.thread = new Thread(this::run, threadName);
    }

    /** Starts the loop's thread. */
    public void start() {
        started = true;
        thread.start();
    }

    /** This loop's position among the engine's loops: the stripe it writes in shared counters. */
    public int index() {
        return index;
    }

    /** Iterations, caught failures and how long the current iteration has run, for {@code /metrics}. Any thread. */
    public LoopHeartbeat heartbeat() {
        return heartbeat;
    }

    /**
     * Whether the loop's thread is alive, or not started yet: false once it has ended, by {@link #stop} or by an
     * error that escaped it. Any thread.
     */
    public boolean threadAlive() {
        return !started || thread.isAlive();
    }

    /** How this loop waits for its sockets; its transport's sockets register there. */
    public Poller poller() {
        return poller;
    }

    /**
     * Refuses a call from another thread once the loop runs: the maps it guards have one writer, and a race on
     * them would not fail, only corrupt (a reload's thread once made an acceptor that took a pool here).
     */
    private void requireOwner(final String what) {
        if (Thread.currentThread() != thread && started) {
            throw new IllegalStateException("event loop " + index + ": " + what + " called from "
                + Thread.currentThread().getName() + ", not from the loop's own thread");
        }
    }

    /** Whether the caller runs on this loop's thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** The loop's millisecond clock (monotonic, not wall time), read once per wake-up. */
    public long nowMs() {
        return nowMs;
    }

    /** The same clock in nanoseconds ({@link System#nanoTime()} as read at the wake-up). */
    public long nowNanos() {
        return nowNanos;
    }

    /**
     * Runs {@code command} on this loop's thread, soon. Any thread.
     *
     * @return false when the loop has stopped and the command will not run
     */
    public boolean execute(final Runnable command) {
        if (!running) {
            return false;
        }
        commands.offer(command);
        if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
            poller.wakeup();
        }
        return true;
    }

    /**
     * From now on, polls on without sleeping for {@code window} after a poll last found a socket ready (zero:
     * sleeps as soon as nothing is ready). Any thread: it reaches the loop as a command.
     */
    public void busyPoll(final Duration window) {
        final long nanos = window.toNanos();
        execute(() -> busyPollNanos = nanos);
    }

    /** Computes a value on this loop's thread for a caller on another; completes exceptionally if stopped. */
    public <T> CompletableFuture<T> submit(final Supplier<T> supplier) {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final boolean queued = execute(() -> {
            try {
                result.complete(supplier.get());
            } catch (final RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        if (!queued) {
            result.completeExceptionally(new IllegalStateException("event loop " + index + " has stopped"));
        }
        return result;
    }

    /**
     * A new timer armed for {@code deadlineMs} on {@link #nowMs()}'s clock (what a test or a one-off needs; an
     * object that times something again and again keeps one {@link LoopTimer}).
     */
    public LoopTimer schedule(final long deadlineMs, final Timeout timeout) {
        final LoopTimer timer = new LoopTimer(this, timeout);
        timer.at(deadlineMs);
        return timer;
    }

    void arm(final WheelTimer timer, final long deadlineMs) {
        requireOwner("schedule");
        wheel.add(timer, deadlineMs, nowMs);
    }

    void disarm(final WheelTimer timer) {
        requireOwner("cancel");
        wheel.remove(timer);
    }

    /** The pool of direct buffers of {@code size} bytes for this loop. Loop thread, or before start. */
    public BufferPool bufferPool(final int size) {
        requireOwner("bufferPool");
        BufferPool pool = pools.get(size);
        if (pool == null) {
            final long pooledBytes = Math.min(MAX_POOLED_BYTES, DirectMemory.jvm().limit() / 8);
            pool = new BufferPool(size, (int) Math.clamp(pooledBytes / size, 1, MAX_POOLED_BUFFERS));
            pools.put(size, pool);
        }
        return pool;
    }

    /** Kernel pipes held by splicing sessions on this loop now. Loop thread. */
    public int pipesInUse() {
        return poller.pipesInUse();
    }

    /** Kernel pipes this loop keeps open for reuse. Loop thread. */
    public int pipesIdle() {
        return poller.pipesIdle();
    }

    /** Pooled buffers handed out and not yet returned, over this loop's pools. Loop thread. */
    public int buffersInUse() {
        int n = 0;
        for (final BufferPool pool : pools.values()) {
            n += pool.inUse();
        }
        return n;
    }

    /** A new session id, unique across loops: the loop index in the top 16 bits. */
    public long nextSessionId() {
        return ((long) index << 48) | ++sessionSequence;
    }

    /** Adds a session to the connection table. Loop thread. */
    public void add(final LoopSession session) {
        requireOwner("add");
        sessions.put(session.id(), session);
    }

    /** Removes a session from the connection table. Loop thread. */
    public void remove(final LoopSession session) {
        requireOwner("remove");
        sessions.remove(session.id());
    }

    /** Sessions in the table now. Loop thread. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Copies of the connection table's rows; from another thread use {@code submit(loop::sessionInfos)}. */
    public List<SessionInfo> sessionInfos() {
        final List<SessionInfo> infos = new ArrayList<>(sessions.size());
        for (final LoopSession s : sessions.values()) {
            infos.add(s.info());
        }
        return infos;
    }

    /**
     * Closes up to {@code max} of the sessions that {@code which} selects, those idle the longest first, counting
     * each as {@code reason}. Loop thread; for rare operator work (a paced drain), not the hot path.
     *
     * @return how many were closed
     */
    public int closeIdlest(final java.util.function.Predicate<LoopSession> which, final int max,
                           final Termination reason) {
        final List<LoopSession> selected = new ArrayList<>();
        for (final LoopSession s : sessions.values()) {
            if (which.test(s)) {
                selected.add(s);
            }
        }
        selected.sort(java.util.Comparator.comparingLong(LoopSession::lastActivityMs));
        final int n = Math.min(max, selected.size());
        for (int i = 0; i < n; i++) {
            selected.get(i).close(reason);
        }
        return n;
    }

    /** Closes every session in the table, counting each as {@code reason}. Loop thread. */
    public void closeAll(final Termination reason) {
        for (final LoopSession s : new ArrayList<>(sessions.values())) {
            s.close(reason);
        }
    }

    /**
     * Really closes sockets closed on this loop since its last poll ({@link Poller#releaseClosed()}: a listening
     * socket closed by a command must stop completing handshakes now). Loop thread only.
     *
     * <p>That non-blocking poll also consumes a wake-up another thread may have sent since the loop last cleared
     * {@code wakeupPending}; the flag would stay set and every later {@link #execute} would skip its wake-up,
     * leaving the loop blocked with commands queued (issue 17). So a wake-up it may have eaten is sent again.
     */
    public void flushClosedChannels() {
        try {
            poller.releaseClosed();
        } catch (final IOException e) {
            LOG.debug("event loop {}: flushing closed channels: {}", index, e.toString());
        } finally {
            if (wakeupPending.get()) {
                poller.wakeup();
            }
        }
    }

    /** Asks the loop to stop after closing what it still has (sessions as {@link Termination#SHUTDOWN}). */
    public void stop() {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            // never started (a failed start): no loop thread will ever close its poller, and a channel
            // registered with a selector is only really closed by it, so release both here
            shutdown();
            return;
        }
        poller.wakeup();
    }

    /** Waits for the loop's thread to end. */
    public boolean awaitTermination(final long timeoutMs) throws InterruptedException {
        thread.join(Math.max(1, timeoutMs));
        return !thread.isAlive();
    }

    private void run() {
        while (running) {
            try {
                clockStale = true;
                heartbeat.polling();
                final boolean spinning = busyPollNanos > 0 && nowNanos - lastReadyNanos < busyPollNanos;
                final long sleepMs = commands.isEmpty() && !spinning ? sleepLimitMs() : 0;
                if (sleepMs != 0) {
                    poller.poll(sleepMs < 0 ? 0 : sleepMs);
                } else {
                    poller.pollNow();
                }
                wakeupPending.set(false);
                if (clockStale) {
                    tick();
                    heartbeat.awake(nowNanos);
                }
                runCommands(); // first: the command that turns busy polling on lets this poll's events start it
                if (busyPollNanos > 0) {
                    busyPolled(spinning);
                } else {
                    dispatched = false; // so that turning busy polling on starts no window from an old event
                }
                if (wheel.millisUntilDue(nowMs) == 0) {
                    // what came in while the loop could not run (a stopped process, a VM or GC pause) before any
                    // timer: an epoll_wait whose timeout ran out meanwhile reports none of it, and an idle timer
                    // would close a session whose bytes are waiting. Only when a timer is due: rare, one syscall
                    poller.pollNow();
                }
                pollTimers();
            } catch (final IOException e) {
                heartbeat.error();
                LOG.error("event loop {}: poller failed: {}", index, e.toString());
            } catch (final RuntimeException | Error e) {
                heartbeat.error();
                LOG.error("event loop {}: unexpected failure, going on", index, e);
            }
        }
        shutdown();
    }

    /**
     * After a poll with busy polling on: the window starts again once the handlers are done (the next message
     * comes in answer to what they sent), and a find counts as a wake-up saved only when a poll of this spin came
     * back empty before it: a loop with work waiting at every poll would not have slept anyway.
     */
    private void busyPolled(final boolean spinning) {
        if (dispatched) {
            dispatched = false;
            lastReadyNanos = System.nanoTime();
            if (spinning && spunEmpty) {
                heartbeat.foundWhileBusyPolling();
            }
            spunEmpty = false;
        } else {
            spunEmpty = spinning; // an empty poll that slept (until a timer came due) ends the spin
        }
    }

    private void dispatch(final IoHandler handler, final int readyOps, final Registration registration) {
        dispatched = true;
        if (clockStale) {
            // a poller runs handlers before poll() returns: after a long block the clock must move before
            // the first handler arms a timer from it (a connect timeout armed from a stale clock fires at once)
            tick();
            heartbeat.awake(nowNanos);
            clockStale = false;
        }
        try {
            handler.onReady(readyOps);
        } catch (final RuntimeException | Error failure) {
            heartbeat.error();
            LOG.error("event loop {}: handler failed; closing it", index, failure);
            try {
                handler.onFailure(failure);
            } catch (final RuntimeException | Error again) {
                registration.cancel();
            }
        }
    }

    private void runCommands() {
        for (int i = 0; i < COMMAND_LIMIT; i++) {
            final Runnable command = commands.poll();
            if (command == null) {
                return;
            }
            try {
                command.run();
            } catch (final RuntimeException | Error e) {
                heartbeat.error();
                LOG.error("event loop {}: command failed", index, e);
            }
        }
    }

    /**
     * How long the next poll may sleep: until the earliest timer may be due, on a clock read now (handlers and
     * commands since the last reading may have taken a while); -1 for as long as it takes, no timer being armed.
     */
    private long sleepLimitMs() {
        return wheel.count() == 0 ? -1 : wheel.millisUntilDue(System.nanoTime() / 1_000_000L);
    }

    private void pollTimers() {
        wheel.expire(nowMs, onTimerFailure);
    }

    private void timerFailed(final Throwable failure) {
        heartbeat.error();
        LOG.error("event loop {}: timer failed", index, failure);
    }

    private void shutdown() {
        tick();
        runCommands();
        closeAll(Termination.SHUTDOWN);
        poller.closeRegistered();
        try {
            poller.close();
        } catch (final IOException e) {
            LOG.warn("event loop {}: closing poller: {}", index, e.toString());
        }
        Runnable leftover;
        while ((leftover = commands.poll()) != null) {
            try {
                leftover.run(); // completes futures of submit() callers; sessions are gone by now
            } catch (final RuntimeException e) {
                LOG.debug("event loop {}: command after stop failed", index, e);
            }
        }
    }

    private void tick() {
        nowNanos = System.nanoTime();
        nowMs = nowNanos / 1_000_000L;
    }

}
