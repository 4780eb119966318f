package dev.niolb.health;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RiseFallTest {

    @Test
    void anUpServerGoesDownOnlyAfterFallFailuresInARow() {
        final RiseFall rf = new RiseFall(2, 3, true);
        assertThat(rf.record(false)).isFalse();
        assertThat(rf.record(false)).isFalse();
        assertThat(rf.record(true)).isFalse(); // a pass in between starts the count again
        assertThat(rf.record(false)).isFalse();
        assertThat(rf.record(false)).isFalse();
        assertThat(rf.record(false)).isTrue();
        assertThat(rf.up()).isFalse();
        assertThat(rf.lastFlipCount()).isEqualTo(3);
    }

    @Test
    void aDownServerComesUpOnlyAfterRisePassesInARow() {
        final RiseFall rf = new RiseFall(2, 3, false);
        assertThat(rf.record(true)).isFalse();
        assertThat(rf.record(false)).isFalse();
        assertThat(rf.record(true)).isFalse();
        assertThat(rf.record(true)).isTrue();
        assertThat(rf.up()).isTrue();
        assertThat(rf.lastFlipCount()).isEqualTo(2);
    }

    @Test
    void aForcedDownNeedsTheFullRiseToComeBack() {
        final RiseFall rf = new RiseFall(3, 1, true);
        rf.record(true);
        rf.forceDown();
        assertThat(rf.up()).isFalse();
        assertThat(rf.record(true)).isFalse();
        assertThat(rf.record(true)).isFalse();
        assertThat(rf.record(true)).isTrue();
    }
}
