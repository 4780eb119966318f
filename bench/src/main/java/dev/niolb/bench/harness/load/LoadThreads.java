package dev.niolb.bench.harness.load;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * The common shape of the harness's loads: one platform thread per connection (or flow) doing blocking
 * I/O, a shared operation counter, per-thread histograms merged at the end, and a hard stop: once the
 * window has ended (plus a grace second) every socket still open is closed, which unblocks any thread
 * stuck in a read. Start once, from one thread.
 */
abstract class LoadThreads implements Load {

    private static final long GRACE_NANOS = 1_000_000_000L;

    protected final LoadWindow window;
    protected final LongAdder completed = new LongAdder();
    protected final LongAdder errors = new LongAdder();
    protected volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicReference<String> firstError = new java.util.concurrent.atomic.AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Queue<Closeable> open = new ConcurrentLinkedQueue<>();
    private final Histogram latency = Load.newHistogram();

    LoadThreads(final LoadWindow window) {
        this.window = window;
    }

    /** Adds one worker; called from {@link #start()}. */
    protected final void spawn(final String name, final Runnable worker) {
        final Thread thread = new Thread(worker, name);
        thread.setDaemon(true);
        threads.add(thread);
    }

    /** Registers a socket to close at the hard stop; returns it. */
    protected final <C extends Closeable> C closeAtEnd(final C closeable) {
        open.add(closeable);
        return closeable;
    }

    protected final void forget(final Closeable closeable) {
        open.remove(closeable);
    }

    /** Adds a worker's histogram to the load's; called by each worker as it ends. */
    protected final void merge(final Histogram histogram) {
        synchronized (latency) {
            latency.add(histogram);
        }
    }

    /**
     * Counts a failure while the window is open, not once the load is being torn down or its window has ended:
     * closing sockets under blocked threads fails them (a duplex run's writer closes its channel at the window's
     * end while its reader may still be blocked in a read, which then throws).
     */
    protected final void failed(final Exception cause) {
        if (running()) {
            errors.increment();
            firstError.compareAndSet(null, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
    }

    @Override
    public String firstError() {
        return firstError.get();
    }

    protected final boolean running() {
        return !stopping && System.nanoTime() < window.measureEnd();
    }

    @Override
    public LoadWindow window() {
        return window;
    }

    @Override
    public void start() {
        threads.forEach(Thread::start);
    }

    @Override
    public long completed() {
        return completed.sum();
    }

    @Override
    public long errors() {
        return errors.sum();
    }

    @Override
    public void awaitEnd() {
        final long hardStop = window.measureEnd() + GRACE_NANOS;
        try {
            for (Thread thread : threads) {
                final long left = hardStop - System.nanoTime();
                if (left > 0) {
                    thread.join(Math.max(1, left / 1_000_000));
                }
            }
            stopping = true;
            Closeable closeable;
            while ((closeable = open.poll()) != null) {
                try {
                    closeable.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            for (Thread thread : threads) {
                thread.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Histogram latency() {
        synchronized (latency) {
            return latency.copy();
        }
    }
}
