package dev.niolb.config;

import java.net.NetworkInterface;
import java.net.SocketException;

/**
 * Any thread.
 *
 * The name of a network interface by its index, for an IPv6 scope the kernel gives as a number: the JDK finds it by
 * listing every interface (tens of µs), so the last one found is kept for a second. A link-local client's access
 * log line asks for it once per connection; an interface renamed or gone is seen within that second.
 */
final class InterfaceNames {
    private static final long KEPT_NANOS = 1_000_000_000L;

    private record Found(int index, String name, long atNanos) {
    }

    private static volatile Found last = new Found(0, "0", 0);

    private InterfaceNames() {
    }

    /** The interface's name, or the index itself when no interface has it. */
    static String of(final int index) {
        final long now = System.nanoTime();
        final Found known = last;
        if (known.index() == index && now - known.atNanos() < KEPT_NANOS) {
            return known.name();
        }
        String name;
        try {
            final NetworkInterface nif = NetworkInterface.getByIndex(index);
            name = nif == null ? Integer.toString(index) : nif.getName();
        } catch (final SocketException e) {
            name = Integer.toString(index);
        }
        last = new Found(index, name, now);
        return name;
    }
}
