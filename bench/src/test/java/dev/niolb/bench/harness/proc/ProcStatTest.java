package dev.niolb.bench.harness.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProcStatTest {

    @BeforeAll
    static void onLinux() {
        assumeTrue(Files.exists(Path.of("/proc/self/stat")), "needs Linux /proc");
    }

    @Test
    void reads_this_process_from_a_real_proc_self_stat() {
        final long pid = ProcessHandle.current().pid();
        final ProcStat stat = ProcStat.read(pid).orElseThrow();
        assertThat(stat.pid()).isEqualTo(pid);
        assertThat(stat.comm()).isNotEmpty();
        assertThat(stat.ppid()).isPositive();
        assertThat(stat.utimeTicks()).isNotNegative();
        assertThat(stat.stimeTicks()).isNotNegative();
    }

    @Test
    void cpu_ticks_grow_while_the_process_works() {
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
    void parses_a_command_name_with_spaces_and_parentheses() {
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
    void rejects_a_line_that_is_not_a_stat_line() {
        assertThatThrownBy(() -> ProcStat.parse("hello")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse("1 (x) S 0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_process_tree_counts_a_child_and_its_memory() throws Exception {
        final Process child = new ProcessBuilder("sleep", "10").start();
        try {
            final long self = ProcessHandle.current().pid();
            assertThat(ProcessTree.members(self)).startsWith(self).contains(child.pid());
            assertThat(ProcessTree.rssKiB(self)).isGreaterThan(ProcessTree.residentKiB(self).orElseThrow());
            // this process alone first: CPU time only grows, so the tree read after it can only be larger
            final long selfTicks = ProcStat.read(self).orElseThrow().cpuTicks();
            assertThat(ProcessTree.cpuTicks(self)).isGreaterThanOrEqualTo(selfTicks);
        } finally {
            child.destroy();
            child.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void a_process_that_is_gone_has_an_empty_tree() {
        assertThat(ProcessTree.members(Integer.MAX_VALUE)).isEmpty();
        assertThat(ProcessTree.cpuTicks(Integer.MAX_VALUE)).isZero();
    }

    @Test
    void clock_ticks_per_second_is_what_getconf_says() {
        assertThat(ClockTicks.perSecond()).isPositive();
        assertThat(ClockTicks.toMicros(ClockTicks.perSecond())).isEqualTo(1_000_000.0);
    }
}
