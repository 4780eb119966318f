package dev.niolb.bench.harness.soak;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * The bytes a soak session sends: an endless stream that a reader can check at any position without keeping
 * what was sent. Chunk {@code n} (16 KiB) is a slice of 1 MiB of fixed random bytes at a position that moves
 * with {@code n} and the session's seed, led by {@code n} and the seed themselves: a lost, duplicated,
 * reordered or foreign chunk does not match. Not threadsafe: a writer and a reader each use their own.
 */
final class Pattern {
    static final int CHUNK = 16 * 1024;
    private static final byte[] RANDOM = new byte[1 << 20];

    static {
        new Random(0x50A4L).nextBytes(RANDOM);
    }

    private final long seed;
    private final byte[] chunk = new byte[CHUNK];
    private long chunkIndex = -1;

    Pattern(final long seed) {
        this.seed = seed;
    }

    /** Chunk {@code n} of the stream; the array is reused by the next call. */
    byte[] chunk(final long n) {
        if (n != chunkIndex) {
            final int from = (int) Math.floorMod(n * 4099 + seed * 31, (long) (RANDOM.length - CHUNK));
            System.arraycopy(RANDOM, from, chunk, 0, CHUNK);
            ByteBuffer.wrap(chunk).putLong(0, n).putLong(8, seed);
            chunkIndex = n;
        }
        return chunk;
    }

    /**
     * Checks {@code data[off, off+len)} against the stream at {@code position}.
     *
     * @return the stream position of the first byte that differs, or -1 when all match
     */
    long firstMismatch(final long position, final byte[] data, final int off, final int len) {
        int done = 0;
        while (done < len) {
            final long pos = position + done;
            final byte[] expected = chunk(pos / CHUNK);
            final int at = (int) (pos % CHUNK);
            final int take = Math.min(CHUNK - at, len - done);
            final int m = Arrays.mismatch(expected, at, at + take, data, off + done, off + done + take);
            if (m >= 0) {
                return pos + m;
            }
            done += take;
        }
        return -1;
    }
}
