package dev.niolb.cli;

import dev.niolb.config.AdminConfig;
import dev.niolb.config.Endpoint;
import org.slf4j.Logger;

import java.net.InetSocketAddress;

/**
 * The start-up warning for an admin API that anyone on the network may drive: it listens beyond loopback (a
 * wildcard or an interface's address) and no bearer token guards its state changes, so whoever reaches the port
 * can drain, remove or add servers.
 *
 * <p>Threading: called once, on the thread that starts the engine.
 */
final class AdminExposure {
    private AdminExposure() {
    }

    /**
     * Logs one WARN line when the admin API bound at {@code bound} is open to the network without a token.
     *
     * @param bound the address the admin API listens on; null for none
     */
    static void warnIfOpen(final AdminConfig admin, final InetSocketAddress bound, final Logger log) {
        final String warning = warning(admin, bound);
        if (warning != null) {
            log.warn(warning);
        }
    }

    /** The warning's text, or null when there is nothing to warn of. */
    static String warning(final AdminConfig admin, final InetSocketAddress bound) {
        if (bound == null || admin.tokenFile() != null || bound.getAddress().isLoopbackAddress()) {
            return null;
        }
        return "the admin API on " + Endpoint.hostPort(bound) + " listens beyond loopback with no token: anyone who "
            + "reaches it can drain, add or remove servers; set admin.token-file (--admin-token-file) or listen on "
            + "127.0.0.1";
    }
}
