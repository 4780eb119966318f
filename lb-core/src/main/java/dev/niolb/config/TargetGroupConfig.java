package dev.niolb.config;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** A named set of servers and the algorithm that balances over them. */
public record TargetGroupConfig(String name, Algorithm balance, List<ServerConfig> servers) {
    public TargetGroupConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(balance, "balance");
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("group '" + name + "': needs at least one server");
        }
        final Set<String> names = new HashSet<>();
        for (final ServerConfig s : servers) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("group '" + name + "': server '" + s.name() + "' appears twice");
            }
        }
    }
}
