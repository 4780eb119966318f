package dev.niolb.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryLimitTest {
    @Test
    void aLimitBelowWhatNiolbNeedsIsWarnedOfWithWhatToGiveIt() {
        assertThat(MemoryLimit.warning(128L << 20)).startsWith("memory: 128 MiB (a container's limit?) is less than"
            + " the 256 MiB niolb needs").endsWith("give it 256 MiB or more");
    }

    @Test
    void enoughMemoryOrNoneKnownIsNotWarnedOf() {
        assertThat(MemoryLimit.warning(256L << 20)).isNull();
        assertThat(MemoryLimit.warning(24L << 30)).isNull();
        assertThat(MemoryLimit.warning(0)).as("unknown").isNull();
    }
}
