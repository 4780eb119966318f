package dev.niolb.admission;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * What niolb remembers per client source for the per-source limits: the connections it has open and its token
 * bucket for new ones. HAProxy users build the same from a stick table ({@code conn_cur}, {@code conn_rate}).
 *
 * <p><b>Bounded memory.</b> The table holds at most {@code capacity} sources, in arrays allocated once: no
 * object per source or per connection. When a new source comes and the table is full, the least recently
 * seen source is forgotten (among the eight least recent, one with no connection open is preferred, so that
 * a flood of new sources does not make niolb forget the counts of those that hold connections). A forgotten
 * source starts again with a full bucket and, if it still had connections open, with a count of 0, which the
 * closes of those old connections then lower (never below 0): such a source may hold its maximum again on top of
 * its old connections (once more for each time it is forgotten), and, since their ends lower its new count, as
 * many more as it had old ones until its new connections end. Memory stays bounded at the price of leniency towards a source evicted
 * while connected; telling old connections from new would take a ticket per connection.
 *
 * <p><b>Keys.</b> An IPv4 source is its address. An IPv6 source is its /64 prefix: one host is usually given a
 * whole /64 and can pick any address in it, so counting /128s would let it walk around any limit.
 *
 * <p><b>Rate.</b> Each source's token bucket is kept as one timestamp, the generic cell rate algorithm's
 * <i>theoretical arrival time</i> {@code tat}: a connection is admitted when {@code max(tat, now) + interval}
 * is at most {@code burst × interval} ahead of now, and then moves {@code tat} there. That is exactly a bucket
 * of {@code burst} tokens refilled at one per {@code interval}, without a refill step. A refused connection
 * takes no token.
 *
 * <p><b>Threading.</b> Any thread. The table is split into segments by a hash of the source, each guarded by
 * its own monitor, held for a hash probe and a few array writes. It is taken only when a connection is
 * accepted and when it closes, never on the relay path; two loops contend only when they accept or close
 * connections from sources of the same segment at the same instant. One table shared by the loops, rather
 * than one per loop, because {@code SO_REUSEPORT} spreads one source's connections over every loop (the
 * kernel hashes the source port too): per-loop tables would let a source open N × loops.
 */
public final class SourceTable {
    /** Admitted: the source's count is up by one and a token was taken. */
    public static final int OK = 0;
    /** Refused: the source has its maximum of connections open. */
    public static final int OVER_LIMIT = 1;
    /** Refused: the source's bucket is empty. */
    public static final int OVER_RATE = 2;

    private static final int MAX_SEGMENTS = 16;
    private static final int MIN_SEGMENT_CAPACITY = 256;
    private static final long IPV4_HIGH = -1L; // ff..ff:: is multicast: never an IPv6 source

    private final Segment[] segments;
    private final int segmentShift;
    private final int capacity;

    /** A table of {@code capacity} sources. */
    public SourceTable(final int capacity) {
        this(capacity, segmentsFor(capacity));
    }

