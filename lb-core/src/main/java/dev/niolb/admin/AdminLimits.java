package dev.niolb.admin;

import java.time.Duration;

/**
 * How long and how much an admin connection may take: the bounds that keep slow or numerous clients of the
 * admin port from holding threads and file descriptors the data path needs.
 *
 * <p>Each connection carries one request ({@code Connection: close}). It has {@code headerTimeout} from accept to
 * the end of its headers and then {@code bodyTimeout} for its body, whatever it sends in between (a client that
 * drips a byte every second is closed as surely as a silent one); the answer must be written within
 * {@code responseTimeout}. At most {@code maxConnections} are open at once: a new one past that closes the
 * oldest that is still sending its request, or is itself closed when every open one is being answered.
 *
 * @param headerTimeout   from accept to the end of the request's headers
 * @param bodyTimeout     from the end of the headers to the end of the body
 * @param responseTimeout to write the answer
 * @param maxConnections  admin connections open at once
 * @param maxHeaderBytes  request line and headers together
 * @param maxBodyBytes    a request body
 */
record AdminLimits(Duration headerTimeout, Duration bodyTimeout, Duration responseTimeout, int maxConnections,
                   int maxHeaderBytes, int maxBodyBytes) {
    /** What {@code niolb run} uses; docs/OPERATIONS.md (Admin API) lists them. */
    static final AdminLimits DEFAULTS = new AdminLimits(Duration.ofSeconds(10), Duration.ofSeconds(10),
        Duration.ofSeconds(30), 64, 16 * 1024, 64 * 1024);

    AdminLimits {
        if (headerTimeout.isNegative() || headerTimeout.isZero() || bodyTimeout.isNegative() || bodyTimeout.isZero()
            || responseTimeout.isNegative() || responseTimeout.isZero()) {
            throw new IllegalArgumentException("admin timeouts must be positive");
        }
        if (maxConnections < 1 || maxHeaderBytes < 256 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("admin limits out of range");
        }
    }
}
