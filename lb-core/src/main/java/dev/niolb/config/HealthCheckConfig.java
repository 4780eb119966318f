package dev.niolb.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a group's servers are checked, actively and passively, and how a returning server is brought back.
 *
 * @param checks    at most one health check ({@code tcp}, {@code http}, {@code send/expect}, {@code dns}) and at most one
 *                  {@code agent}; empty for none (passive detection still works)
 * @param interval  time between two checks of a server; also between two re-probes of a server that passive
 *                  detection took DOWN (at most 30 s apart)
 * @param timeout   how long one check may take, connect and reply together
 * @param rise      checks passed in a row that bring a DOWN server UP
 * @param fall      checks failed in a row that take an UP server DOWN
 * @param slowStart how long a server that came back UP takes to ramp from a small share to its full weight;
 *                  zero for none
 * @param maxFails  connects failed in a row during real traffic that take a server DOWN at once; 0 turns
 *                  passive detection off
 * @param drainTimeout how long a DRAIN server's sessions may go on by themselves before niolb closes them;
 *                  zero never closes them
 * @param drainRate sessions closed per second once the drain timeout is over, idlest first; 0 closes them
 *                  all at once
 * @param panicThreshold Envoy's panic threshold, in percent of the group's primary servers (0..100; 0 off): while
 *                  fewer than this share of them are UP (and no backup is), every server of the group that is
 *                  not in DRAIN or MAINT takes new sessions, DOWN ones included
 * @param closeOnDown    a server's sessions are closed when it goes DOWN (checks, passive detection, its agent), as
 *                  HAProxy's {@code on-marked-down shutdown-sessions}; kept by default
 * @param firstBackupOnly while no primary takes new sessions, only the first backup server (in config order) that
 *                  is UP takes them, as HAProxy's {@code backup} does without {@code option allbackups}; by default
 *                  every backup does, as nginx's {@code backup} servers do
 */
