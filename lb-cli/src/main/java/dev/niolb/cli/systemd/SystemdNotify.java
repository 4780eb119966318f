package dev.niolb.cli.systemd;

import dev.niolb.cli.log.UnixDatagramSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@code sd_notify} protocol: newline-separated {@code KEY=VALUE} lines in one datagram to the Unix socket
 * systemd names in {@code $NOTIFY_SOCKET} (a path, or {@code @name} in the abstract namespace). The JDK has no Unix
 * datagram socket, so it goes through {@link UnixDatagramSocket} (FFM). Without {@code $NOTIFY_SOCKET} every call
 * does nothing.
 *
 * <p>A send that fails is logged once as a warning and never stops niolb: the service manager is told less, the
 * load balancer keeps working.
 *
 * <p>Threading: any thread; sends are serialized (a few per reload, one per watchdog tick).
 */
public final class SystemdNotify implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    private static final SystemdNotify OFF = new SystemdNotify(null, null);

    private final String address;
    private final UnixDatagramSocket socket;
    private boolean warned;

    private SystemdNotify(final String address, final UnixDatagramSocket socket) {
        this.address = address;
        this.socket = socket;
    }

    /** Talks to {@code $NOTIFY_SOCKET} of {@code environment}, or does nothing when it is unset or empty. */
    public static SystemdNotify fromEnvironment(final Map<String, String> environment) {
        final String address = environment.get("NOTIFY_SOCKET");
        if (address == null || address.isEmpty()) {
            return OFF;
        }
        try {
            return new SystemdNotify(address, UnixDatagramSocket.open());
        } catch (final IOException | RuntimeException | LinkageError e) {
            LOG.warn("cannot tell systemd about niolb's state ($NOTIFY_SOCKET={}): {}", address, e.getMessage());
            return OFF;
        }
    }

    /** Whether there is a service manager to tell. */
    public boolean enabled() {
        return socket != null;
    }

    /** {@code READY=1}: started, or a reload finished (applied or refused), with the status line. */
    public void ready(final String status) {
        send("READY=1\nSTATUS=" + oneLine(status));
    }

    /** {@code RELOADING=1} with {@code MONOTONIC_USEC}: a reload starts now; {@link #ready} ends it. */
    public void reloading(final String status) {
        if (enabled()) {
            send("RELOADING=1\nMONOTONIC_USEC=" + Monotonic.micros() + "\nSTATUS=" + oneLine(status));
        }
    }

    /** {@code STOPPING=1}: a stop has begun. */
    public void stopping(final String status) {
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /** {@code STATUS=}: one line of state for {@code systemctl status}. */
    public void status(final String status) {
        send("STATUS=" + oneLine(status));
    }

    /**
     * {@code FDSTORE=1}: systemd keeps its own copies of {@code fds} under {@code name} while niolb restarts (it
     * needs {@code FileDescriptorStoreMax=} in the unit) and hands them to the next niolb in {@code LISTEN_FDS}.
     *
     * @return whether the message left (systemd may still drop the descriptors: a unit without a store says
     *         nothing back)
     */
    public boolean storeFds(final String name, final int[] fds) {
        return fds.length > 0 && send("FDSTORE=1\nFDNAME=" + name, fds);
    }

    /** {@code FDSTOREREMOVE=1}: systemd closes its copies stored under {@code name}. */
    public void removeFds(final String name) {
        send("FDSTOREREMOVE=1\nFDNAME=" + name);
    }

    /** {@code WATCHDOG=1}: alive. */
    public void watchdog() {
        send("WATCHDOG=1");
    }

    private static String oneLine(final String status) {
        return status.replace('\n', ' ');
    }

    private void send(final String message) {
        send(message, new int[0]);
    }

    /** Whether the message left. */
    private synchronized boolean send(final String message, final int[] fds) {
        if (socket == null) {
            return false;
        }
        try {
            socket.send(address, message.getBytes(StandardCharsets.UTF_8), fds);
            return true;
        } catch (final IOException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warn("cannot tell systemd about niolb's state ($NOTIFY_SOCKET={}): {}", address, e.getMessage());
            }
            return false;
        }
    }

    @Override
    public synchronized void close() {
        if (socket != null) {
            socket.close();
        }
    }
}
