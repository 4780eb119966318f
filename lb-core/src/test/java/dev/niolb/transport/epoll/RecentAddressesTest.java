package dev.niolb.transport.epoll;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class RecentAddressesTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment kernel = arena.allocate(SocketAddresses.IN6_BYTES * 2, 8);
    private final MemorySegment expected = arena.allocate(SocketAddresses.IN6_BYTES * 2, 8);
    private final RecentAddresses recent = new RecentAddresses(RecentAddresses.LISTENER_SLOTS);

    @AfterEach
    void free() {
        arena.close();
    }

    @Test
    void aClientWhoseDatagramsAlternateWithAnothersIsHandedTheSameAddressObjectEachTime() throws Exception {
        final InetSocketAddress a = new InetSocketAddress("127.0.0.2", 40_001);
        final InetSocketAddress b = new InetSocketAddress("127.0.0.3", 40_001);

        final InetSocketAddress firstA = received(a, Libc.AF_INET);
        final InetSocketAddress firstB = received(b, Libc.AF_INET);

        assertThat(firstA).isEqualTo(a);
        assertThat(firstB).isEqualTo(b);
        for (int i = 0; i < 10; i++) {
            assertThat(received(a, Libc.AF_INET)).isSameAs(firstA);
            assertThat(received(b, Libc.AF_INET)).isSameAs(firstB);
        }
    }

    @Test
    void aFlowsOneSlotHandsBackItsServersAddressObjectAndTakesANewOne() throws Exception {
        final RecentAddresses flow = new RecentAddresses(1);
        final InetSocketAddress server = new InetSocketAddress("127.0.0.1", 5353);
        final InetSocketAddress other = new InetSocketAddress("127.0.0.1", 5354);

        final InetSocketAddress first = received(flow, server, Libc.AF_INET);

        assertThat(received(flow, server, Libc.AF_INET)).isSameAs(first);
        assertThat(received(flow, other, Libc.AF_INET)).isEqualTo(other);
        assertThat(received(flow, server, Libc.AF_INET)).isEqualTo(server).isNotSameAs(first);
    }

    @Test
    void everySenderReadsAsItsBytesSayAlthoughManyMoreThanTheSlotsShareThem() throws Exception {
        final List<InetSocketAddress> senders = addresses(new Random(7), RecentAddresses.LISTENER_SLOTS * 16);

        for (final InetSocketAddress sender : inTurns(senders, 2, 11)) {
            assertThat(received(sender, Libc.AF_INET6)).isEqualTo(sender);
        }
    }

    @Test
    void aReplyAddressIsWrittenAsTheSocketTakesItWhetherKnownOrNot() throws Exception {
        final List<InetSocketAddress> clients = addresses(new Random(13), RecentAddresses.LISTENER_SLOTS / 2);
        final List<InetSocketAddress> turns = inTurns(clients, 3, 17); // fewer than the slots: many from them
        final List<InetSocketAddress> more = addresses(new Random(19), RecentAddresses.LISTENER_SLOTS * 4);
        turns.addAll(inTurns(more, 2, 23)); // more than the slots: slots taken over

        // a socket has one family, and its own cache
        final RecentAddresses v4Socket = new RecentAddresses(RecentAddresses.LISTENER_SLOTS);
        for (final InetSocketAddress client : turns) {
            for (final int family : new int[] {Libc.AF_INET6, Libc.AF_INET}) {
                if (family == Libc.AF_INET && client.getAddress() instanceof Inet6Address) {
                    continue;
                }
                kernel.fill((byte) 0x5A);
                expected.fill((byte) 0x5A);
                final int length = (family == Libc.AF_INET ? v4Socket : recent).write(client, family, kernel);
                final int expectedLength = SocketAddresses.write(client, family, expected);

                assertThat(length).as("%s", client).isEqualTo(expectedLength);
                assertThat(kernel.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE))
                    .as("%s", client).isEqualTo(expected.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    /** Each address {@code times} times, in an order shuffled by {@code seed}. */
    private static List<InetSocketAddress> inTurns(final List<InetSocketAddress> addresses, final int times,
                                                   final long seed) {
        final List<InetSocketAddress> turns = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            turns.addAll(addresses);
        }
        Collections.shuffle(turns, new Random(seed));
        return turns;
    }

    /** What the cache hands back for the sockaddr a socket of {@code family} would read for {@code sender}. */
    private InetSocketAddress received(final InetSocketAddress sender, final int family) throws Exception {
        return received(recent, sender, family);
    }

    private InetSocketAddress received(final RecentAddresses cache, final InetSocketAddress sender, final int family)
        throws Exception {
        final int length = SocketAddresses.write(sender, family, kernel);
        return cache.sender(kernel, 0, length);
    }

    /** IPv4, IPv6, and IPv6 link-local with a scope; ports from a few, so that addresses share them. */
    private static List<InetSocketAddress> addresses(final Random random, final int count) throws Exception {
        final List<InetSocketAddress> addresses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final int port = 1 + random.nextInt(4);
            final InetAddress ip = switch (i % 3) {
                case 0 -> InetAddress.getByAddress(
                    new byte[] {127, 0, (byte) random.nextInt(4), (byte) random.nextInt(256)});
                case 1 -> {
                    final byte[] v6 = new byte[16];
                    v6[0] = 0x20;
                    v6[1] = 0x01;
                    v6[15] = (byte) random.nextInt(256);
                    v6[14] = (byte) random.nextInt(4);
                    yield InetAddress.getByAddress(v6);
                }
                default -> {
                    final byte[] linkLocal = new byte[16];
                    linkLocal[0] = (byte) 0xFE;
                    linkLocal[1] = (byte) 0x80;
                    linkLocal[15] = (byte) random.nextInt(256);
                    yield Inet6Address.getByAddress(null, linkLocal, 1 + random.nextInt(3));
                }
            };
            addresses.add(new InetSocketAddress(ip, port));
        }
        return addresses;
    }
}
