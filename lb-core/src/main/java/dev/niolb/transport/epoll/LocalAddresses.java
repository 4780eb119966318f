package dev.niolb.transport.epoll;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Threadsafe: any loop asks; what it reads is an immutable snapshot.
 *
 * Whether an address is this host's own: loopback, or an address of any of its interfaces (a server reached at the
 * host's own {@code 10.0.0.5} rather than {@code 127.0.0.1}). The kernel routes a connection to its own address
 * through the loopback device, whatever interface carries the address, so the handshake completes inside the
 * {@code connect} call as it does for 127.0.0.1 ({@link EpollStreamSocket#connect}).
 *
 * <p>Interfaces come and go (DHCP, a VIP moved here): the list is read again when it is older than
 * {@link #REFRESH_NANOS} and an address that is not loopback is asked about. A stale answer costs at most a wasted
 * {@code send} or a wake-up more for one connect, never a wrong result: the connect's outcome is what the kernel
 * says.
 */
final class LocalAddresses {
    static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** This host's. */
    static final LocalAddresses HOST = new LocalAddresses(LocalAddresses::ofInterfaces, System::nanoTime);

    private record Snapshot(Set<InetAddress> addresses, long readNanos) {
    }

    private final Supplier<Set<InetAddress>> interfaces;
    private final LongSupplier clock;
    private volatile Snapshot snapshot;

    LocalAddresses(final Supplier<Set<InetAddress>> interfaces, final LongSupplier clock) {
        this.interfaces = interfaces;
        this.clock = clock;
    }

    boolean isLocal(final InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        final long now = clock.getAsLong();
        Snapshot known = snapshot;
        if (known == null || now - known.readNanos() >= REFRESH_NANOS) {
            known = new Snapshot(interfaces.get(), now); // two loops may both read it: the same answer either way
            snapshot = known;
        }
        return known.addresses().contains(address);
    }

    /** Every address of every interface that is up; none when the kernel cannot be asked. */
    static Set<InetAddress> ofInterfaces() {
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
