package dev.niolb.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OperatorFileTest {
    private static Path fifo(final Path dir) throws Exception {
        final Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        return fifo;
    }

    private static long readerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("niolb-pipe-reader"))
            .count();
    }

    @Test
    void aNamedPipeNoProcessWritesToIsRefusedInTimeAndLeavesNoThreadWaiting(@TempDir final Path dir)
        throws Exception {
        final Path fifo = fifo(dir);

        assertThatThrownBy(() -> OperatorFile.read(fifo, 1024, true, Duration.ofMillis(300)))
            .isInstanceOf(IOException.class)
            .hasMessage("a named pipe (FIFO) that no process wrote to the end within 300 ms");

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (readerThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // the reader ends by itself once unblocked; nothing else to wait on
        }
        assertThat(readerThreads()).as("the thread that waited in open() is gone").isZero();
    }

    @Test
    void aNamedPipeAProcessWritesIsReadWhole(@TempDir final Path dir) throws Exception {
        final Path fifo = fifo(dir);
        final Thread writer = Thread.ofPlatform().start(() -> {
            try {
                Files.writeString(fifo, "token\n");
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThat(new String(OperatorFile.read(fifo, 1024, true, Duration.ofSeconds(10)), StandardCharsets.UTF_8))
            .isEqualTo("token\n");
        writer.join();
    }

    @Test
    void aNamedPipeWhereNoneIsAllowedIsRefusedBeforeItsOpen(@TempDir final Path dir) throws Exception {
        final Path fifo = fifo(dir);

        assertThatThrownBy(() -> OperatorFile.read(fifo, 1024, false))
            .isInstanceOf(IOException.class).hasMessage("a named pipe (FIFO), not a file");
    }

    @Test
    void aFileOperationCutShortByTheStopIsSaidInWordsNotAsAnExceptionsName() {
        assertThat(OperatorFile.reason(new java.nio.channels.ClosedByInterruptException()))
            .isEqualTo("interrupted (niolb is stopping)");
        assertThat(OperatorFile.reason(new java.nio.file.AccessDeniedException("/x"))).isEqualTo("permission denied");
    }
}
