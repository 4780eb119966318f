package dev.niolb.testing;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TcpDropsTest {
    @Test
    void namesOnlyTheCountersThatRose() {
        final TcpDrops before = new TcpDrops(Map.of("BeyondWindow", 1L, "PruneCalled", 5L));
        final TcpDrops after = new TcpDrops(Map.of("BeyondWindow", 3L, "PruneCalled", 5L, "TCPRcvQDrop", 4L));

        assertThat(after.risenSince(before)).isEqualTo("BeyondWindow +2, TCPRcvQDrop +4");
    }

    @Test
    void saysNoneWhenNothingRose() {
        final TcpDrops same = new TcpDrops(Map.of("BeyondWindow", 7L));

        assertThat(same.risenSince(same)).isEqualTo("none");
    }

    @Test
    void readsTheHostsCountersFromProc() {
        assertThat(TcpDrops.now().values()).containsKeys("PruneCalled", "TCPRcvQDrop");
    }
}
