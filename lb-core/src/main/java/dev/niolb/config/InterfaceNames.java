package dev.niolb.config;

import java.net.Inet6Address;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/**
 * Any thread.
 *
 * The name of a network interface by its index, for an IPv6 scope the kernel gives as a number: the JDK finds it by
 * listing every interface (tens of µs), so the last one found is kept for a second. A link-local client's access
 * log line asks for it once per connection; an interface renamed or gone is seen within that second. The name is
 * given only where it reads back: the JDK takes a name as a scope only from an interface that has an address of the
 * same kind (link-local, site-local), and a text written out (an effective config, a state file) must parse again.
 */
final class InterfaceNames {
    private static final long KEPT_NANOS = 1_000_000_000L;

    private record Found(int index, boolean linkLocal, String name, long atNanos) {
    }

    private static volatile Found last = new Found(0, false, "0", 0);

    private InterfaceNames() {
    }

    /** The scope of {@code address} (numbered {@code index}) as the interface's name, or the index itself. */
    static String of(final int index, final Inet6Address address) {
        final long now = System.nanoTime();
        final boolean linkLocal = address.isLinkLocalAddress();
        final Found known = last;
        if (known.index() == index && known.linkLocal() == linkLocal && now - known.atNanos() < KEPT_NANOS) {
            return known.name();
        }
        String name = Integer.toString(index);
        try {
            final NetworkInterface nif = NetworkInterface.getByIndex(index);
            if (nif != null) {
                Inet6Address.getByAddress(null, address.getAddress(), nif); // throws where the name does not read back
                name = nif.getName();
            }
        } catch (final SocketException | UnknownHostException e) {
            // the number, which reads back
        }
        last = new Found(index, linkLocal, name, now);
        return name;
    }
}
