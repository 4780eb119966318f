package dev.niolb.bench.harness.proc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JvmMemoryTest {

    /** A child JVM that holds {@code args[0]} MiB of direct buffers and as much heap until its input closes. */
    public static final class HoldsDirectMemory {
        public static void main(final String[] args) throws Exception {
            final ByteBuffer held = ByteBuffer.allocateDirect(Integer.parseInt(args[0]) << 20);
            final byte[] heap = new byte[Integer.parseInt(args[0]) << 20];
            System.out.println("ready " + held.capacity() + " " + heap.length);
            System.out.flush();
            System.in.read();
        }
    }

    private static Process child(final int mib) throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            HoldsDirectMemory.class.getName(), Integer.toString(mib)).redirectErrorStream(true).start();
    }

    @Test
    void aSampleOfAnotherJvmSeesTheDirectBuffersItHolds() throws Exception {
        final Process small = child(1);
        final Process large = child(9);
        try {
            for (final Process p : new Process[]{small, large}) {
                final String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
                assertThat(line).startsWith("ready");
            }
            final JvmMemory.Sample a = JvmMemory.sample(small.pid()).orElseThrow();
            final JvmMemory.Sample b = JvmMemory.sample(large.pid()).orElseThrow();
            assertThat(b.directUsedBytes() - a.directUsedBytes()).isEqualTo(8L << 20);
            assertThat(a.heapUsedBytes()).isPositive();
            // the same program but for its array's length: the live objects differ by the 8 MiB more it holds,
            // give or take what two JVMs started apart hold besides (their management agents' objects)
            assertThat(b.liveBytes() - a.liveBytes()).isBetween((8L << 20) - (128 << 10), (8L << 20) + (128 << 10));
        } finally {
            small.destroy();
            large.destroy();
        }
    }

    @Test
    void theTotalOfAClassHistogramIsItsLastLinesBytes() {
        assertThat(JvmMemory.histogramTotal("""
             num     #instances         #bytes  class name (module)
            -------------------------------------------------------
               1:         17810        1318336  [B (java.base@25.0.3)
            Total        190649       10353784
            """)).isEqualTo(10_353_784L);
        assertThat(JvmMemory.histogramTotal("no histogram here")).isEqualTo(-1);
    }

    @Test
    void aProcessThatIsNotAJvmGivesNoSampleAndIsLeftAlone() throws Exception {
        // attaching signals SIGQUIT, which would kill sleep (and stop nginx): it must not be attempted
        final Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            assertThat(JvmMemory.sample(sleeper.pid())).isEmpty();
            assertThat(sleeper.waitFor(500, TimeUnit.MILLISECONDS)).isFalse();
            assertThat(sleeper.isAlive()).isTrue();
        } finally {
            sleeper.destroy();
        }
    }
}
