package dev.niolb.transport;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Threadsafe: any loop asks; what it reads is an immutable snapshot.
 *
 * Whether an address is this host's own: loopback, or an address of any of its interfaces (a server reached at the
 * host's own {@code 10.0.0.5} rather than {@code 127.0.0.1}). The kernel routes a connection to its own address
 * through the loopback device, whatever interface carries the address, so the handshake completes inside the
 * {@code connect} call as it does for 127.0.0.1 ({@code EpollStreamSocket#connect}).
 *
 * <p>Interfaces come and go (DHCP, a VIP moved here): the list is read again once it is older than
 * {@link #REFRESH_NANOS} and an address that is not loopback is asked about. The read runs off the event loops (it
 * is a netlink dump per interface, longer with many of them), one at a time; until it is done loops answer from
 * the list they have. A stale answer costs at most a wasted {@code send} or one wake-up more for a connect, never a
 * wrong result: the connect's outcome is what the kernel says.
 */
public final class LocalAddresses {
    static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** This host's: read first by the first connect (class initialization, once), then off the loops. */
    public static final LocalAddresses HOST = new LocalAddresses(LocalAddresses::ofInterfaces, System::nanoTime,
        task -> Thread.ofVirtual().name("niolb-local-addresses").start(task));

    private record Snapshot(Set<InetAddress> addresses, long readNanos) {
    }

    private final Supplier<Set<InetAddress>> interfaces;
    private final LongSupplier clock;
    private final Executor reader;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile Snapshot snapshot;

    /** @param reader where the interfaces are read again, off the caller's thread */
    LocalAddresses(final Supplier<Set<InetAddress>> interfaces, final LongSupplier clock, final Executor reader) {
        this.interfaces = interfaces;
        this.clock = clock;
        this.reader = reader;
        this.snapshot = new Snapshot(interfaces.get(), clock.getAsLong());
    }

    public boolean isLocal(final InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        final Snapshot known = snapshot;
        if (clock.getAsLong() - known.readNanos() >= REFRESH_NANOS && reading.compareAndSet(false, true)) {
            reader.execute(this::read);
        }
        return known.addresses().contains(address);
    }

    private void read() {
        try {
            snapshot = new Snapshot(interfaces.get(), clock.getAsLong());
        } finally {
            reading.set(false);
        }
    }

    /** Every address of every interface that is up; none when the kernel cannot be asked. */
    public static Set<InetAddress> ofInterfaces() {
        try {
            return NetworkInterface.networkInterfaces()
                .filter(LocalAddresses::isUp)
                .flatMap(NetworkInterface::inetAddresses)
                .collect(Collectors.toUnmodifiableSet());
        } catch (final SocketException e) {
            return Set.of();
        }
    }

    private static boolean isUp(final NetworkInterface nif) {
        try {
            return nif.isUp();
        } catch (final SocketException e) {
            return false;
        }
    }
}
