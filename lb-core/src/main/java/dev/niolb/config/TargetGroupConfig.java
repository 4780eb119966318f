package dev.niolb.config;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of servers, the algorithm that balances over them, and how they are checked.
 *
 * @param hashBalanceFactor for {@code source}: a server takes at most this many percent of the average load
 *                          before new clients overflow to the next server in the Maglev order; 0 for no bound
 * @param dnsServers        servers given by DNS name, resolved at run time, beside the {@code servers} given by
 *                          address; a group needs at least one of either
 */
public record TargetGroupConfig(String name, Algorithm balance, List<ServerConfig> servers, HealthCheckConfig health,
                                int hashBalanceFactor, List<DnsServerSpec> dnsServers) {
    public TargetGroupConfig(final String name, final Algorithm balance, final List<ServerConfig> servers,
                             final HealthCheckConfig health, final int hashBalanceFactor) {
        this(name, balance, servers, health, hashBalanceFactor, List.of());
    }

    public TargetGroupConfig(final String name, final Algorithm balance, final List<ServerConfig> servers) {
        this(name, balance, servers, HealthCheckConfig.DEFAULTS, 0);
    }

    public TargetGroupConfig(final String name, final Algorithm balance, final List<ServerConfig> servers,
                             final HealthCheckConfig health) {
        this(name, balance, servers, health, 0);
    }

    public TargetGroupConfig {
        Objects.requireNonNull(name, "name");
        Names.check("group", name);
        Objects.requireNonNull(balance, "balance");
        Objects.requireNonNull(health, "health");
        checkHashBalanceFactor(balance, hashBalanceFactor);
        servers = List.copyOf(servers);
        dnsServers = List.copyOf(dnsServers);
        if (servers.isEmpty() && dnsServers.isEmpty()) {
            throw new IllegalArgumentException("group " + Quoted.of(name) + ": needs at least one server");
        }
        final Set<String> names = new HashSet<>();
        for (final ServerConfig s : servers) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("group " + Quoted.of(name) + ": server " + Quoted.of(s.name()) + " appears twice");
            }
        }
        for (final DnsServerSpec d : dnsServers) {
            if (!names.add(d.name())) {
                throw new IllegalArgumentException("group " + Quoted.of(name) + ": server " + Quoted.of(d.name()) + " appears twice");
            }
        }
    }

    /**
     * @throws IllegalArgumentException unless the factor is 0, or 101..10000 with {@code source}
     */
    public static void checkHashBalanceFactor(final Algorithm balance, final int hashBalanceFactor) {
        if (hashBalanceFactor != 0 && (hashBalanceFactor < 101 || hashBalanceFactor > 10_000)) {
            throw new IllegalArgumentException("hash-balance-factor must be 101..10000 (percent), or 0 for none, got "
                + hashBalanceFactor);
        }
        if (hashBalanceFactor != 0 && balance != Algorithm.SOURCE) {
            throw new IllegalArgumentException("hash-balance-factor applies to balance source only, not " + balance);
        }
    }
}
