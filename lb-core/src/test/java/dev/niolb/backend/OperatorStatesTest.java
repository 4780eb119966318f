package dev.niolb.backend;

import dev.niolb.config.Algorithm;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OperatorStatesTest {
    @TempDir
    Path dir;

    private static ServerConfig server(final String name, final int port, final int weight) {
        return new ServerConfig(name, new InetSocketAddress("127.0.0.1", port), weight);
    }

    private static Map<String, TargetGroup> groups(final ServerConfig... servers) {
        return Map.of("web", new TargetGroup(new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(servers)), 1));
    }

    private static Server member(final Map<String, TargetGroup> groups, final String name) {
        return groups.get("web").snapshot().server(name);
    }

    @Test
    void modesAndWeightsSavedByOneRunAreWhereTheNextStarts() {
        final OperatorStates states = OperatorStates.in(dir.resolve("states"));
        final Map<String, TargetGroup> before = groups(server("a", 8001, 1), server("b", 8002, 2), server("c", 8003, 1));
        member(before, "a").operatorMode(ServerState.MAINT, "test");
        member(before, "b").weight(7);
        member(before, "c").operatorMode(ServerState.DRAIN, "test");
        states.save(before.values());

        final Map<String, TargetGroup> after = groups(server("a", 8001, 1), server("b", 8002, 2), server("c", 8003, 1));
        assertThat(states.restore(after)).isEqualTo(3);

        assertThat(member(after, "a").operatorMode()).isEqualTo(ServerState.MAINT);
        assertThat(member(after, "b").weight()).isEqualTo(7);
        assertThat(member(after, "b").operatorMode()).isEqualTo(ServerState.UP);
        assertThat(member(after, "c").operatorMode()).isEqualTo(ServerState.DRAIN);
    }

    @Test
    void aDnsNamedServerMissingAtStartKeepsItsLineUntilDnsGivesItThenTakesItsMode() throws IOException {
        final Path file = Files.writeString(dir.resolve("states"),
            "web svc.test:80#127.0.0.20 127.0.0.20:80 1 drain 1\nweb svc.test:80#127.0.0.21 127.0.0.21:80 1 maint 1\n");
        final OperatorStates states = OperatorStates.in(file);
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1)); // svc.test has not resolved yet
        assertThat(states.restore(groups)).isZero();
        states.save(groups.values());
        assertThat(Files.readString(file)).as("kept while the name has not answered")
            .contains("svc.test:80#127.0.0.20 127.0.0.20:80 1 drain 1", "svc.test:80#127.0.0.21");

        // the name answers with .20 only: the server joins in its kept mode, before any snapshot shows it
        groups.get("web").onJoining(states::joining);
        final Server joined = groups.get("web").add(
            new ServerConfig("svc.test:80#127.0.0.20", new InetSocketAddress("127.0.0.20", 80), 1));
        assertThat(joined.operatorMode()).isEqualTo(ServerState.DRAIN);
        states.applyPending(groups, (group, server) -> true);
        states.save(groups.values());

        assertThat(member(groups, "svc.test:80#127.0.0.20").operatorMode()).isEqualTo(ServerState.DRAIN);
        assertThat(Files.readAllLines(file).stream().filter(l -> !l.startsWith("#"))).as(".21 dropped: not given")
            .containsExactly("web svc.test:80#127.0.0.20 127.0.0.20:80 1 drain 1");
    }

    @Test
    void aServerBackInServiceLeavesTheFile() throws IOException {
        final OperatorStates states = OperatorStates.in(dir.resolve("states"));
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1), server("b", 8002, 1));
        member(groups, "a").operatorMode(ServerState.MAINT, "test");
        member(groups, "b").operatorMode(ServerState.MAINT, "test");
        states.save(groups.values());
        member(groups, "a").operatorMode(ServerState.UP, "test");
        states.save(groups.values());

        assertThat(Files.readAllLines(dir.resolve("states")).stream().filter(l -> !l.startsWith("#")))
            .containsExactly("web b 127.0.0.1:8002 1 maint 1");
        try (var files = Files.list(dir)) {
            assertThat(files).as("no temporary file left").hasSize(1);
        }
    }

    @Test
    void aWeightSetOverAnotherConfigWeightIsNotRestoredButTheModeIs() {
        final OperatorStates states = OperatorStates.in(dir.resolve("states"));
        final Map<String, TargetGroup> before = groups(server("a", 8001, 1));
        member(before, "a").weight(9);
        member(before, "a").operatorMode(ServerState.DRAIN, "test");
        states.save(before.values());

        final Map<String, TargetGroup> after = groups(server("a", 8001, 3));
        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            states.restore(after);
            assertThat(logs.messages()).anyMatch(m -> m.contains("web/a drain not weight 9 (the config's weight changed 1→3)"));
        }
        assertThat(member(after, "a").weight()).as("the config's new weight wins, as over a reload").isEqualTo(3);
        assertThat(member(after, "a").operatorMode()).isEqualTo(ServerState.DRAIN);
    }

    @Test
    void linesForServersGoneOrMovedAndLinesThatCannotBeReadAreSkippedAndTheRestApplies() throws IOException {
        Files.writeString(dir.resolve("states"), """
            # niolb operator states
            web gone 127.0.0.1:8009 1 maint 1
            web moved 127.0.0.1:8008 1 maint 1
            web a 127.0.0.1:8001 1 sideways 1
            web a 127.0.0.1:8001
            nogroup a 127.0.0.1:8001 1 maint 1
            web b 127.0.0.1:8002 1 maint 1
            """);
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1), server("b", 8002, 1),
            server("moved", 8010, 1));

        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            assertThat(OperatorStates.in(dir.resolve("states")).restore(groups)).isEqualTo(1);
            assertThat(logs.messages()).anyMatch(m -> m.contains("web/gone: no such server in the config")
                && m.contains("web/moved: now at 127.0.0.1:8010, not 127.0.0.1:8008")
                && m.contains("line 4: not an operator mode (up, drain, maint): sideways")
                && m.contains("line 5: expected 6 fields")
                && m.endsWith("(the file as it was is kept as " + dir.resolve("states.rejected") + ")"));
        }
        // the next save rewrites the file from the servers: what it could not read survives beside it
        assertThat(Files.readString(dir.resolve("states.rejected"))).contains("web a 127.0.0.1:8001 1 sideways 1");
        assertThat(member(groups, "a").operatorMode()).isEqualTo(ServerState.UP);
        assertThat(member(groups, "moved").operatorMode()).isEqualTo(ServerState.UP);
        assertThat(member(groups, "b").operatorMode()).isEqualTo(ServerState.MAINT);
    }

    @Test
    void noFileIsAFirstStartAndAnUnwritableOneIsLoggedNotThrown() throws IOException {
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));
        assertThat(OperatorStates.in(dir.resolve("none-yet")).restore(groups)).isZero();

        final Path blocked = dir.resolve("not-a-dir");
        Files.writeString(blocked, "a file where the state file's directory should be");
        member(groups, "a").operatorMode(ServerState.MAINT, "test");
        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            OperatorStates.in(blocked.resolve("states")).save(groups.values());
            assertThat(logs.messages()).anyMatch(m -> m.contains("cannot save to") && m.contains("set at run time will "
                + "not outlive a restart"));
        }
    }

    @Test
    void aSaveThroughASymbolicLinkReplacesTheFileItLeadsToAndKeepsTheLink() throws IOException {
        final Path real = Files.writeString(Files.createDirectory(dir.resolve("volume")).resolve("states"), "");
        final Path link = Files.createSymbolicLink(dir.resolve("states"), Path.of("volume/states"));
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));
        member(groups, "a").operatorMode(ServerState.MAINT, "test");

        OperatorStates.in(link).save(groups.values());

        assertThat(Files.isSymbolicLink(link)).as("still a link").isTrue();
        assertThat(Files.readAllLines(real).stream().filter(l -> !l.startsWith("#")))
            .containsExactly("web a 127.0.0.1:8001 1 maint 1");
        try (var files = Files.list(real.getParent())) {
            assertThat(files).as("no temporary file left").hasSize(1);
        }
    }

    @Test
    void aNamedPipeGivenAsTheFileIsNeverReplacedAndTheSaveSaysWhy() throws Exception {
        final Path fifo = dir.resolve("states");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));
        member(groups, "a").operatorMode(ServerState.DRAIN, "test");
        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            OperatorStates.in(fifo).save(groups.values());

            assertThat(logs.messages()).anyMatch(m -> m.startsWith("operator states: cannot save to " + fifo
                + ": a named pipe, a socket or a device, not a file;"));
        }
        assertThat(Files.isRegularFile(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as("still the pipe").isFalse();
        assertThat(Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void aDirectoryGivenAsTheFileIsSaidSoInLowerCaseAndTheStartGoesOn() throws IOException {
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));
        final Path directory = Files.createDirectory(dir.resolve("states.d"));
        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            assertThat(OperatorStates.in(directory).restore(groups)).isZero();
            member(groups, "a").operatorMode(ServerState.DRAIN, "test");
            OperatorStates.in(directory).save(groups.values());
            assertThat(logs.messages()).anyMatch(m -> m.equals("operator states: cannot read " + directory
                + ": a directory, not a file; servers start as the config says"))
                .anyMatch(m -> m.startsWith("operator states: cannot save to " + directory
                    + ": a directory, not a file;"));
        }
    }

    @Test
    void aGroupWhoseNameStartsWithAHashIsKeptNotReadAsAComment() {
        final OperatorStates states = OperatorStates.in(dir.resolve("states"));
        final Map<String, TargetGroup> before = hashGroups();
        before.get("#g").snapshot().server("#s").operatorMode(ServerState.MAINT, "test");
        before.get("\\g").snapshot().server("s").weight(7);
        states.save(before.values());

        final Map<String, TargetGroup> after = hashGroups();
        assertThat(states.restore(after)).isEqualTo(2);
        assertThat(after.get("#g").snapshot().server("#s").operatorMode()).isEqualTo(ServerState.MAINT);
        assertThat(after.get("\\g").snapshot().server("s").weight()).isEqualTo(7);
    }

    private static Map<String, TargetGroup> hashGroups() {
        return Map.of(
            "#g", new TargetGroup(new TargetGroupConfig("#g", Algorithm.ROUNDROBIN, List.of(server("#s", 8001, 1))), 1),
            "\\g", new TargetGroup(new TargetGroupConfig("\\g", Algorithm.ROUNDROBIN, List.of(server("s", 8002, 1))),
                1));
    }

    @Test
    @org.junit.jupiter.api.Timeout(10)
    void aFileWithoutEndOrANamedPipeIsNotReadAndTheStartGoesOn() throws Exception {
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));
        final Path endless = dir.resolve("endless");
        Files.createSymbolicLink(endless, Path.of("/dev/zero"));
        final Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();

        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            assertThat(OperatorStates.in(endless).restore(groups)).isZero();
            assertThat(OperatorStates.in(fifo).restore(groups)).as("returns: a pipe is not opened").isZero();
            assertThat(logs.messages()).anyMatch(m -> m.contains("cannot read " + endless + ": larger than 16 MiB"))
                .anyMatch(m -> m.contains("cannot read " + fifo + ": a named pipe (FIFO), not a file"));
        }
    }

    @Test
    void aFileOfManyBadLinesNamesTheFirstOnesAndCountsTheRest() throws IOException {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            text.append("web gone").append(i).append(" 127.0.0.1:8009 1 maint 1\n");
        }
        Files.writeString(dir.resolve("states"), text);

        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            OperatorStates.in(dir.resolve("states")).restore(groups(server("a", 8001, 1)));
            assertThat(logs.messages()).filteredOn(m -> m.contains("not applied")).singleElement()
                .satisfies(m -> assertThat(m).contains("web/gone19:").doesNotContain("web/gone20:")
                    .endsWith("; and 980 more lines"));
        }
        assertThat(dir.resolve("states.rejected")).as("lines of servers gone are read, only not applied")
            .doesNotExist();
    }

    @Test
    void anUnreadableSecondLineForOneServerSaysWhatIsWrongWithIt() throws IOException {
        Files.writeString(dir.resolve("states"), "web a 127.0.0.1:8001 1 maint 1\nweb a 127.0.0.1:8001 1 bogus 1\n");
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));

        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            OperatorStates.in(dir.resolve("states")).restore(groups);
            // it said only "a of web again": its invalid mode went unnamed (black-box testing, session 34)
            assertThat(logs.messages()).filteredOn(m -> m.contains("not applied")).singleElement().asString()
                .contains("not applied: line 2: not an operator mode (up, drain, maint): bogus");
        }
        assertThat(dir.resolve("states.rejected")).as("kept, as any unreadable file is").exists();
    }

    @Test
    void aSecondLineForOneServerIsNamedAsNotAppliedAndTheFirstApplies() throws IOException {
        Files.writeString(dir.resolve("states"), "web a 127.0.0.1:8001 1 maint 1\nweb a 127.0.0.1:8001 1 up 1\n");
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));

        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            assertThat(OperatorStates.in(dir.resolve("states")).restore(groups)).isEqualTo(1);
            assertThat(logs.messages()).filteredOn(m -> m.contains("not applied")).singleElement().asString()
                .endsWith("not applied: line 2: a of web again (line 1 applies)");
        }
        assertThat(member(groups, "a").operatorMode()).isEqualTo(ServerState.MAINT);
    }

    @Test
    void aLineForAServerNowElsewhereDoesNotKeepALaterLineForItFromApplying() throws IOException {
        Files.writeString(dir.resolve("states"), "web a 127.0.0.1:9999 1 maint 1\nweb a 127.0.0.1:8001 1 drain 1\n");
        final Map<String, TargetGroup> groups = groups(server("a", 8001, 1));

        try (LogCapture logs = LogCapture.of(OperatorStates.class.getName())) {
            assertThat(OperatorStates.in(dir.resolve("states")).restore(groups)).isEqualTo(1);
            assertThat(logs.messages()).filteredOn(m -> m.contains("not applied")).singleElement().asString()
                .endsWith("not applied: web/a: now at 127.0.0.1:8001, not 127.0.0.1:9999");
        }
        assertThat(member(groups, "a").operatorMode()).isEqualTo(ServerState.DRAIN);
    }
}
