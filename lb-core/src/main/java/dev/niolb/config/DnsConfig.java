package dev.niolb.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * How servers given by DNS name are resolved.
 *
 * @param resolver the DNS server to ask ({@code --resolver HOST:PORT}), or null for the system's (its
 *                 {@code /etc/resolv.conf} servers and search domains, and {@code /etc/hosts})
 * @param minTtl   a name is looked up again no sooner than this after an answer, whatever its TTL (a TTL of 0 is
 *                 common); also the wait before retrying a lookup that failed
 * @param maxTtl   and no later than this, whatever its TTL
 * @param timeout  how long one lookup may take before it counts as failed
 */
public record DnsConfig(InetSocketAddress resolver, Duration minTtl, Duration maxTtl, Duration timeout) {
    public static final DnsConfig DEFAULTS = new DnsConfig(null, Duration.ofSeconds(1), Duration.ofMinutes(5),
        Duration.ofSeconds(2));

    public DnsConfig {
        Objects.requireNonNull(minTtl, "minTtl");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(timeout, "timeout");
        if (minTtl.toMillis() < 100) {
            throw new IllegalArgumentException("dns min-ttl must be at least 100ms, got " + Durations.format(minTtl));
        }
        if (maxTtl.compareTo(minTtl) < 0) {
            throw new IllegalArgumentException("dns max-ttl " + Durations.format(maxTtl) + " is below min-ttl "
                + Durations.format(minTtl));
        }
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("dns timeout must be positive, got " + Durations.format(timeout));
        }
        if (resolver != null && resolver.getPort() == 0) {
            throw new IllegalArgumentException("resolver " + Endpoint.hostPort(resolver) + ": port must be 1..65535");
        }
    }

    public DnsConfig withResolver(final InetSocketAddress r) {
        return new DnsConfig(r, minTtl, maxTtl, timeout);
    }

    public DnsConfig withTtl(final Duration min, final Duration max) {
        return new DnsConfig(resolver, min, max, timeout);
    }

    public DnsConfig withTimeout(final Duration t) {
        return new DnsConfig(resolver, minTtl, maxTtl, t);
    }
}
