package dev.niolb.balance;

import dev.niolb.backend.Server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The lookup table of Maglev consistent hashing (Eisenbud et al., NSDI 2016): {@code size} slots, each naming
 * a server, so that a client hash maps to {@code slot = hash mod size}.
 *
 * <p>Threading: immutable once built; share one table between every event loop's {@link Maglev}.
 *
 * <p>Deterministic by design: the table is a function of the servers' names and weights only. Servers are
 * placed in name order (not config order), names are hashed as UTF-8 with fixed seeds, and nothing depends on
 * the process (no identity hashes, no random seeds), so every niolb instance behind the same ECMP route builds
 * the same table and sends a client to the same server. Changing the hash, the seeds or the fill order changes
 * every table and breaks that agreement between versions during a rolling upgrade; a test pins a small table.
 *
 * <p>Each server walks its own permutation of the slots ({@code offset + j * skip mod size}, size prime) and
 * claims its next free slot in turn, so removing one of N servers leaves most slots of the others in place and
 * moves about 1/N of clients. Weights: in every round a server earns its weight in credit and claims a slot
 * per {@code maxWeight} of credit, so its share of slots is proportional to its weight. Weights
 * ({@link Server#tableWeight()}: operator weight times agent percentage) are read once, when the table is built:
 * a server at weight 0 then has no slots, and a weight change needs a new table (the group publishes a new
 * snapshot for it). Health, drain and slow start are not in the table: the pick walks past such servers.
 */
public final class MaglevTable {
    /** The size the Maglev paper uses for small groups: prime, and about 65k slots keep shares within 1%. */
    public static final int DEFAULT_SIZE = 65_537;

    // Fixed forever, see the class comment; two seeds give two independent hashes of one name.
    private static final long OFFSET_SEED = 0x6d61676c65762d6fL;
    private static final long SKIP_SEED = 0x736b69702d736b69L;
    private static final char EMPTY = Character.MAX_VALUE;

    private final Server[] servers;
    /** Position in {@link #servers} of each slot's server; {@link #EMPTY} only when no server has weight. */
    private final char[] slots;
    /** Positions of the servers that hold at least one slot. */
    private final int[] holders;

    private MaglevTable(final Server[] servers, final char[] slots, final int[] holders) {
        this.servers = servers;
        this.slots = slots;
        this.holders = holders;
    }

    /** {@link #build(Server[], int)} with {@link #DEFAULT_SIZE} slots. */
    public static MaglevTable build(final Server[] servers) {
        return build(servers, DEFAULT_SIZE);
    }

    /**
     * @param servers a group snapshot's servers; not modified. Names should be unique: they place the servers.
     * @param size    a prime number of slots, much larger than the number of servers (100 times or more keeps
     *                shares even)
     * @throws IllegalArgumentException when size is not prime or there are more servers than slots
     */
    public static MaglevTable build(final Server[] servers, final int size) {
        if (size < 2 || !isPrime(size)) {
            throw new IllegalArgumentException("Maglev table size must be a prime, got " + size);
        }
        if (servers.length > size || servers.length >= EMPTY) {
            throw new IllegalArgumentException("Maglev table of " + size + " slots cannot hold " + servers.length
                + " servers");
        }
        final Server[] copy = servers.clone();
        final int[] order = placementOrder(copy);
        final int n = order.length;
        final long[] weight = new long[n];
        final int[] position = new int[n];
        final int[] skip = new int[n];
        final long[] credit = new long[n];
        long maxWeight = 0;
        for (int k = 0; k < n; k++) {
            final Server server = copy[order[k]];
            weight[k] = server.tableWeight();
            final String name = server.name();
            position[k] = (int) Long.remainderUnsigned(hash(name, OFFSET_SEED), size);
            skip[k] = (int) Long.remainderUnsigned(hash(name, SKIP_SEED), size - 1) + 1;
            maxWeight = Math.max(maxWeight, weight[k]);
        }

        final char[] slots = new char[size];
        Arrays.fill(slots, EMPTY);
        final boolean[] holds = new boolean[copy.length];
        int filled = 0;
        while (filled < size && maxWeight > 0) {
            for (int k = 0; k < n && filled < size; k++) {
                credit[k] += weight[k];
                if (credit[k] < maxWeight) {
                    continue;
                }
                credit[k] -= maxWeight;
                int slot = position[k];
                while (slots[slot] != EMPTY) {
                    slot = advance(slot, skip[k], size);
                }
                position[k] = advance(slot, skip[k], size);
                slots[slot] = (char) order[k];
                holds[order[k]] = true;
                filled++;
            }
        }

        int holderCount = 0;
        for (final boolean h : holds) {
            holderCount += h ? 1 : 0;
        }
        final int[] holders = new int[holderCount];
        for (int i = 0, h = 0; i < holds.length; i++) {
            if (holds[i]) {
                holders[h++] = i;
            }
        }
        return new MaglevTable(copy, slots, holders);
    }

    public int size() {
        return slots.length;
    }

    /** The slot of a client, {@code clientHash} taken as unsigned. */
    public int slotOf(final int clientHash) {
        return Integer.remainderUnsigned(clientHash, slots.length);
    }

    /** The server holding {@code slot}, or null when no server had weight when the table was built. */
    public Server serverAt(final int slot) {
        final char at = slots[slot];
        return at == EMPTY ? null : servers[at];
    }

    /** Whether any server holding slots currently accepts new sessions and is not excluded. Allocates nothing. */
    public boolean anyAccepts(final long excluded) {
        for (final int h : holders) {
            final Server server = servers[h];
            if (server.acceptsNew() && !Balancer.isExcluded(server, excluded)) {
                return true;
            }
        }
        return false;
    }

    /** The servers that hold at least one slot (a new array; build-time use only). */
    public Server[] holders() {
        final Server[] out = new Server[holders.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = servers[holders[i]];
        }
        return out;
    }

    /** How many slots {@code server} holds. Not for the hot path. */
    public int slotsOf(final Server server) {
        int count = 0;
        for (final char at : slots) {
            if (at != EMPTY && servers[at] == server) {
                count++;
            }
        }
        return count;
    }

    /** Positions in {@code servers} sorted by name, then by position for (misconfigured) equal names. */
    private static int[] placementOrder(final Server[] servers) {
        final Integer[] boxed = new Integer[servers.length];
        for (int i = 0; i < boxed.length; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, Comparator.<Integer, String>comparing(i -> servers[i].name()).thenComparing(i -> i));
        final int[] order = new int[boxed.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    private static int advance(final int slot, final int skip, final int size) {
        final long next = (long) slot + skip; // long: a size above 2^30 would overflow int
        return (int) (next >= size ? next - size : next);
    }

    /** FNV-1a over the UTF-8 bytes from {@code seed}, then Murmur3's fmix64: stable on every JVM and host. */
    static long hash(final String name, final long seed) {
        long h = seed;
        for (final byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static boolean isPrime(final int n) {
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
