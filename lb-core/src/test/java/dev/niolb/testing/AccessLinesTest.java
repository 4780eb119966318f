package dev.niolb.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AccessLinesTest {
    private static final int LINES = 300_000;

    @Test
    void readingTheLinesWhileAnotherThreadWritesThemSeesEachWrittenLine() throws Exception {
        try (AccessLines lines = new AccessLines()) {
            final Logger access = LoggerFactory.getLogger("niolb.access");
            final Thread writer = Thread.ofPlatform().name("access-log-writer").start(() -> {
                for (int i = 0; i < LINES; i++) {
                    access.info("line {}", i);
                }
            });
            int seen = 0;
            while (writer.isAlive()) {
                final int now = lines.all().size(); // as a test's await reads while the engine's writer appends
                assertThat(now).isGreaterThanOrEqualTo(seen);
                seen = now;
            }
            writer.join();
            assertThat(lines.all()).hasSize(LINES).startsWith("line 0").endsWith("line " + (LINES - 1));
        }
    }
}
