package dev.niolb.accesslog;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.metrics.StripedCounters;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The access log: one line per closed TCP session and per ended UDP flow, written by a thread of its own.
 *
 * <p>Threading: each event loop hands its {@link AccessRecord}s to its own bounded single-producer queue
 * ({@link #offer}: lock-free, allocation-free, never blocks); the {@code niolb-access-log} thread drains every
 * queue, formats the lines and writes them to the sink (by default the SLF4J logger {@value #LOGGER}). A sink
 * that stalls (a slow disk, a blocked pipe) fills the queues, and then records are dropped and counted
 * ({@link #dropped()}), so logging never holds a loop up. Why not logback's {@code AsyncAppender}: it formats the
 * message and copies the MDC on the calling thread (its {@code preprocess}), takes a lock per event, and
 * discards INFO events silently when 80% full; here the loop does nothing but one queue offer, and every drop
 * is counted.
 *
 * <p>Idle, the writer backs off from polling to parks that double from 1 µs while they stay within
 * {@value #MAX_IDLE_PARK_MS} ms (the last about 33 ms; some 65 ms of quiet in all), and after that sleeps until
 * the next offer wakes it: an idle niolb's access log costs no wake-ups, and a busy one costs the
 * loops no system call (the writer is awake and polling then); only the first record after a quiet spell pays
 * one {@code unpark}.
 */
public final class AccessLog implements AutoCloseable {
    /** The logger the default sink writes to, at INFO, one event per line. */
    public static final String LOGGER = "niolb.access";
    /** Records a loop may have waiting before it drops: a burst of closes while the sink is slow. */
    static final int QUEUE_CAPACITY = 16_384;
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final long MAX_IDLE_PARK_MS = 50;
    private static final long MAX_IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(MAX_IDLE_PARK_MS);
    /** At stop: a sink that takes no line for this long is stuck (a pipe nobody reads), and is given up. */
    static final long STALL_MS = 500;
    private static final long CLOSE_MAX_MS = 5_000;
    private static final long JOIN_STEP_MS = 50;
    private static final int DRAIN_LIMIT = 1024;

    /** No access log: {@link #enabled()} is false, nothing runs. */
    public static final AccessLog OFF = new AccessLog();

    private final AccessLogFormat format;
    private final OneToOneConcurrentArrayQueue<AccessRecord>[] queues;
    private final StripedCounters counters; // 0: dropped, 1: offered; per loop stripe
    private final Consumer<String> sink;
    private final Thread writer;
    private volatile boolean running;
    private volatile boolean asleep; // the writer parks with no deadline: an offer must wake it
    private volatile long written; // lines the sink took (or refused): the writer's progress, which close watches

    private AccessLog() {
        this.format = AccessLogFormat.OFF;
        this.queues = null;
        this.counters = null;
        this.sink = null;
        this.writer = null;
    }

    @SuppressWarnings("unchecked")
    private AccessLog(final AccessLogFormat format, final int stripes, final Consumer<String> sink) {
        this.format = format;
        this.sink = sink;
        this.queues = new OneToOneConcurrentArrayQueue[stripes];
        for (int i = 0; i < stripes; i++) {
            queues[i] = new OneToOneConcurrentArrayQueue<>(QUEUE_CAPACITY);
        }
        this.counters = new StripedCounters(2, stripes);
        this.running = true;
        this.writer = new Thread(this::run, "niolb-access-log");
        writer.setDaemon(true);
    }

    /** An access log writing to the {@value #LOGGER} logger; {@link #OFF} for {@link AccessLogFormat#OFF}. */
    public static AccessLog start(final AccessLogFormat format, final int stripes) {
        final Logger access = LoggerFactory.getLogger(LOGGER);
        return start(format, stripes, access::info);
    }

    /** An access log writing each line to {@code sink} (on the access log's thread). */
    public static AccessLog start(final AccessLogFormat format, final int stripes, final Consumer<String> sink) {
        Objects.requireNonNull(format, "format");
        if (format == AccessLogFormat.OFF) {
            return OFF;
        }
        final AccessLog log = new AccessLog(format, stripes, Objects.requireNonNull(sink, "sink"));
        log.writer.start();
        return log;
    }

    public boolean enabled() {
        return queues != null;
    }

    public AccessLogFormat format() {
        return format;
    }

    /**
     * Queues one record. Only the loop that owns {@code stripe} may call this: lock-free, no allocation, never
     * waits; a full queue drops the record and counts it.
     */
    public void offer(final int stripe, final AccessRecord record) {
        if (queues == null) {
            return;
        }
        counters.add(stripe, 1, 1);
        if (!queues[stripe].offer(record)) {
            counters.add(stripe, 0, 1);
            return;
        }
        // the writer says it sleeps, then looks at the queues once more; here the record is in, then we look at
        // what it says: the fences make one of the two see the other (Dekker), so no record waits for a wake-up
        VarHandle.fullFence();
        if (asleep) {
            asleep = false;
            LockSupport.unpark(writer);
        }
    }

    /** Records dropped because a queue was full (the sink could not keep up). Any thread. */
    public long dropped() {
        return counters == null ? 0 : counters.sum(0);
    }

    /** Records handed to the log, dropped ones included. Any thread. */
    public long offered() {
        return counters == null ? 0 : counters.sum(1);
    }

    private void run() {
        long park = 1_000; // ns; doubles while idle as long as it is within MAX_IDLE_PARK_NS, then sleeps until woken
        while (true) {
            final boolean wasRunning = running; // read before draining: a stop is followed by one last full drain
            final int n = drain();
            if (n > 0) {
                park = 1_000;
                continue;
            }
            if (!wasRunning) {
                return;
            }
            if (park <= MAX_IDLE_PARK_NS) {
                LockSupport.parkNanos(this, park);
                park *= 2;
                continue;
            }
            asleep = true;
            VarHandle.fullFence();
            if (running && allEmpty()) {
                LockSupport.park(this); // until an offer or close unparks it (or a spurious return: loop again)
            }
            asleep = false;
        }
    }

    private boolean allEmpty() {
        for (final OneToOneConcurrentArrayQueue<AccessRecord> queue : queues) {
            if (!queue.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** The writer thread's state: {@code WAITING} while it sleeps until the next offer. For tests. */
    Thread.State writerState() {
        return writer.getState();
    }

    private int drain() {
        int n = 0;
        for (final OneToOneConcurrentArrayQueue<AccessRecord> queue : queues) {
            n += queue.drain(this::write, DRAIN_LIMIT);
        }
        return n;
    }

    private void write(final AccessRecord record) {
        try {
            sink.accept(AccessLine.format(format, record));
        } catch (final RuntimeException e) {
            LOG.warn("access log: writing a line failed: {}", e.toString());
        }
        written = written + 1; // the writer thread only
    }

    /**
     * Writes what is queued and stops the thread; call after the loops have stopped so that sessions closed at
     * shutdown are logged too. Waits while the sink takes lines, up to 5 s in all, but gives up on one that takes
     * none for {@value #STALL_MS} ms: a standard output nobody reads blocks a write for ever, and held the stop up
     * by the whole 5 s (session 21).
     */
    @Override
    public void close() {
        if (writer == null || !running) {
            return;
        }
        running = false;
        LockSupport.unpark(writer);
        final long start = System.nanoTime();
        long seen = written;
        long progressAt = start;
        try {
            while (writer.isAlive()) {
                writer.join(JOIN_STEP_MS);
                final long now = System.nanoTime();
                final long w = written;
                if (w != seen) {
                    seen = w;
                    progressAt = now;
                } else if (now - progressAt >= TimeUnit.MILLISECONDS.toNanos(STALL_MS)
                    || now - start >= TimeUnit.MILLISECONDS.toNanos(CLOSE_MAX_MS)) {
                    LOG.warn("access log: its output took no line for {} ms at stop; what was still queued is lost",
                        TimeUnit.NANOSECONDS.toMillis(now - progressAt));
                    return;
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
