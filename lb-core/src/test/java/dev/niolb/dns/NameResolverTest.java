package dev.niolb.dns;

import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.ServerConfig;
import dev.niolb.testing.ScriptedDnsServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NameResolverTest {

    @Test
    void withTheSystemsResolverANameInTheHostsFileIsAnsweredFromThereAlone() throws Exception {
        final Path hosts = Path.of("/etc/hosts");
        Assumptions.assumeTrue(Files.isReadable(hosts) && Files.readString(hosts).matches("(?s).*127\\.0\\.0\\.1\\s+localhost.*"),
            "/etc/hosts has no '127.0.0.1 localhost' line");
        final long start = System.nanoTime();

        final NameResolver.Answer answer = new NameResolver(DnsConfig.DEFAULTS).resolve(DnsServerSpec.of("localhost", 8080));

        assertThat(answer.servers()).extracting(ServerConfig::address)
            .contains(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080));
        assertThat(answer.ttlSeconds()).isEqualTo(NameResolver.HOSTS_TTL_SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no DNS server asked").isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aResolverThatDoesNotAnswerIsAFailureNotAnEmptySet() throws Exception {
        final InetSocketAddress nobody;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            nobody = (InetSocketAddress) s.getLocalSocketAddress();
        }
        final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS.withResolver(nobody)
            .withTimeout(Duration.ofMillis(200)));

        assertThatThrownBy(() -> resolver.resolve(DnsServerSpec.of("api.test", 80)))
            .isInstanceOf(java.io.IOException.class).hasMessageContaining("api.test");
    }

    @Test
    void aResolverThatSwallowsQueriesTimesOutOnceForBothFamiliesAndSaysSo() throws Exception {
        try (java.net.DatagramSocket silent = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            final Duration timeout = Duration.ofSeconds(1);
            final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS
                .withResolver((InetSocketAddress) silent.getLocalSocketAddress()).withTimeout(timeout));

            final long started = System.nanoTime();
            assertThatThrownBy(() -> resolver.resolve(DnsServerSpec.of("api.test", 80)))
                .isInstanceOf(java.io.IOException.class).hasMessageEndingWith("lookup of api.test failed: timed out");
            final Duration took = Duration.ofNanos(System.nanoTime() - started);

            // the A and the AAAA query wait together: one after the other they took two timeouts, and a start
            // waits for every name (black-box testing, session 22: 5 s with a timeout of 2 s)
            assertThat(took).isGreaterThanOrEqualTo(timeout).isLessThan(timeout.multipliedBy(2));
        }
    }

    @Test
    void anAaaaQueryRefusedLeavesTheAnswerToTheAQueryGoodAndSaysWhichFamilyFailed() throws Exception {
        try (ScriptedDnsServer dns = new ScriptedDnsServer().answer("127.0.0.7", "::1").refuse(false, true)) {
            final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS.withResolver(dns.address())
                .withTimeout(Duration.ofSeconds(2)));

            final NameResolver.Answer answer = resolver.resolve(DnsServerSpec.of("api.test", 80));

            assertThat(answer.servers()).extracting(ServerConfig::address)
                .containsExactly(new InetSocketAddress(InetAddress.getByName("127.0.0.7"), 80));
            assertThat(answer.failedFamilies()).isEqualTo(NameResolver.Answer.IPV6);
        }
    }

    @Test
    void eachAddressCarriesTheNameItWasLookedUpBy() throws Exception {
        try (ScriptedDnsServer dns = new ScriptedDnsServer().answer("127.0.0.7", "::1")) {
            final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS.withResolver(dns.address())
                .withTimeout(Duration.ofSeconds(2)));

            final NameResolver.Answer answer = resolver.resolve(DnsServerSpec.of("api.test", 80));

            // for an HTTP check's Host (HttpCheck): the name, with no reverse lookup to find it
            assertThat(answer.servers()).extracting(s -> s.address().getAddress().toString())
                .containsExactly("api.test/127.0.0.7", "api.test/0:0:0:0:0:0:0:1");
        }
    }

    @Test
    void aSinkholesUnspecifiedAddressIsNoServer() throws Exception {
        try (ScriptedDnsServer dns = new ScriptedDnsServer().answer("0.0.0.0", "127.0.0.7", "::")) {
            final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS.withResolver(dns.address())
                .withTimeout(Duration.ofSeconds(2)));

            final NameResolver.Answer answer = resolver.resolve(DnsServerSpec.of("blocked.test", 80));

            assertThat(answer.servers()).extracting(s -> s.address().getAddress().getHostAddress())
                .containsExactly("127.0.0.7");
        }
    }

    @Test
    void aMulticastOrBroadcastAddressInAnAnswerIsNoServer() throws Exception {
        try (ScriptedDnsServer dns = new ScriptedDnsServer().answer("224.0.0.1", "127.0.0.7", "255.255.255.255",
            "ff02::1")) {
            final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS.withResolver(dns.address())
                .withTimeout(Duration.ofSeconds(2)));

            final NameResolver.Answer answer = resolver.resolve(DnsServerSpec.of("many.test", 80));

            assertThat(answer.servers()).extracting(s -> s.address().getAddress().getHostAddress())
                .containsExactly("127.0.0.7");
        }
    }

    @Test
    void aNameWithOnlyUnspecifiedAddressesFailsSayingSoNotThatItHasNoRecords() throws Exception {
        try (ScriptedDnsServer dns = new ScriptedDnsServer().answer("0.0.0.0", "::")) {
            final NameResolver resolver = new NameResolver(DnsConfig.DEFAULTS.withResolver(dns.address())
                .withTimeout(Duration.ofSeconds(2)));

            assertThatThrownBy(() -> resolver.resolve(DnsServerSpec.of("blocked.test", 80)))
                .hasMessageContaining("blocked.test has only 0.0.0.0 or ::");
        }
    }
}