public record HealthCheckConfig(List<CheckSpec> checks, Duration interval, Duration timeout, int rise, int fall,
                                Duration slowStart, int maxFails, Duration drainTimeout, int drainRate,
                                int panicThreshold, boolean closeOnDown, boolean firstBackupOnly) {
    public static final HealthCheckConfig DEFAULTS = new HealthCheckConfig(List.of(), Duration.ofSeconds(2),
        Duration.ofSeconds(1), 2, 3, Duration.ZERO, 3, Duration.ZERO, 0, 0, false, false);

    /** Every backup takes over. */
    public HealthCheckConfig(final List<CheckSpec> checks, final Duration interval, final Duration timeout,
                             final int rise, final int fall, final Duration slowStart, final int maxFails,
                             final Duration drainTimeout, final int drainRate, final int panicThreshold,
                             final boolean closeOnDown) {
        this(checks, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout, drainRate, panicThreshold,
            closeOnDown, false);
    }

    /** Sessions kept when a server goes DOWN. */
    public HealthCheckConfig(final List<CheckSpec> checks, final Duration interval, final Duration timeout,
                             final int rise, final int fall, final Duration slowStart, final int maxFails,
                             final Duration drainTimeout, final int drainRate, final int panicThreshold) {
        this(checks, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout, drainRate, panicThreshold,
            false);
    }

    /** No panic threshold. */
    public HealthCheckConfig(final List<CheckSpec> checks, final Duration interval, final Duration timeout,
                             final int rise, final int fall, final Duration slowStart, final int maxFails,
                             final Duration drainTimeout, final int drainRate) {
        this(checks, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout, drainRate, 0, false);
    }

    public HealthCheckConfig(final List<CheckSpec> checks, final Duration interval, final Duration timeout,
                             final int rise, final int fall, final Duration slowStart, final int maxFails) {
        this(checks, interval, timeout, rise, fall, slowStart, maxFails, Duration.ZERO, 0, 0, false);
    }

    public HealthCheckConfig {
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drain-timeout must not be negative");
        }
        if (drainRate < 0 || drainRate > 1_000_000) {
            throw new IllegalArgumentException("drain-rate must be 0..1000000 per second, got " + drainRate);
        }
        if (panicThreshold < 0 || panicThreshold > 100) {
            throw new IllegalArgumentException("panic-threshold must be 0..100 (percent of a group's primary servers;"
                + " 0 off), got " + panicThreshold);
        }
        checks = List.copyOf(checks);
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(slowStart, "slowStart");
        if (interval.toMillis() < 10) {
            throw new IllegalArgumentException("check-interval must be at least 10ms, got " + Durations.format(interval));
        }
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("check-timeout must be positive, got " + Durations.format(timeout));
        }
        if (rise < 1 || rise > 100) {
            throw new IllegalArgumentException("rise must be 1..100, got " + rise);
        }
        if (fall < 1 || fall > 100) {
            throw new IllegalArgumentException("fall must be 1..100, got " + fall);
        }
        if (slowStart.isNegative()) {
            throw new IllegalArgumentException("slowstart must not be negative");
        }
        if (maxFails < 0 || maxFails > 1000) {
            throw new IllegalArgumentException("max-fails must be 0..1000, got " + maxFails);
        }
        if (checks.stream().filter(CheckSpec::isAgent).count() > 1
            || checks.stream().filter(c -> !c.isAgent()).count() > 1) {
            throw new IllegalArgumentException("at most one health check (tcp, http, send, dns) and one agent check, got "
                + checks);
        }
    }

    /** The health check (tcp, http, send/expect, dns), or null. */
    public CheckSpec healthCheck() {
        return checks.stream().filter(c -> !c.isAgent()).findFirst().orElse(null);
    }

    /** The agent check, or null. */
    public CheckSpec.Agent agentCheck() {
        return checks.stream().filter(CheckSpec::isAgent).map(CheckSpec.Agent.class::cast).findFirst().orElse(null);
    }

    public HealthCheckConfig withChecks(final List<CheckSpec> c) {
        return new HealthCheckConfig(c, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withInterval(final Duration d) {
        return new HealthCheckConfig(checks, d, timeout, rise, fall, slowStart, maxFails, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withTimeout(final Duration d) {
        return new HealthCheckConfig(checks, interval, d, rise, fall, slowStart, maxFails, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withRise(final int n) {
        return new HealthCheckConfig(checks, interval, timeout, n, fall, slowStart, maxFails, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withFall(final int n) {
        return new HealthCheckConfig(checks, interval, timeout, rise, n, slowStart, maxFails, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withSlowStart(final Duration d) {
        return new HealthCheckConfig(checks, interval, timeout, rise, fall, d, maxFails, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withMaxFails(final int n) {
        return new HealthCheckConfig(checks, interval, timeout, rise, fall, slowStart, n, drainTimeout,
            drainRate, panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withDrain(final Duration timeout, final int rate) {
        return new HealthCheckConfig(checks, interval, this.timeout, rise, fall, slowStart, maxFails, timeout, rate,
            panicThreshold, closeOnDown, firstBackupOnly);
    }

    public HealthCheckConfig withPanicThreshold(final int percent) {
        return new HealthCheckConfig(checks, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout, drainRate,
            percent, closeOnDown, firstBackupOnly);
    }

    /**
     * The {@code backups} setting as written: {@code all} (every backup takes over) or {@code first} (the first UP
     * one, as HAProxy's backup).
     *
     * @return whether only the first backup takes over
     */
    public static boolean firstBackupOnly(final String text) {
        return switch (text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "all" -> false;
            case "first" -> true;
            default -> throw new IllegalArgumentException("backups must be all or first, got " + Quoted.of(text));
        };
    }

    public HealthCheckConfig withFirstBackupOnly(final boolean first) {
        return new HealthCheckConfig(checks, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout, drainRate,
            panicThreshold, closeOnDown, first);
    }

    public HealthCheckConfig withCloseOnDown(final boolean close) {
        return new HealthCheckConfig(checks, interval, timeout, rise, fall, slowStart, maxFails, drainTimeout, drainRate,
            panicThreshold, close, firstBackupOnly);
    }
}
