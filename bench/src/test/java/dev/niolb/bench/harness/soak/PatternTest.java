package dev.niolb.bench.harness.soak;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class PatternTest {
    private static byte[] stream(final long seed, final int chunks) {
        final Pattern p = new Pattern(seed);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int n = 0; n < chunks; n++) {
            out.writeBytes(p.chunk(n));
        }
        return out.toByteArray();
    }

    @Test
    void aStreamChecksAgainstItselfInPiecesOfAnySize() {
        final byte[] data = stream(7, 5);
        final Pattern check = new Pattern(7);
        long position = 0;
        for (final int piece : new int[]{1, 100, Pattern.CHUNK, 3 * Pattern.CHUNK - 1 - 100 - Pattern.CHUNK}) {
            assertThat(check.firstMismatch(position, data, (int) position, piece)).isEqualTo(-1);
            position += piece;
        }
    }

    @Test
    void aChunkSentTwiceIsCaughtWhereTheDuplicateStarts() {
        final byte[] good = stream(7, 3);
        final byte[] bad = good.clone();
        System.arraycopy(good, 0, bad, Pattern.CHUNK, Pattern.CHUNK); // chunk 0 again instead of chunk 1
        // the chunk number leads each chunk: 0 and 1 differ in its last byte
        assertThat(new Pattern(7).firstMismatch(0, bad, 0, bad.length)).isEqualTo(Pattern.CHUNK + 7);
    }

    @Test
    void anotherSessionsBytesDoNotMatch() {
        final byte[] other = stream(8, 1);
        assertThat(new Pattern(7).firstMismatch(0, other, 0, other.length)).isNotEqualTo(-1);
    }
}
