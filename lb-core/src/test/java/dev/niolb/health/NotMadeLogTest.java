package dev.niolb.health;

import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NotMadeLogTest {
    @Test
    void thousandsOfServersShortOfDescriptorsAtOnceMakeALineASecondWithHowManyMore() {
        final long base = Long.MAX_VALUE / 2; // later than any other test's clock: this class's lines are ours
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            for (int i = 0; i < 5000; i++) {
                NotMadeLog.notMade(base + i / 10, "g/s" + i, "too many open files");
            }
            NotMadeLog.notMade(base + 1000, "g/last", "too many open files");

            assertThat(log.messages()).containsExactly(
                "server g/s0: check not made: too many open files; niolb is short of its own resources, so its state "
                    + "stands",
                "server g/last: check not made: too many open files; niolb is short of its own resources, so its "
                    + "state stands (4999 more checks since the last one logged, not logged)");
        }
    }
}
