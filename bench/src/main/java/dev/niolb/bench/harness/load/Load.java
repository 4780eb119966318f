package dev.niolb.bench.harness.load;

import org.HdrHistogram.Histogram;

/**
 * A bounded load against one address: it starts its own threads, counts completed operations (or
 * bytes), and stops by itself at the end of its {@link LoadWindow} or when it reaches its count.
 */
public interface Load {

    /** When the load runs and is measured. */
    LoadWindow window();

    /** Starts the load's threads; returns at once. */
    void start();

    /** Operations (or bytes, for bulk loads) completed so far; read at the window's edges to get a rate. */
    long completed();

    /** Operations that failed (connect refused, reset, timeout, wrong reply). */
    long errors();

    /** The first failure's exception and message, or null. */
    String firstError();

    /** Waits for the load to end (the window closing or the count reached), closing whatever is still open. */
    void awaitEnd();

    /** Latencies recorded inside the measurement window, in nanoseconds; null for loads without latency. */
    Histogram latency();

    /** New empty latency histogram in nanoseconds, 1 ns to 60 s, three significant digits. */
    static Histogram newHistogram() {
        return new Histogram(1, 60_000_000_000L, 3);
    }
}
