package dev.niolb.reload;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Reloads applied and refused, whichever way they came (SIGHUP, {@code POST /reload}, the API), and whether the
 * last one was applied: a refused reload leaves the old config running, which an operator should hear about.
 *
 * <p>Threading: any thread; reloads are rare, so plain atomics.
 */
public final class ReloadCounters {
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile boolean lastApplied = true;
    private volatile long lastAppliedEpochMs = System.currentTimeMillis();

    /** A reload was applied (some settings may need a restart; that is not a refusal). */
    public void applied() {
        applied.incrementAndGet();
        lastAppliedEpochMs = System.currentTimeMillis();
        lastApplied = true;
    }

    /** A reload was refused: its config did not read or validate, or could not be applied; nothing changed. */
    public void refused() {
        refused.incrementAndGet();
        lastApplied = false;
    }

    public long appliedCount() {
        return applied.get();
    }

    public long refusedCount() {
        return refused.get();
    }

    /** Whether the last reload was applied (true before any). */
    public boolean lastApplied() {
        return lastApplied;
    }

    /** When the running config was applied: the last applied reload, or the start. */
    public long lastAppliedEpochMs() {
        return lastAppliedEpochMs;
    }
}