    /** With a given number of segments (a power of two): one segment makes eviction strictly least-recent. */
    SourceTable(final int capacity, final int segmentCount) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        if (Integer.bitCount(segmentCount) != 1 || segmentCount > capacity) {
            throw new IllegalArgumentException("segments must be a power of two no larger than the capacity");
        }
        this.capacity = capacity;
        this.segments = new Segment[segmentCount];
        for (int i = 0; i < segmentCount; i++) {
            // every segment gets capacity / n, the first capacity % n one more: the sum is the capacity exactly
            segments[i] = new Segment(capacity / segmentCount + (i < capacity % segmentCount ? 1 : 0));
        }
        this.segmentShift = 32 - Integer.numberOfTrailingZeros(segmentCount);
    }

    private static int segmentsFor(final int capacity) {
        int n = 1;
        while (n < MAX_SEGMENTS && capacity / (n * 2) >= MIN_SEGMENT_CAPACITY) {
            n *= 2;
        }
        return n;
    }

    /**
     * Admits one connection from {@code source} if its limits allow, and counts it.
     *
     * @param maxOpen       connections the source may have open at once; 0 for no cap
     * @param intervalNanos the time one token takes to come back; 0 for no rate limit
     * @param burst         the bucket's size in tokens
     * @return {@link #OK}, {@link #OVER_LIMIT} or {@link #OVER_RATE}
     */
    public int acquire(final InetAddress source, final long nowNanos, final int maxOpen, final long intervalNanos,
                       final int burst) {
        final long high = high(source);
        final long low = low(source);
        final int hash = hash(high, low);
        final Segment segment = segments[segmentShift == 32 ? 0 : hash >>> segmentShift];
        synchronized (segment) {
            return segment.acquire(high, low, hash, nowNanos, maxOpen, intervalNanos, (long) burst * intervalNanos);
        }
    }

    /** One connection admitted by {@link #acquire} from {@code source} has closed. */
    public void release(final InetAddress source) {
        final long high = high(source);
        final long low = low(source);
        final int hash = hash(high, low);
        final Segment segment = segments[segmentShift == 32 ? 0 : hash >>> segmentShift];
        synchronized (segment) {
            segment.release(high, low, hash);
        }
    }

    /** Connections {@code source} has open as far as the table knows (0 if it is not remembered). */
    public int open(final InetAddress source) {
        final long high = high(source);
        final long low = low(source);
        final int hash = hash(high, low);
        final Segment segment = segments[segmentShift == 32 ? 0 : hash >>> segmentShift];
        synchronized (segment) {
            final int e = segment.find(high, low, hash);
            return e < 0 ? 0 : segment.open[e];
        }
    }

    /** Whether {@code source} is remembered now. */
    public boolean contains(final InetAddress source) {
        final long high = high(source);
        final long low = low(source);
        final int hash = hash(high, low);
        final Segment segment = segments[segmentShift == 32 ? 0 : hash >>> segmentShift];
        synchronized (segment) {
            return segment.find(high, low, hash) >= 0;
        }
    }

    /** Sources remembered now. */
    public int size() {
        int n = 0;
        for (final Segment s : segments) {
            synchronized (s) {
                n += s.size;
            }
        }
        return n;
    }

    public int capacity() {
        return capacity;
    }

    /** Sources forgotten to make room so far. */
    public long evictions() {
        long n = 0;
        for (final Segment s : segments) {
            synchronized (s) {
                n += s.evictions;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------------ keys

    private static long high(final InetAddress a) {
        if (a instanceof Inet4Address) {
            return IPV4_HIGH;
        }
        final byte[] b = a.getAddress();
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static long low(final InetAddress a) {
        // Inet4Address.hashCode() is its address: no byte[] copy; an IPv6 source is its /64, so low is 0
        return a instanceof Inet4Address ? a.hashCode() & 0xFFFF_FFFFL : 0L;
    }

    /** A well-mixed 32-bit hash (Murmur3's 64-bit finaliser): the top bits pick a segment, the low bits a slot. */
    private static int hash(final long high, final long low) {
        long h = high * 0x9E3779B97F4A7C15L ^ low;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h;
    }

    // --------------------------------------------------------------------------------------------- segment

    /**
     * A fixed number of entries (parallel arrays), an open-addressing index over them (linear probing, deletion by
     * backward shift, so no tombstones), and a doubly linked recency list through the entries. Guarded by its
     * own monitor.
     */
    private static final class Segment {
        private static final int NONE = -1;
        private static final int IDLE_SEARCH = 8;

        final int capacity;
        final long[] high;
        final long[] low;
        final int[] hashes;
        final int[] open;
        final long[] tat;
        final int[] newer; // towards the head (most recent)
        final int[] older; // towards the tail (least recent)
        final int[] slots; // entry + 1; 0 is empty
        final int mask;
        int size;
        int head = NONE;
        int tail = NONE;
        long evictions;

        Segment(final int capacity) {
            this.capacity = capacity;
            this.high = new long[capacity];
            this.low = new long[capacity];
            this.hashes = new int[capacity];
            this.open = new int[capacity];
            this.tat = new long[capacity];
            this.newer = new int[capacity];
            this.older = new int[capacity];
            final int slotCount = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2; // a power of 2 ≥ 2 × capacity
            this.slots = new int[slotCount];
            this.mask = slotCount - 1;
        }

        int acquire(final long hi, final long lo, final int hash, final long now, final int maxOpen,
                    final long interval, final long tolerance) {
            int e = find(hi, lo, hash);
            if (e < 0) {
                e = insert(hi, lo, hash, now);
            } else {
                touch(e);
            }
            if (maxOpen > 0 && open[e] >= maxOpen) {
                return OVER_LIMIT;
            }
            if (interval > 0) {
                final long next = Math.max(tat[e], now) + interval;
                if (next - now > tolerance) {
                    return OVER_RATE;
                }
                tat[e] = next;
            }
            open[e]++;
            return OK;
        }

        void release(final long hi, final long lo, final int hash) {
            final int e = find(hi, lo, hash);
            if (e >= 0 && open[e] > 0) { // forgotten while connected: nothing to give back
                open[e]--;
            }
        }

        int find(final long hi, final long lo, final int hash) {
            for (int i = hash & mask; ; i = (i + 1) & mask) {
                final int v = slots[i];
                if (v == 0) {
                    return NONE;
                }
                final int e = v - 1;
                if (hashes[e] == hash && high[e] == hi && low[e] == lo) {
                    return e;
                }
            }
        }

        private int insert(final long hi, final long lo, final int hash, final long now) {
            final int e;
            if (size < capacity) {
                e = size++;
            } else {
                e = victim();
                unlink(e);
                removeSlot(e);
                evictions++;
            }
            high[e] = hi;
            low[e] = lo;
            hashes[e] = hash;
            open[e] = 0;
            tat[e] = now; // a full bucket
            int i = hash & mask;
            while (slots[i] != 0) {
                i = (i + 1) & mask;
            }
            slots[i] = e + 1;
            pushHead(e);
            return e;
        }

        /** The least recent entry with no connection open among the few least recent, else the least recent. */
        private int victim() {
            int e = tail;
            for (int k = 0; k < IDLE_SEARCH && e != NONE; k++, e = newer[e]) {
                if (open[e] == 0) {
                    return e;
                }
            }
            return tail;
        }

        private void touch(final int e) {
            if (e != head) {
                unlink(e);
                pushHead(e);
            }
        }

        private void pushHead(final int e) {
            newer[e] = NONE;
            older[e] = head;
            if (head != NONE) {
                newer[head] = e;
            }
            head = e;
            if (tail == NONE) {
                tail = e;
            }
        }

        private void unlink(final int e) {
            final int n = newer[e];
            final int o = older[e];
            if (n != NONE) {
                older[n] = o;
            } else {
                head = o;
            }
            if (o != NONE) {
                newer[o] = n;
            } else {
                tail = n;
            }
        }

        /** Removes entry {@code e} from the index, shifting later entries of its probe run back (no tombstones). */
        private void removeSlot(final int e) {
            int i = hashes[e] & mask;
            while (slots[i] != e + 1) {
                i = (i + 1) & mask;
            }
            slots[i] = 0;
            for (int j = (i + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
                final int home = hashes[slots[j] - 1] & mask;
                // the entry at j may move to the hole at i unless its home lies cyclically in (i, j]
                final boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
                if (!stays) {
                    slots[i] = slots[j];
                    slots[j] = 0;
                    i = j;
                }
            }
        }
    }
}
