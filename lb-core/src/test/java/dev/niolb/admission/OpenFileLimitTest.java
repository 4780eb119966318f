package dev.niolb.admission;

import dev.niolb.config.ListenerLimits;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OpenFileLimitTest {

    @Test
    void aSessionTakesTwoDescriptorsOfWhatIsLeftAfterThoseOpenAndTheReserve() {
        assertThat(OpenFileLimit.connections(4096, 100, 2)).isEqualTo((4096 - 100 - 256) / 2);
    }

    @Test
    void aFlowTakesOne() {
        assertThat(OpenFileLimit.connections(4096, 100, 1)).isEqualTo(4096 - 100 - 256);
    }

    @Test
    void aLimitWithNoRoomBeyondTheReserveStillAdmitsAFewRatherThanNobody() {
        assertThat(OpenFileLimit.connections(300, 100, 2)).isEqualTo(OpenFileLimit.FLOOR);
    }

    @Test
    void aHugeLimitGivesTheLargestMaxconnTheConfigAllows() {
        assertThat(OpenFileLimit.connections(1L << 40, 50, 2)).isEqualTo(ListenerLimits.MAX_CONN);
    }
}
