package dev.niolb.cli.log;

import dev.niolb.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class JournalLoggingTest {
    @Test
    void withoutJournalStreamThereIsNoJournal(@TempDir final Path dir) throws IOException {
        final Path out = Files.createFile(dir.resolve("out"));

        assertThat(JournalStream.connected(null, out)).isFalse();
        assertThat(JournalStream.connected("", out)).isFalse();
    }

    @Test
    void journalStreamCountsOnlyWhenItNamesOurOwnOutput(@TempDir final Path dir) throws IOException {
        final Path out = Files.createFile(dir.resolve("out"));
        final Path other = Files.createFile(dir.resolve("other"));

        assertThat(JournalStream.connected(JournalStream.deviceAndInode(out), other, out)).isTrue();
        assertThat(JournalStream.connected(JournalStream.deviceAndInode(other), out)).isFalse();
    }

    @Test
    void whereOutputCannotBeExaminedTheVariableAloneDecides(@TempDir final Path dir) {
        assertThat(JournalStream.connected("1:2", dir.resolve("missing"))).isTrue();
    }

    @Test
    void underTheJournalLinesHaveAPriorityPrefixAndNoTime(@TempDir final Path dir) throws Exception {
        final Path out = Files.createFile(dir.resolve("journal"));

        final String line = firstLine(out, JournalStream.deviceAndInode(out));

        assertThat(line).matches("<6>INFO  run - listening on tcp://127\\.0\\.0\\.1:\\d+; .*");
    }

    @Test
    void onAnythingElseLinesStartWithTheTime(@TempDir final Path dir) throws Exception {
        final Path out = Files.createFile(dir.resolve("terminal"));
        final Path elsewhere = Files.createFile(dir.resolve("elsewhere"));

        assertThat(firstLine(out, null)).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  run - listening on .*");
        // a variable inherited from a parent whose output went to the journal: ours does not
        assertThat(firstLine(out, JournalStream.deviceAndInode(elsewhere)))
            .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  run - listening on .*");
    }

    /** Runs {@code niolb run} with stdout to {@code out} and JOURNAL_STREAM as given; its start-up line. */
    private static String firstLine(final Path out, final String journalStream) throws Exception {
        Files.writeString(out, "");
        final ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            // the shipped logback.xml, not the logback-test.xml that lb-core's test jar puts on the class path
            "-Dlogback.configurationFile=" + Main.class.getResource("/logback.xml"),
            "-cp", System.getProperty("java.class.path"), Main.class.getName(),
            "run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--threads", "1", "--grace", "0")
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("JOURNAL_STREAM");
        if (journalStream != null) {
            pb.environment().put("JOURNAL_STREAM", journalStream);
        }
        final Process process = pb.start();
        try {
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                final List<String> lines = Files.readAllLines(out);
                if (!lines.isEmpty() && lines.getFirst().endsWith("thread")) {
                    return lines.getFirst();
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no start-up line in " + Files.readString(out));
        } finally {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }
}
