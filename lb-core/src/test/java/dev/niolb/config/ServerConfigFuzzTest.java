package dev.niolb.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.testing.OneLineErrors;

/**
 * {@link ServerConfig#parse}, the {@code --server HOST:PORT[,weight=N]…} form: any text is a server or one line of
 * error. Host names resolve from the fuzz run's hosts file only (see lb-core's pom).
 */
class ServerConfigFuzzTest {
    @FuzzTest(maxDuration = "2s")
    void anyTextIsAServerOrOneLineOfError(final byte[] input) {
        final ServerConfig server = OneLineErrors.parse(OneLineErrors.text(input), ServerConfig::parse);
        if (server != null && (server.weight() < 0 || server.weight() > ServerConfig.MAX_WEIGHT
            || server.name().isBlank() || server.address().getPort() == 0)) {
            throw new AssertionError("an invalid server was accepted: " + server);
        }
    }
}
