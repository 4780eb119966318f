package dev.niolb.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesTest {
    @Test
    void sizesAreBytesOrBinaryMultiples() {
        assertThat(Sizes.parse("65536")).isEqualTo(65536);
        assertThat(Sizes.parse("16k")).isEqualTo(16 * 1024);
        assertThat(Sizes.parse("64K")).isEqualTo(64 * 1024);
        assertThat(Sizes.parse("1m")).isEqualTo(1024 * 1024);
        assertThatThrownBy(() -> Sizes.parse("64q")).hasMessageStartingWith("bad size '64q'");
    }

    @Test
    void aWellFormedSizeNoIntHoldsIsPastAnIntAndTooLargeToParse() {
        assertThat(Sizes.pastInt("3000000000")).isTrue();
        assertThat(Sizes.pastInt("2048m")).isTrue();
        assertThat(Sizes.pastInt("99999999999999999999k")).as("past a long too").isTrue();
        assertThat(Sizes.pastInt("2047m")).isFalse();
        assertThat(Sizes.pastInt("3000000000q")).as("malformed: not a size at all").isFalse();
        assertThatThrownBy(() -> Sizes.parse("30000000000")).hasMessage("bad size '30000000000': too large");
    }

    @Test
    void theShortestFormReadsBackToTheSameSize() {
        for (final int bytes : new int[] {0, 1, 1000, 1024, 1536, 65536, 1024 * 1024, 3 * 1024 * 1024 + 1024}) {
            assertThat(Sizes.parse(Sizes.format(bytes))).as("%d", bytes).isEqualTo(bytes);
        }
        assertThat(Sizes.format(64 * 1024)).isEqualTo("64k");
        assertThat(Sizes.format(2 * 1024 * 1024)).isEqualTo("2m");
        assertThat(Sizes.format(1500)).isEqualTo("1500");
    }
}
