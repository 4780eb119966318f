package dev.niolb.transport;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class LocalAddressesTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicReference<Set<InetAddress>> interfaces = new AtomicReference<>(Set.of());
    private final List<Runnable> readsAsked = new ArrayList<>();
    private final LocalAddresses local = new LocalAddresses(() -> {
        reads.incrementAndGet();
        return interfaces.get();
    }, clock::get, readsAsked::add);

    /** Runs the reads the loops asked for, as the reader thread would. */
    private void readAsAsked() {
        final List<Runnable> asked = List.copyOf(readsAsked);
        readsAsked.clear();
        asked.forEach(Runnable::run);
    }

    private static InetAddress ip(final String text) throws Exception {
        return InetAddress.getByName(text);
    }

    @Test
    void loopbackIsLocalWithoutAskingForARead() throws Exception {
        clock.addAndGet(LocalAddresses.REFRESH_NANOS * 2);
        assertThat(local.isLocal(ip("127.0.0.1"))).isTrue();
        assertThat(local.isLocal(ip("127.0.0.5"))).isTrue();
        assertThat(local.isLocal(ip("::1"))).isTrue();
        assertThat(readsAsked).isEmpty();
    }

    @Test
    void anAddressOfAnInterfaceIsLocalAndOneOfAnotherHostIsNot() throws Exception {
        interfaces.set(Set.of(ip("10.1.2.3"), ip("fd00::2")));
        clock.addAndGet(LocalAddresses.REFRESH_NANOS);
        local.isLocal(ip("10.1.2.3"));
        readAsAsked();

        assertThat(local.isLocal(ip("10.1.2.3"))).isTrue();
        assertThat(local.isLocal(ip("fd00::2"))).isTrue();
        assertThat(local.isLocal(ip("10.1.2.4"))).isFalse();
    }

    @Test
    void aStaleListIsReadAgainOffTheCallerAndOnlyOnceWhileItIsBeingRead() throws Exception {
        assertThat(reads).as("the first read, when made").hasValue(1);
        interfaces.set(Set.of(ip("10.9.9.9"))); // an address moved here
        clock.addAndGet(LocalAddresses.REFRESH_NANOS - 1);
        assertThat(local.isLocal(ip("10.9.9.9"))).as("the list read before still holds").isFalse();
        assertThat(readsAsked).isEmpty();

        clock.addAndGet(1);
        assertThat(local.isLocal(ip("10.9.9.9"))).as("answered from the stale list meanwhile").isFalse();
        assertThat(local.isLocal(ip("10.9.9.9"))).isFalse();
        assertThat(readsAsked).as("one read asked for, by the first to find the list stale").hasSize(1);
        assertThat(reads).as("not read on the caller's thread").hasValue(1);

        readAsAsked();
        assertThat(local.isLocal(ip("10.9.9.9"))).isTrue();
        assertThat(reads).hasValue(2);
        assertThat(readsAsked).as("the new list is fresh").isEmpty();
    }

    @Test
    void thisHostsInterfacesIncludeLoopback() throws Exception {
        assertThat(LocalAddresses.ofInterfaces()).contains(ip("127.0.0.1"));
    }
}
