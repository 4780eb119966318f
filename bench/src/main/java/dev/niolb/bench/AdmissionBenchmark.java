package dev.niolb.bench;

import dev.niolb.admission.AccessList;
import dev.niolb.admission.Admission;
import dev.niolb.admission.CidrSet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a listener's admission adds to each accepted connection: {@link Admission#admit} at accept and
 * {@link Admission#release} at close, as one operation.
 *
 * <ul>
 *   <li>{@code open}: no access list, no per-source limit (the default);</li>
 *   <li>{@code acl}: ten deny blocks and ten allow blocks, the client in the last allow block (a full scan);</li>
 *   <li>{@code sources}: {@code --source-maxconn} and {@code --source-rate} over 4,096 distinct client IPs in a
 *   table of 65,536 (one locked segment probe at admit and one at release).</li>
 * </ul>
 * {@code admitAndRelease} runs on one thread; {@code admitAndReleaseTwoLoops} on two threads sharing the
 * admission, as two event loops accepting at once share a listener's table. Run with {@code -prof gc}:
 * {@code gc.alloc.rate.norm} should be about 0 B/op (IPv4 clients).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AdmissionBenchmark {
    private static final int SOURCES = 4096;

    @Param({"open", "acl", "sources"})
    public String mode;

    private Admission admission;
    private InetAddress[] clients;

    @Setup
    public void setUp() throws UnknownHostException {
        clients = new InetAddress[SOURCES];
        for (int i = 0; i < SOURCES; i++) {
            clients[i] = InetAddress.getByAddress(new byte[]{10, 9, (byte) (i >>> 8), (byte) i});
        }
        admission = switch (mode) {
            case "open" -> Admission.OPEN;
            case "acl" -> new Admission(
                new AccessList(blocks("172.16.%d.0/24", "10.9.0.0/16"), blocks("192.0.%d.0/24", null)), 0, 0, 1, 1);
            case "sources" -> new Admission(AccessList.OPEN, 1_000, 1_000, 1_000_000, 65_536);
            default -> throw new IllegalArgumentException(mode);
        };
    }

    /** Ten blocks from {@code pattern} (then {@code last} as the tenth, when given). */
    private static CidrSet blocks(final String pattern, final String last) {
        final String[] entries = new String[10];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = last != null && i == entries.length - 1 ? last : String.format(pattern, i);
        }
        return CidrSet.parse(List.of(entries));
    }

    /** A cursor per thread, so that two threads walk the sources independently. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Benchmark
    public Admission.Verdict admitAndRelease(final Cursor cursor) {
        return once(cursor);
    }

    @Benchmark
    @Threads(2)
    public Admission.Verdict admitAndReleaseTwoLoops(final Cursor cursor) {
        return once(cursor);
    }

    private Admission.Verdict once(final Cursor cursor) {
        final InetAddress client = clients[cursor.next++ & (SOURCES - 1)];
        final Admission.Verdict verdict = admission.admit(client, System.nanoTime());
        if (verdict == Admission.Verdict.OK) {
            admission.release(client);
        }
        return verdict;
    }
}
