package dev.niolb.udp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Used on its flow's event loop.
 *
 * The datagrams a flow sent to a server that has not answered yet, kept so that, if the server answers ICMP port
 * unreachable instead, they go to the next server and the client sees no loss: a resolver's A and AAAA queries
 * sent back to back, a handshake's first flight. Bounded ({@value #MAX_DATAGRAMS} datagrams, {@value #MAX_BYTES}
 * bytes): a client that sends more before any answer is streaming, and only what fits is sent again.
 *
 * <p>Each kept datagram also remembers whether it is counted as sent ({@link #counted}): a batching transport
 * may refuse datagrams after the flow counted them ({@link #uncountLast}), and one sent again must be counted
 * once, not twice.
 *
 * <p>Not threadsafe. Allocates while it keeps (copies of the payloads), never once the server answered.
 */
final class KeptDatagrams {
    static final int MAX_BYTES = 4096;
    static final int MAX_DATAGRAMS = 8;

    private byte[] data = new byte[0];
    private final int[] ends = new int[MAX_DATAGRAMS];
    private int count;
    private int countedBits; // bit i: datagram i is counted as sent
    private boolean full;    // one did not fit: the kept ones are the first sent, never a gap between them
    private int unkept;      // datagrams counted as sent after the kept ones
    private long unkeptBytes;
    private int tooLarge;    // the size of the first datagram that did not fit, 0 while all did

    /**
     * A datagram the flow counted as sent, its bytes between {@code position} and {@code position + size} of
     * {@code datagram} (whose position and limit stay as they are): copied if it fits after those kept so far.
     */
    void sent(final ByteBuffer datagram, final int position, final int size) {
        final int start = count == 0 ? 0 : ends[count - 1];
        if (full || count == MAX_DATAGRAMS || start + size > MAX_BYTES) {
            if (!full) {
                full = true;
                tooLarge = size;
            }
            unkept++;
            unkeptBytes += size;
            return;
        }
        if (start + size > data.length) {
            data = Arrays.copyOf(data, Math.min(MAX_BYTES, Math.max(start + size, 2 * data.length)));
        }
        datagram.get(position, data, start, size);
        ends[count] = start + size;
        countedBits |= 1 << count;
        count++;
    }

    int count() {
        return count;
    }

    /** The {@code i}th kept datagram, a new view of its bytes (read mode). */
    ByteBuffer datagram(final int i) {
        final int start = i == 0 ? 0 : ends[i - 1];
        return ByteBuffer.wrap(data, start, ends[i] - start);
    }

    int size(final int i) {
        return ends[i] - (i == 0 ? 0 : ends[i - 1]);
    }

    boolean counted(final int i) {
        return (countedBits & (1 << i)) != 0;
    }

    void markCounted(final int i) {
        countedBits |= 1 << i;
    }

    void markUncounted(final int i) {
        countedBits &= ~(1 << i);
    }

    /**
     * The transport refused the last {@code n} datagrams the flow counted as sent, {@code bytes} in all: they are
     * counted no more.
     */
    void uncountLast(final int n, final long bytes) {
        int left = n - Math.min(n, unkept);
        unkept -= n - left;
        unkeptBytes = left == 0 ? unkeptBytes - bytes : 0; // those not kept are the last sent
        for (int i = count - 1; i >= 0 && left > 0; i--) {
            if (counted(i)) {
                countedBits &= ~(1 << i);
                left--;
            }
        }
    }

    /** They were all sent again, to the next server: those sent after them are lost, and not refused now. */
    void resent() {
        unkept = 0;
        unkeptBytes = 0;
    }

    /** Datagrams counted as sent after those kept, which a retry cannot send again. */
    int unkept() {
        return unkept;
    }

    long unkeptBytes() {
        return unkeptBytes;
    }

    /** The size of the first datagram that did not fit, or 0: for the log line when none could be sent again. */
    int tooLarge() {
        return tooLarge;
    }

    /** Forgets them all: they went to a server that is not to be retried. */
    void clear() {
        count = 0;
        countedBits = 0;
        full = false;
        unkept = 0;
        unkeptBytes = 0;
        tooLarge = 0; // the copies' array stays for the next server's
    }
}
