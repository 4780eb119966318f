package dev.niolb.udp;

import dev.niolb.transport.Sysctl;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the Linux kernel says about UDP sockets, from {@code /proc}: datagrams it dropped on a listener's sockets
 * because their receive queue was full (the {@code drops} column of {@code /proc/net/udp} and {@code udp6}, what
 * {@code ss -uam} shows as {@code d}), and its default receive buffer. Neither JDK NIO nor a socket option gives
 * the drops of a socket on both transports, and the table covers every {@code SO_REUSEPORT} socket of a port at once.
 *
 * <p>Threading: immutable once read; read on the admin thread at each scrape.
 */
public final class KernelUdp {
    private static final Path UDP = Path.of("/proc/net/udp");
    private static final Path UDP6 = Path.of("/proc/net/udp6");

    /** Drops by local address as the table writes it ({@code 0100007F:0035}), summed over its sockets. */
    private final Map<String, Long> drops;

    private KernelUdp(final Map<String, Long> drops) {
        this.drops = drops;
    }

    /** How long one reading of the tables answers every scrape: the stats page and each scraper ask every few s. */
    private static final long FRESH_NANOS = 1_000_000_000L;
    private static volatile KernelUdp last;
    private static volatile long lastReadNanos;

    /**
     * The tables as read at most a second ago; null where there are none. The kernel prints a line per UDP socket,
     * a flow's included, so with many flows a reading is megabytes: the stats page, {@code niolb stats --watch} and a
     * scraper, each every few seconds, share one a second. Any thread (two may both read at once; either is fine).
     */
    public static KernelUdp recent() {
        final long now = System.nanoTime();
        final KernelUdp cached = last;
        if (cached != null && now - lastReadNanos < FRESH_NANOS) {
            return cached;
        }
        final KernelUdp fresh = read();
        last = fresh;
        lastReadNanos = now;
        return fresh;
    }

    /** The tables now; null where there are none (not Linux, no {@code /proc}). */
    public static KernelUdp read() {
        final Map<String, Long> drops = new HashMap<>();
        try {
            read(UDP, drops);
            read(UDP6, drops);
        } catch (final IOException | RuntimeException e) {
            return null;
        }
        return new KernelUdp(drops);
    }

    /** The tables in {@code text}, as {@code /proc/net/udp} and {@code udp6} write them. */
    static KernelUdp parse(final String text) {
        final Map<String, Long> drops = new HashMap<>();
        text.lines().forEach(line -> add(line, drops));
        return new KernelUdp(drops);
    }

    private static void read(final Path table, final Map<String, Long> drops) throws IOException {
        if (!Files.exists(table)) {
            return; // udp6 without IPv6
        }
        try (BufferedReader in = Files.newBufferedReader(table, StandardCharsets.US_ASCII)) {
            String line;
            while ((line = in.readLine()) != null) {
                add(line, drops);
            }
        }
    }

    /**
     * {@code sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops}. Only
     * unconnected sockets (a remote address of zeros) are kept: a listener's are, and every UDP flow's socket, which
     * is connected to its server, is skipped before its line is split (the table holds one line per flow).
     */
    private static void add(final String line, final Map<String, Long> drops) {
        final int local = skipSpaces(line, skipToken(line, skipSpaces(line, 0)));
        final int remote = skipSpaces(line, skipToken(line, local));
        final int end = skipToken(line, remote);
        if (end <= remote || !unconnected(line, remote, end)) {
            return; // a connected socket (a flow's), or the header
        }
        final String[] f = line.trim().split("\\s+");
        if (f.length < 13 || !f[0].endsWith(":") || f[1].indexOf(':') < 0) {
            return; // the header
        }
        drops.merge(f[1], Long.parseLong(f[f.length - 1]), Long::sum);
    }

    /** Whether {@code line[from..to)} is an address of zeros and port 0 ({@code 00000000:0000}). */
    private static boolean unconnected(final String line, final int from, final int to) {
        for (int i = from; i < to; i++) {
            final char c = line.charAt(i);
            if (c != '0' && c != ':') {
                return false;
            }
        }
        return true;
    }

    private static int skipSpaces(final String line, final int from) {
        int i = from;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static int skipToken(final String line, final int from) {
        int i = from;
        while (i < line.length() && line.charAt(i) != ' ') {
            i++;
        }
        return i;
    }

    /**
     * Datagrams the kernel dropped on the sockets bound to {@code local}, summed. An IPv4 address is looked up as
     * itself and as the IPv4-mapped IPv6 address a dual-stack socket binds (the JDK's, on NIO); {@code 0.0.0.0}
     * also as {@code ::}.
     */
    public long drops(final InetSocketAddress local) {
        long sum = drops.getOrDefault(key(local), 0L);
        if (local.getAddress() instanceof Inet4Address v4) {
            final byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
            sum += drops.getOrDefault(key(mapped, local.getPort()), 0L);
            if (v4.isAnyLocalAddress()) {
                sum += drops.getOrDefault(key(new byte[16], local.getPort()), 0L);
            }
        }
        return sum;
    }

    /** {@code local} as the table writes it: the address's 32-bit words each in the host's (little-endian) order. */
    static String key(final InetSocketAddress local) {
        return key(local.getAddress().getAddress(), local.getPort());
    }

    private static String key(final byte[] a, final int port) {
        final StringBuilder hex = new StringBuilder(a.length * 2 + 5);
        for (int word = 0; word < a.length; word += 4) {
            for (int i = 3; i >= 0; i--) {
                hex.append(String.format(Locale.ROOT, "%02X", a[word + i] & 0xff));
            }
        }
        return hex.append(':').append(String.format(Locale.ROOT, "%04X", port)).toString();
    }

    /** {@code net.core.rmem_default}: what {@code udp-rcvbuf 0} means; 0 where it cannot be read. */
    static int defaultReceiveBuffer() {
        return Sysctl.read(Sysctl.RMEM_DEFAULT);
    }
}
