package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.OperatorChanges;
import dev.niolb.config.Config;
import dev.niolb.config.file.ConfigFileException;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.cli.systemd.SystemdNotify;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * SIGHUP as a request to read the config again and reload it in-process ({@code systemctl reload niolb}): a
 * config that does not read or validate is refused with one ERROR line and the running one stays; a valid one
 * goes through {@link LoadBalancer#reload}, which logs what changed in one line.
 *
 * <p>Threading: the handler runs on the JVM's signal-dispatch thread and only queues the work on one thread of
 * its own ({@code niolb-reload}), so reloads run one at a time, in order; SIGHUPs that arrive while one is
 * waiting to run are folded into it (it reads the file as it is then).
 */
final class ReloadSignal {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    /** A SIGHUP came while niolb was starting ({@link #holdUntilStarted}): {@link #install} reloads once. */
    private static final AtomicBoolean HELD = new AtomicBoolean();
    /** SIGHUP was ignored when the process started (nohup): the JVM keeps it so, whatever niolb installs. */
    private static volatile boolean ignoredAtStart;
    /**
     * The reloads, once {@link #install}ed: a holding handler still running (the JVM runs each on a thread of its
     * own) hands a SIGHUP it held on to them, so that none is lost between the two handlers.
     */
    private static final java.util.concurrent.atomic.AtomicReference<ReloadSignal> INSTALLED =
        new java.util.concurrent.atomic.AtomicReference<>();
    /** Stopping: no READY=1 after STOPPING=1. */
    private volatile boolean closing;

    private final LoadBalancer lb;
    private final ConfigSource source;
    private final AtomicBoolean pending = new AtomicBoolean();
    /** A reload runs on the worker now. */
    private volatile boolean reloading;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        final Thread t = new Thread(r, "niolb-reload");
        t.setDaemon(true);
        return t;
    });

    private final SystemdNotify systemd;
    private final Supplier<String> status;
    private final Runnable afterReload;

    private ReloadSignal(final LoadBalancer lb, final ConfigSource source, final SystemdNotify systemd,
                         final Supplier<String> status, final Runnable afterReload) {
        this.lb = lb;
        this.source = source;
        this.systemd = systemd;
        this.status = status;
        this.afterReload = afterReload;
    }

    /**
     * From now until {@link #install}, a SIGHUP is held instead of ending the process (the JVM's default, exit
     * 129 with no line in the log): a start takes a second or more, and a supervisor or script that reloads
     * right after starting niolb would otherwise lose it. Called first thing by {@code niolb run}.
     */
    static void holdUntilStarted() {
        try {
            if (Signal.handle(new Signal("HUP"), signal -> held()) == SignalHandler.SIG_IGN) {
                ignoredAtStart = true;
            }
        } catch (final IllegalArgumentException e) {
            // install() says so, once logging is set up
        }
    }

    private static void held() {
        HELD.set(true);
        final ReloadSignal installed = INSTALLED.get();
        if (installed != null) {
            installed.takeHeld(); // install() ran meanwhile and may have looked before this one was held
        }
    }

    /** Reloads once for a SIGHUP held during the start, whoever gets here first: the holder or install(). */
    private void takeHeld() {
        if (HELD.getAndSet(false)) {
            LOG.info("SIGHUP came while niolb was starting: reloading now");
            request();
        }
    }

    /**
     * Installs the handler: from now on SIGHUP reloads instead of ending the process, and tells {@code systemd}
     * {@code RELOADING=1} before and {@code READY=1} after each reload, applied or refused; {@code afterReload}
     * runs before that {@code READY=1} (the listening sockets to store in systemd's file-descriptor store).
     */
    static ReloadSignal install(final LoadBalancer lb, final ConfigSource source, final SystemdNotify systemd,
                                final Supplier<String> status, final Runnable afterReload) {
        final ReloadSignal reload = new ReloadSignal(lb, source, systemd, status, afterReload);
        try {
            if (Signal.handle(new Signal("HUP"), signal -> reload.request()) == SignalHandler.SIG_IGN
                || ignoredAtStart) {
                // the JVM keeps a signal ignored at start ignored: under nohup a SIGHUP would silently do nothing
                LOG.warn("SIGHUP was ignored when niolb started (nohup?), so it will not reload: use 'niolb reload'"
                    + " or POST /reload on the admin API");
            }
        } catch (final IllegalArgumentException e) {
            LOG.warn("cannot handle SIGHUP: {}; reload by restarting", e.getMessage());
        }
        INSTALLED.set(reload);
        reload.takeHeld();
        return reload;
    }

    /** Queues a reload unless one is already waiting to run. Any thread. */
    void request() {
        if (pending.compareAndSet(false, true)) {
            try {
                worker.execute(this::reload);
            } catch (final java.util.concurrent.RejectedExecutionException stopping) {
                LOG.info("SIGHUP ignored: niolb is stopping");
            }
        }
    }

    private void reload() {
        reloading = true;
        pending.set(false);
        systemd.reloading("reloading " + source.describe());
        try {
            ReopenLogs.now("SIGHUP"); // logrotate's postrotate 'systemctl reload niolb'
            reloadOnce();
            afterReload.run();
        } finally {
            reloading = false;
            if (!closing) {
                systemd.ready(status.get()); // a stop that began meanwhile has said STOPPING=1: no READY=1 after it
            }
        }
    }

    private void reloadOnce() {
        final Config next;
        try {
            next = source.reload();
        } catch (final ConfigFileException e) {
            lb.reloads().refused();
            LOG.error("reload refused: {}; the running config stays", e.getMessage());
            return;
        }
        apply(lb, next);
    }

    /**
     * Reloads {@code next} as the admin API's {@code POST /reload} does: through {@link LoadBalancer#operatorChanges},
     * so not while a successor takes this niolb's sockets over. Applied then, the reload would rewrite the state
     * file the successor is about to read, and the operator's weights and states in it were lost (black-box
     * testing, session 28).
     */
    static void apply(final LoadBalancer lb, final Config next) {
        try {
            lb.operatorChanges().make(() -> {
                try {
                    return lb.reload(next); // logs "reload: <what changed>"
                } catch (final IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (final java.io.UncheckedIOException e) {
            LOG.error("reload refused: {}; nothing changed", e.getCause().getMessage());
        } catch (final OperatorChanges.HandingOver e) {
            LOG.warn("SIGHUP: not reloaded: {}; the new niolb reads the config file itself as it starts, and if it "
                + "does not start, reload again", e.getMessage());
        } catch (final IllegalStateException stopped) {
            LOG.debug("reload after stop ignored: {}", stopped.getMessage());
        } catch (final RuntimeException e) {
            LOG.error("reload failed: {}", e.toString(), e);
        }
    }

    /**
     * Stops taking reloads (the engine is stopping); a reload under way is let finish (a reload cut in the middle
     * would leave the engine half reconfigured), for up to a few seconds.
     */
    void close(final String why) {
        closing = true;
        worker.shutdown();
        if (reloading) {
            // a reload waiting on DNS held the stop up for seconds with no word (black-box testing, session 28)
            LOG.info("stopping ({}): the reload under way finishes first (at most 5 s)", why);
        }
        try {
            if (!worker.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (final InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
