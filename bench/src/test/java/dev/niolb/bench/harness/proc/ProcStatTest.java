package dev.niolb.bench.harness.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProcStatTest {

    // in @BeforeEach, not @BeforeAll: an assumption failing there would leave no trace in the test reports
    @BeforeEach
    void onLinux() {
        assumeTrue(Files.exists(Path.of("/proc/self/stat")), "needs Linux /proc");
    }

    @Test
    void readsThisProcessFromARealProcSelfStat() {
        final long pid = ProcessHandle.current().pid();
        final ProcStat stat = ProcStat.read(pid).orElseThrow();
        assertThat(stat.pid()).isEqualTo(pid);
        assertThat(stat.comm()).isNotEmpty();
        assertThat(stat.ppid()).isPositive();
        assertThat(stat.utimeTicks()).isNotNegative();
        assertThat(stat.stimeTicks()).isNotNegative();
    }

    @Test
    void cpuTicksGrowWhileTheProcessWorks() {
        final long pid = ProcessHandle.current().pid();
        final long before = ProcStat.read(pid).orElseThrow().cpuTicks();
        final long threadCpuStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long sink = 0;
        // burn about 300 ms of this thread's CPU: at 100 ticks/s that is some 30 ticks
        while (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - threadCpuStart
            < 300_000_000L) {
            for (int i = 0; i < 100_000; i++) {
                sink += i ^ sink;
            }
        }
        assertThat(sink).isNotEqualTo(1);
        assertThat(ProcStat.read(pid).orElseThrow().cpuTicks() - before).isGreaterThanOrEqualTo(10);
    }

    @Test
    void parsesACommandNameWithSpacesAndParentheses() {
        final String line = "4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 123 45 0 0 20 0 9 0 "
            + "1000 1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        final ProcStat stat = ProcStat.parse(line);
        assertThat(stat.comm()).isEqualTo("my (odd) name");
        assertThat(stat.state()).isEqualTo('S');
        assertThat(stat.ppid()).isEqualTo(17);
        assertThat(stat.utimeTicks()).isEqualTo(123);
        assertThat(stat.stimeTicks()).isEqualTo(45);
        assertThat(stat.cpuTicks()).isEqualTo(168);
    }

    @Test
    void rejectsALineThatIsNotAStatLine() {
        assertThatThrownBy(() -> ProcStat.parse("hello")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse("1 (x) S 0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theProcessTreeCountsAChildAndItsMemory() throws Exception {
        final Process child = new ProcessBuilder("sleep", "10").start();
        try {
            final long self = ProcessHandle.current().pid();
            assertThat(ProcessTree.members(self)).startsWith(self).contains(child.pid());
            assertThat(ProcessTree.rssKiB(self)).isGreaterThan(ProcessTree.residentKiB(self).orElseThrow());
            // our own ticks first: the tree's sum is read later, so it can only have grown (the other order races)
            final long own = ProcStat.read(self).orElseThrow().cpuTicks();
            assertThat(ProcessTree.cpuTicks(self)).isGreaterThanOrEqualTo(own);
        } finally {
            child.destroy();
            child.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aProcessThatIsGoneHasAnEmptyTree() {
        assertThat(ProcessTree.members(Integer.MAX_VALUE)).isEmpty();
        assertThat(ProcessTree.cpuTicks(Integer.MAX_VALUE)).isZero();
    }

    @Test
    void clockTicksPerSecondIsWhatGetconfSays() throws Exception {
        final Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
        final String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertThat(getconf.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(getconf.exitValue()).as("getconf CLK_TCK: %s", out).isZero();
        assertThat(ClockTicks.perSecond()).isEqualTo(Long.parseLong(out));
    }
}
