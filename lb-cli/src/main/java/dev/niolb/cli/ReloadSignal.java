package dev.niolb.cli;

import dev.niolb.LoadBalancer;
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

    private final LoadBalancer lb;
    private final ConfigSource source;
    private final AtomicBoolean pending = new AtomicBoolean();
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
            if (Signal.handle(new Signal("HUP"), signal -> HELD.set(true)) == SignalHandler.SIG_IGN) {
                ignoredAtStart = true;
            }
        } catch (final IllegalArgumentException e) {
            // install() says so, once logging is set up
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
        if (HELD.getAndSet(false)) {
            LOG.info("SIGHUP came while niolb was starting: reloading now");
            reload.request();
        }
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
        pending.set(false);
        systemd.reloading("reloading " + source.describe());
        try {
            ReopenLogs.now("SIGHUP"); // logrotate's postrotate 'systemctl reload niolb'
            reloadOnce();
            afterReload.run();
        } finally {
            systemd.ready(status.get());
        }
    }

    private void reloadOnce() {
        final Config next;
        try {
            next = source.load();
        } catch (final ConfigFileException e) {
            lb.reloads().refused();
            LOG.error("reload refused: {}; the running config stays", e.getMessage());
            return;
        }
        try {
            lb.reload(next); // logs "reload: <what changed>"
        } catch (final IOException e) {
            LOG.error("reload refused: {}; nothing changed", e.getMessage());
        } catch (final IllegalStateException stopped) {
            LOG.debug("reload after stop ignored: {}", stopped.getMessage());
        } catch (final RuntimeException e) {
            LOG.error("reload failed: {}", e.toString(), e);
        }
    }

    /** Stops taking reloads (the engine is stopping). */
    void close() {
        worker.shutdownNow();
    }
}
