package dev.niolb.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

/**
 * A server as {@code --server} and the config file take it: {@link DnsServerSpec#parse} for a name
 * ({@code HOST:PORT[,…]} with a host name, {@code srv:NAME[,…]}), else {@link ServerConfig#parse}
 * ({@code ADDRESS:PORT[,weight=N]…}). Any text is a server or one line of error. Host names resolve from the fuzz
 * run's hosts file only (see lb-core's pom); a name spec is not resolved when parsed.
 */
class ServerConfigFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyTextIsAServerOrOneLineOfError(final byte[] input) {
        final String text = OneLineErrors.text(input);
        if (DnsServerSpec.isNameSpec(text)) {
            final DnsServerSpec spec = OneLineErrors.parse(text, DnsServerSpec::parse);
            if (spec != null && (spec.host().isBlank() || (!spec.srv() && (spec.port() < 1 || spec.port() > 65535)))) {
                throw new AssertionError("an invalid server name was accepted: " + spec);
            }
            return;
        }
        final ServerConfig server = OneLineErrors.parse(text, ServerConfig::parse);
        if (server != null && (server.weight() < 0 || server.weight() > ServerConfig.MAX_WEIGHT
            || server.name().isBlank() || server.address().getPort() == 0)) {
            throw new AssertionError("an invalid server was accepted: " + server);
        }
    }
}
