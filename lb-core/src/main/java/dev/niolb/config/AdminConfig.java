package dev.niolb.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Where the admin HTTP API listens and what guards it.
 *
 * @param address   the TCP address to listen on; null for no admin API
 * @param tokenFile a file whose content (trimmed) is the bearer token every state-changing call must carry;
 *                  null for none (then only the address guards the API: keep it on loopback)
 * @param required  whether an address that cannot be bound fails the start; false for the default address, so
 *                  that a second niolb on one host runs (without an admin API, with a warning) instead of failing
 *                  ({@link #of} decides it so for flags and file alike)
 */
public record AdminConfig(InetSocketAddress address, Path tokenFile, boolean required) {
    /** The address {@code niolb run} and {@code niolb demo} listen on unless told otherwise. */
    public static final String DEFAULT_ADDRESS = "127.0.0.1:9900";
    /** No admin API: what an engine started from code gets unless it asks. */
    public static final AdminConfig NONE = new AdminConfig(null, null, false);
    /** What {@code niolb run} (flags or file) and {@code niolb demo} get unless told otherwise. */
    public static final AdminConfig DEFAULT = of(parseAddress(DEFAULT_ADDRESS), null);

    public AdminConfig {
        if (address == null && tokenFile != null) {
            throw new IllegalArgumentException("an admin token file needs an admin address");
        }
    }

    /** An admin API on {@code address} that must start. */
    public static AdminConfig on(final InetSocketAddress address) {
        return new AdminConfig(address, null, true);
    }

    /**
     * What users write: an address (null for none) and a token file. The default address is taken only when it
     * is free; any other must bind.
     */
    public static AdminConfig of(final InetSocketAddress address, final Path tokenFile) {
        if (address == null) {
            if (tokenFile != null) {
                throw new IllegalArgumentException("an admin token file needs the admin API, not admin address none");
            }
            return NONE;
        }
        return new AdminConfig(address, tokenFile, !Endpoint.hostPort(address).equals(DEFAULT_ADDRESS));
    }

    public boolean enabled() {
        return address != null;
    }

    public AdminConfig withTokenFile(final Path file) {
        return new AdminConfig(address, file, required);
    }

    /**
     * {@code HOST:PORT} (or {@code [v6]:PORT}), or {@code none}.
     *
     * @return the address, or null for none
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static InetSocketAddress parseAddress(final String text) {
        if (text != null && text.strip().equalsIgnoreCase("none")) {
            return null;
        }
        final Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(text);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (or none)");
        }
        if (endpoint.protocol() != Protocol.TCP) {
            throw new IllegalArgumentException("bad admin address '" + text + "': the admin API is HTTP over TCP");
        }
        return endpoint.address();
    }
}
