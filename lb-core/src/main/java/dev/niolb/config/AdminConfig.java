package dev.niolb.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the admin HTTP API listens and what guards it.
 *
 * @param address   the TCP address to listen on; null for no admin API
 * @param tokenFile a file whose content (trimmed) is the bearer token every state-changing call must carry;
 *                  null for none (then only the address guards the API: keep it on loopback)
 * @param required  whether an address that cannot be bound fails the start: false only for the default address
 *                  left unwritten and without a token, so that a second niolb on one host runs (without an admin
 *                  API, with a warning) instead of failing ({@link #of} and {@link #atDefault} decide it so for flags
 *                  and file alike). An address written out, or guarded by a token, must bind: a process that held
 *                  the port in niolb's stead was sent the token by {@code niolb server} and answered for niolb
 *                  (black-box testing, session 32)
 * @param allowedHosts host names (or address literals) that requests may name in their {@code Host} header besides
 *                  loopback names and addresses and the address a request came in on; lower case, without port.
 *                  The guard against DNS rebinding: a page whose name its owner rebinds to this address still
 *                  sends that name, which is none of these
 * @param metricsAddress where a read-only listener serves {@code GET /metrics} and {@code GET /ready} and nothing
 *                  else (no token: it changes nothing), with or without the admin API; null for none. It must bind
 */
public record AdminConfig(InetSocketAddress address, Path tokenFile, boolean required, List<String> allowedHosts,
                          InetSocketAddress metricsAddress) {
    /** The address {@code niolb run} and {@code niolb demo} listen on unless told otherwise. */
    public static final String DEFAULT_ADDRESS = "127.0.0.1:9900";
    /** No admin API: what an engine started from code gets unless it asks. */
    public static final AdminConfig NONE = new AdminConfig(null, null, false);
    /** Dot-separated labels of letters, digits, '-' and '_' (not at a label's ends). */
    private static final Pattern HOST_NAME =
        Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");
    /** What {@code niolb run} (flags or file) and {@code niolb demo} get unless told otherwise. */
    public static final AdminConfig DEFAULT = new AdminConfig(parseAddress(DEFAULT_ADDRESS), null, false);

    public AdminConfig {
        if (address == null && tokenFile != null) {
            throw new IllegalArgumentException("an admin token file needs an admin address");
        }
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        if (metricsAddress != null && metricsAddress.getPort() != 0 && metricsAddress.equals(address)) {
            throw new IllegalArgumentException("the metrics address must differ from the admin address "
                + Endpoint.hostPort(address));
        }
        if (metricsAddress != null && address != null && Config.clash(metricsAddress, address)) {
            // one is the other's wildcard on the same port: check passed, and run failed on its own listener with
            // "address already in use" (black-box testing, session 27)
            throw new IllegalArgumentException("the metrics address " + Endpoint.hostPort(metricsAddress)
                + " and the admin address " + Endpoint.hostPort(address) + " overlap on one port: give them "
                + "different ports");
        }
    }

    /** No metrics-only listener. */
    public AdminConfig(final InetSocketAddress address, final Path tokenFile, final boolean required,
                       final List<String> allowedHosts) {
        this(address, tokenFile, required, allowedHosts, null);
    }

    /** No host names beyond the built-in ones. */
    public AdminConfig(final InetSocketAddress address, final Path tokenFile, final boolean required) {
        this(address, tokenFile, required, List.of());
    }

    /** An admin API on {@code address} that must start. */
    public static AdminConfig on(final InetSocketAddress address) {
        return new AdminConfig(address, null, true);
    }

    /**
     * What users write: an address (null for none) and a token file. An address written out must bind, the
     * default one too.
     */
    public static AdminConfig of(final InetSocketAddress address, final Path tokenFile) {
        if (address == null) {
            if (tokenFile != null) {
                throw new IllegalArgumentException("an admin token file needs the admin API, not admin address none");
            }
            return NONE;
        }
        return new AdminConfig(address, tokenFile, true);
    }

    /**
     * No address written: the default one, taken only when it is free, unless a token guards it ({@code
     * tokenFile} not null): then it must bind, since a process holding the port in niolb's stead would be sent
     * the token.
     */
    public static AdminConfig atDefault(final Path tokenFile) {
        return new AdminConfig(DEFAULT.address(), tokenFile, tokenFile != null);
    }

    public boolean enabled() {
        return address != null;
    }

    /** With a token file: an address that must bind then, whichever it is (see {@link #atDefault}). */
    public AdminConfig withTokenFile(final Path file) {
        return new AdminConfig(address, file, required || file != null, allowedHosts, metricsAddress);
    }

    /** A read-only listener for {@code /metrics} and {@code /ready} on {@code metrics}; null for none. */
    public AdminConfig withMetricsAddress(final InetSocketAddress metrics) {
        return new AdminConfig(address, tokenFile, required, allowedHosts, metrics);
    }

    /** These host names ({@link #parseAllowedHost} each) besides the built-in ones. */
    public AdminConfig withAllowedHosts(final List<String> hosts) {
        if (address == null && metricsAddress == null && !hosts.isEmpty()) {
            throw new IllegalArgumentException("allowed admin host names need the admin API or a metrics address,"
                + " not admin address none alone");
        }
        final List<String> names = new ArrayList<>();
        for (final String host : hosts) {
            final String name = parseAllowedHost(host);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return new AdminConfig(address, tokenFile, required, names, metricsAddress);
    }

    /**
     * A host name ({@code admin.example.com}) or an address literal ({@code 192.0.2.7}, {@code ::1} or
     * {@code [::1]}) as a {@code Host} header names it, without port: the port is not compared.
     *
     * @return the name in lower case (an IPv6 literal without brackets)
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static String parseAllowedHost(final String text) {
        final String lower = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        // a fully qualified name's final dot, as the Host check takes it (black-box testing, session 32)
        final String name = lower.endsWith(".") && !lower.endsWith("..") ? lower.substring(0, lower.length() - 1) : lower;
        final String unbracketed = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1)
            : name;
        if (unbracketed.indexOf(':') >= 0) {
            try {
                InetAddress.ofLiteral(unbracketed); // a literal only: never a lookup
                return unbracketed;
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("bad admin host name '" + text
                    + "': give a name or an address without port (the port is not checked)");
            }
        }
        if (name.length() > 253 || !HOST_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad admin host name '" + text
                + "': give a name such as admin.example.com or an address, without scheme or port");
        }
        return name;
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
        final String lower = text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw new IllegalArgumentException("bad admin address '" + text + "': write HOST:PORT, without "
                + lower.substring(0, lower.indexOf("://") + 3));
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
