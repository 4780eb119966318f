package dev.niolb.backend;

import dev.niolb.config.Algorithm;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A reload's change to a group against what an operator's admin calls did since the reload read it. */
class TargetGroupReconcileTest {
    private static ServerConfig server(final String name, final int port) {
        return new ServerConfig(name, new InetSocketAddress("127.0.0.1", port), 1);
    }

    private static TargetGroup group(final ServerConfig... servers) {
        return new TargetGroup(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(servers)), 1);
    }

    private static List<String> names(final TargetGroup g) {
        return java.util.Arrays.stream(g.snapshot().servers()).map(Server::name).toList();
    }

    @Test
    void aServerTheOperatorRemovedMeanwhileIsSkippedNotAFailure() {
        final TargetGroup g = group(server("a", 1001), server("b", 1002));
        g.remove("b"); // the admin DELETE that raced the reload

        g.reconcile(List.of("b"), List.of(server("c", 1003)));

        assertThat(names(g)).containsExactly("a", "c");
    }

    @Test
    void aServerTheOperatorAddedMeanwhileUnderTheFilesNameGivesWayToTheFilesServer() {
        final TargetGroup g = group(server("a", 1001));
        g.add(server("c", 2003)); // the operator's server of the name the file adds

        final List<Server> added = g.reconcile(List.of(), List.of(server("c", 1003)));

        assertThat(names(g)).containsExactly("a", "c");
        assertThat(added).singleElement().extracting(s -> s.address().getPort()).isEqualTo(1003);
    }

    @Test
    void changeItselfStillRefusesANameThatIsNotThere() {
        final TargetGroup g = group(server("a", 1001));
        assertThatThrownBy(() -> g.change(List.of("b"), List.of())).hasMessageContaining("has no server named 'b'");
    }
}
