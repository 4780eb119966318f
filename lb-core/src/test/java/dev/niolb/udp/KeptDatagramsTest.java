package dev.niolb.udp;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class KeptDatagramsTest {
    private static ByteBuffer datagram(final String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(final ByteBuffer b) {
        return StandardCharsets.US_ASCII.decode(b).toString();
    }

    @Test
    void keepsCopiesInOrderAndLeavesTheBuffersPositionAlone() {
        final KeptDatagrams kept = new KeptDatagrams();
        final ByteBuffer a = datagram("xxA?");
        kept.sent(a, 2, 2);
        kept.sent(datagram("AAAA?"), 0, 5);
        a.put(2, (byte) 'B'); // the buffer is reused: the copy stays

        assertThat(kept.count()).isEqualTo(2);
        assertThat(text(kept.datagram(0))).isEqualTo("A?");
        assertThat(text(kept.datagram(1))).isEqualTo("AAAA?");
        assertThat(a.position()).isZero();
    }

    @Test
    void afterOneDoesNotFitNoLaterOneIsKeptSoThatNoneIsSkipped() {
        final KeptDatagrams kept = new KeptDatagrams();
        kept.sent(datagram("one"), 0, 3);
        kept.sent(ByteBuffer.allocate(KeptDatagrams.MAX_BYTES), 0, KeptDatagrams.MAX_BYTES);
        kept.sent(datagram("three"), 0, 5);

        assertThat(kept.count()).isEqualTo(1);
        assertThat(kept.tooLarge()).isEqualTo(KeptDatagrams.MAX_BYTES);
    }

    @Test
    void refusalsUncountTheLastSentFirstThoseNotKept() {
        final KeptDatagrams kept = new KeptDatagrams();
        for (int i = 0; i < KeptDatagrams.MAX_DATAGRAMS + 2; i++) {
            kept.sent(datagram("d" + i), 0, 2);
        }
        kept.uncountLast(3, 6); // the two not kept, then the last kept

        assertThat(kept.counted(KeptDatagrams.MAX_DATAGRAMS - 1)).isFalse();
        assertThat(kept.counted(KeptDatagrams.MAX_DATAGRAMS - 2)).isTrue();
        kept.uncountLast(1, 2);
        assertThat(kept.counted(KeptDatagrams.MAX_DATAGRAMS - 2)).as("an uncounted one is skipped").isFalse();
    }

    @Test
    void thoseNotKeptAreCountedWithTheirBytesLessThoseRefused() {
        final KeptDatagrams kept = new KeptDatagrams();
        for (int i = 0; i < KeptDatagrams.MAX_DATAGRAMS + 3; i++) {
            kept.sent(datagram("d" + i), 0, 2);
        }
        assertThat(kept.unkept()).isEqualTo(3);
        assertThat(kept.unkeptBytes()).isEqualTo(6);

        kept.uncountLast(1, 2);
        assertThat(kept.unkept()).isEqualTo(2);
        assertThat(kept.unkeptBytes()).isEqualTo(4);
        kept.uncountLast(3, 6); // past those not kept
        assertThat(kept.unkept()).isZero();
        assertThat(kept.unkeptBytes()).isZero();
    }
}
