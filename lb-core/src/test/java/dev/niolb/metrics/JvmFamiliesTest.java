package dev.niolb.metrics;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class JvmFamiliesTest {
    private static final int SCRAPES = 20;

    @Test
    void aScrapeHasTheJvmAndProcessFamilies() {
        final String text = JvmFamilies.scrape();
        assertThat(text).contains("# TYPE jvm_memory_used_bytes gauge", "process_open_fds");
    }

    @Test
    void aScrapeLeavesThePlatformMBeanServerUnmade() {
        JvmFamilies.scrape();

        // made, it registers every platform MXBean, JFR's among them, which reads its .jfc files: a JVM warning in
        // niolb's log when a scrape came with the descriptors used up (black-box testing, session 33)
        assertThat(javax.management.MBeanServerFactory.findMBeanServer(null)).isEmpty();
    }

    @Test
    void aScrapeFromAVirtualThreadAsTheAdminApiMakesOneLeavesNoMoreGarbageThanFromAPlatformThread()
        throws Exception {
        final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        JvmFamilies.scrape(); // the registry and the client's classes made
        final long platformStart = threads.getTotalThreadAllocatedBytes();
        for (int i = 0; i < SCRAPES; i++) {
            JvmFamilies.scrape();
        }
        final long platform = (threads.getTotalThreadAllocatedBytes() - platformStart) / SCRAPES;

        final AtomicReference<String> last = new AtomicReference<>();
        final long virtualStart = threads.getTotalThreadAllocatedBytes();
        Thread.ofVirtual().start(() -> {
            for (int i = 0; i < SCRAPES; i++) {
                last.set(JvmFamilies.scrape());
            }
        }).join();
        final long virtual = (threads.getTotalThreadAllocatedBytes() - virtualStart) / SCRAPES;

        assertThat(last.get()).contains("jvm_threads_current");
        // written on the virtual thread, each scrape left 16 MB (platform: 0.18 MB); other threads of this JVM
        // allocate meanwhile too, so the bound is generous
        assertThat(virtual).as("bytes allocated per scrape from a virtual thread (platform: %d)", platform)
            .isLessThan(Math.max(4 * platform, 2L << 20));
    }
}
