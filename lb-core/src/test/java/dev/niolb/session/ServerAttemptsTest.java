package dev.niolb.session;

import dev.niolb.backend.Server;
import dev.niolb.backend.TargetGroup;
import dev.niolb.balance.GroupBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One session's way through its group's servers, as TCP sessions and UDP flows both take it. */
class ServerAttemptsTest {
    private static final int CLIENT = 12345;

    private static GroupBalancer balancer(final int maxconn, final String... names) {
        return balancer(Algorithm.ROUNDROBIN, maxconn, names);
    }

    private static GroupBalancer balancer(final Algorithm algorithm, final int maxconn, final String... names) {
        final List<ServerConfig> servers = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            servers.add(new ServerConfig(names[i], new InetSocketAddress("127.0.0.1", 2000 + i), 1, false, 0,
                SendProxy.NONE, maxconn));
        }
        return new GroupBalancer(new TargetGroup(new TargetGroupConfig("g", algorithm, servers,
            HealthCheckConfig.DEFAULTS), 1), 0);
    }

    @Test
    void eachTryGoesToAServerNotTriedBeforeAndTheRetriesBoundTheTries() {
        final GroupBalancer balancer = balancer(0, "a", "b", "c", "d");
        final ServerAttempts attempts = new ServerAttempts(2);
        final List<String> asked = new ArrayList<>();
        Server s;
        while ((s = attempts.next(balancer, CLIENT)) != null) {
            asked.add(s.name());
        }
        assertThat(asked).hasSize(3).doesNotHaveDuplicates();
        assertThat(attempts.attempts()).isEqualTo(3);
        assertThat(attempts.retriesLeft()).isFalse();
        assertThat(attempts.giveUp()).isEqualTo(Termination.CONNECT_FAILURE);
    }

    @Test
    void inAGroupOfMoreThanSixtyFourServersNoTryGoesBackToAServerTriedBefore() {
        // the mask had no bit for index 64 on: source hashing sent every retry back to the same failed server
        final String[] names = new String[70];
        for (int i = 0; i < names.length; i++) {
            names[i] = "s" + i;
        }
        final GroupBalancer balancer = balancer(Algorithm.SOURCE, 0, names);
        for (int client = 0; client < 500; client++) {
            final ServerAttempts attempts = new ServerAttempts(3);
            final List<String> asked = new ArrayList<>();
            Server s;
            while ((s = attempts.next(balancer, client * 0x9E3779B9)) != null) {
                asked.add(s.name());
            }
            assertThat(asked).as("client %d", client).hasSize(4).doesNotHaveDuplicates();
        }
    }

    @Test
    void aServerNeverAskedIsNotATryAndMayBePickedAgain() {
        final GroupBalancer balancer = balancer(0, "only");
        final ServerAttempts attempts = new ServerAttempts(0);
        final Server first = attempts.next(balancer, CLIENT);
        attempts.notAsked(first); // no socket could be opened for it
        assertThat(attempts.attempts()).isZero();
        assertThat(attempts.next(balancer, CLIENT)).isSameAs(first);
        assertThat(attempts.next(balancer, CLIENT)).isNull();
    }

    @Test
    void aSessionHoldsOnePlaceUnderItsServersMaxconnUntilItReleasesIt() {
        final GroupBalancer balancer = balancer(1, "a", "b");
        final ServerAttempts attempts = new ServerAttempts(3);
        final Server picked = attempts.next(balancer, CLIENT);
        assertThat(picked.reserved()).isOne();
        attempts.release();
        attempts.release(); // idempotent: a place is given back once
        assertThat(picked.reserved()).isZero();
    }

    @Test
    void whenEveryServerLeftIsAtItsMaxconnTheSessionEndsFullNotWithoutAServer() {
        final GroupBalancer balancer = balancer(1, "a", "b");
        final Server filled = new ServerAttempts(3).next(balancer, CLIENT); // another session fills one
        final ServerAttempts attempts = new ServerAttempts(3);
        final Server other = attempts.next(balancer, CLIENT);
        assertThat(other).isNotNull().isNotSameAs(filled);
        attempts.release(); // that try failed: its place is given back, and the first server is still full
        assertThat(attempts.next(balancer, CLIENT)).isNull();
        assertThat(attempts.giveUp()).isEqualTo(Termination.FULL);
    }

    @Test
    void startingAfreshAvoidsTheServerLeftAndGivesEveryTryBack() {
        final GroupBalancer balancer = balancer(0, "a", "b");
        final ServerAttempts attempts = new ServerAttempts(0);
        final Server down = attempts.next(balancer, CLIENT);
        assertThat(attempts.retriesLeft()).isFalse();
        attempts.restartAvoiding(down);
        final Server next = attempts.next(balancer, CLIENT);
        assertThat(next).isNotNull().isNotSameAs(down);
        assertThat(attempts.attempts()).isOne();
    }
}
