package dev.niolb.cli;

import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.ServerConfig;

/**
 * One {@code --server} value: a server at an address ({@code 10.0.0.1:80}), or servers by DNS name
 * ({@code api.internal:8080}, {@code srv:_api._tcp.example.org}), resolved at start and again as TTLs run out.
 *
 * @param address the server, when an IP address was given; else null
 * @param name    the DNS spec, when a name was given; else null
 */
record ServerArgument(ServerConfig address, DnsServerSpec name) {
    /**
     * @throws IllegalArgumentException with one line naming the bad part
     */
    static ServerArgument parse(final String text) {
        return DnsServerSpec.isNameSpec(text) ? new ServerArgument(null, DnsServerSpec.parse(text))
            : new ServerArgument(ServerConfig.parse(text), null);
    }
}
