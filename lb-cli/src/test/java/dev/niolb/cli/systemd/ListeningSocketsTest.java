package dev.niolb.cli.systemd;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ListeningSocketsTest {
    @Test
    void socketsNamedForNiolbsStoreAreNotFromASocketUnit() {
        assertThat(ListeningSockets.fromSocketUnits(Map.of("LISTEN_FDNAMES", "niolb-listeners:niolb-listeners"), 2))
            .isZero();
    }

    @Test
    void socketsNamedForAUnitAreCountedBesideTheStoresOwn() {
        assertThat(ListeningSockets.fromSocketUnits(Map.of("LISTEN_FDNAMES", "niolb-listeners:niolb.socket:web"), 3))
            .isEqualTo(2);
    }

    @Test
    void withoutNamesEverySocketIsTakenForASocketUnits() {
        assertThat(ListeningSockets.fromSocketUnits(Map.of(), 2)).isEqualTo(2);
    }

    @Test
    void fewerNamesThanSocketsLeaveTheUnnamedOnesToASocketUnit() {
        assertThat(ListeningSockets.fromSocketUnits(Map.of("LISTEN_FDNAMES", "niolb-listeners"), 3)).isEqualTo(2);
    }
}
