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
                && m.contains("line 5: expected 6 fields"));
        }
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
            assertThat(logs.messages()).anyMatch(m -> m.contains("cannot save to") && m.contains("a restart will not keep"));
        }
    }
}
