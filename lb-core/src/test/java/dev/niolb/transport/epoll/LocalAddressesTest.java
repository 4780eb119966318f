package dev.niolb.transport.epoll;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class LocalAddressesTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicReference<Set<InetAddress>> interfaces = new AtomicReference<>(Set.of());
    private final LocalAddresses local = new LocalAddresses(() -> {
        reads.incrementAndGet();
        return interfaces.get();
    }, clock::get);

    private static InetAddress ip(final String text) throws Exception {
        return InetAddress.getByName(text);
    }

    @Test
    void loopbackIsLocalWithoutReadingTheInterfaces() throws Exception {
        assertThat(local.isLocal(ip("127.0.0.1"))).isTrue();
        assertThat(local.isLocal(ip("127.0.0.5"))).isTrue();
        assertThat(local.isLocal(ip("::1"))).isTrue();
        assertThat(reads).hasValue(0);
    }

    @Test
    void anAddressOfAnInterfaceIsLocalAndOneOfAnotherHostIsNot() throws Exception {
        interfaces.set(Set.of(ip("10.1.2.3"), ip("fd00::2")));

        assertThat(local.isLocal(ip("10.1.2.3"))).isTrue();
        assertThat(local.isLocal(ip("fd00::2"))).isTrue();
        assertThat(local.isLocal(ip("10.1.2.4"))).isFalse();
        assertThat(reads).as("read once for all three").hasValue(1);
    }

    @Test
    void theInterfacesAreReadAgainOnlyOnceTheListIsOlderThanTheRefreshInterval() throws Exception {
        interfaces.set(Set.of(ip("10.1.2.3")));
        assertThat(local.isLocal(ip("10.9.9.9"))).isFalse();

        interfaces.set(Set.of(ip("10.1.2.3"), ip("10.9.9.9"))); // an address moved here
        clock.addAndGet(LocalAddresses.REFRESH_NANOS - 1);
        assertThat(local.isLocal(ip("10.9.9.9"))).as("the list read before still holds").isFalse();
        clock.addAndGet(1);
        assertThat(local.isLocal(ip("10.9.9.9"))).isTrue();
        assertThat(reads).hasValue(2);
    }

    @Test
    void thisHostsInterfacesIncludeLoopback() throws Exception {
        assertThat(LocalAddresses.ofInterfaces()).contains(ip("127.0.0.1"));
    }
}
