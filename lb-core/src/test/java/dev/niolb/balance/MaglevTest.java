package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.niolb.balance.TestServers.countPicks;
import static dev.niolb.balance.TestServers.equal;
import static dev.niolb.balance.TestServers.excluding;
import static dev.niolb.balance.TestServers.server;
import static dev.niolb.balance.TestServers.withWeights;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.offset;

class MaglevTest {
    private static final int CLIENTS = 10_000;

    @Test
    void theSameClientAlwaysGetsTheSameServer() {
        final Balancer balancer = Balancers.create(Algorithm.SOURCE, equal(5), 0);
        final int[] clients = randomHashes(1_000, 1);
        final Server[] first = new Server[clients.length];
        for (int c = 0; c < clients.length; c++) {
            first[c] = balancer.pick(clients[c], 0);
        }

        for (int round = 0; round < 3; round++) {
            for (int c = 0; c < clients.length; c++) {
                assertThat(balancer.pick(clients[c], 0)).isSameAs(first[c]);
            }
        }
    }

    @Test
    void tenThousandRandomClientsSpreadEvenlyOverFiveServers() {
        final int[] counts = countPicks(Balancers.create(Algorithm.SOURCE, equal(5), 0), 5, CLIENTS, 0);

        for (final int c : counts) {
            assertThat(c).as(Arrays.toString(counts)).isBetween(1_800, 2_200);
        }
    }

    @Test
    void equalServersHoldTableSlotsWithinOneOfEachOther() {
        final Server[] s = equal(10);
        final MaglevTable table = MaglevTable.build(s);

        for (final Server server : s) {
            assertThat(table.slotsOf(server)).isBetween(MaglevTable.DEFAULT_SIZE / 10, MaglevTable.DEFAULT_SIZE / 10 + 1);
        }
    }

    @Test
    void tableSlotsAreSharedInProportionToWeight() {
        final Server[] s = withWeights(1, 2, 3, 4);
        final MaglevTable table = MaglevTable.build(s);

        for (final Server server : s) {
            final double share = table.slotsOf(server) / (double) table.size();
            assertThat(share).isCloseTo(server.weight() / 10.0, offset(0.001));
        }
    }

    @Test
    void aServerAtWeightZeroWhenTheTableIsBuiltHoldsNoSlots() {
        final Server[] s = withWeights(1, 0, 1);

        assertThat(MaglevTable.build(s).slotsOf(s[1])).isZero();
    }

    @Test
    void removingOneOfFiveServersRemapsAboutAFifthOfClients() {
        for (int removed = 0; removed < 5; removed++) {
            assertThat(remap(5, removed).movedFraction()).as("removing s%d", removed).isBetween(0.18, 0.22);
        }
    }

    @Test
    void removingOneOfTenServersRemapsAboutATenthOfClients() {
        for (int removed = 0; removed < 10; removed++) {
            assertThat(remap(10, removed).movedFraction()).as("removing s%d", removed).isBetween(0.09, 0.11);
        }
    }

    @Test
    void removingOneOfFiveServersLeavesOver99PercentOfTheOthersClientsInPlace() {
        // measured: at most 0.87% of the surviving servers' clients move (removing s4)
        for (int removed = 0; removed < 5; removed++) {
            assertThat(remap(5, removed).survivorsMovedFraction()).as("removing s%d", removed).isLessThan(0.01);
        }
    }

    @Test
    void removingOneOfTenServersLeavesOver99PercentOfTheOthersClientsInPlace() {
        // measured: at most 0.47% of the surviving servers' clients move (removing s4)
        for (int removed = 0; removed < 10; removed++) {
            assertThat(remap(10, removed).survivorsMovedFraction()).as("removing s%d", removed).isLessThan(0.006);
        }
    }

    @Test
    void twoIndependentlyBuiltTablesGiveIdenticalPicks() {
        final Balancer one = Balancers.create(Algorithm.SOURCE, withWeights(1, 3, 2, 1, 1), 1);
        final Balancer other = Balancers.create(Algorithm.SOURCE, withWeights(1, 3, 2, 1, 1), 2);

        for (final int client : randomHashes(CLIENTS, 5)) {
            assertThat(other.pick(client, 0).name()).isEqualTo(one.pick(client, 0).name());
        }
    }

    @Test
    void theOrderOfServersInTheGroupDoesNotChangeTheTable() {
        final Server[] forward = new Server[] {server(0, "a", 1), server(1, "b", 2), server(2, "c", 1)};
        final Server[] backward = new Server[] {server(0, "c", 1), server(1, "b", 2), server(2, "a", 1)};
        final MaglevTable one = MaglevTable.build(forward);
        final MaglevTable other = MaglevTable.build(backward);

        for (int slot = 0; slot < one.size(); slot++) {
            assertThat(other.serverAt(slot).name()).isEqualTo(one.serverAt(slot).name());
        }
    }

    @Test
    void aSmallTableIsPinnedSoThatEveryVersionBuildsTheSameOne() {
        // Changing this breaks agreement between instances of different versions behind one ECMP route.
        final MaglevTable table = MaglevTable.build(equal(3), 13);
        final String[] names = new String[table.size()];
        for (int slot = 0; slot < names.length; slot++) {
            names[slot] = table.serverAt(slot).name();
        }

        assertThat(String.join(" ", names)).isEqualTo("s2 s0 s0 s1 s1 s1 s2 s2 s0 s0 s1 s0 s2");
    }

    @Test
    void anExcludedServersClientGoesToTheNextServerInTheTable() {
        final Server[] s = equal(5);
        final MaglevTable table = MaglevTable.build(s, 101);
        final Balancer balancer = Balancers.source(table);

        for (final int client : randomHashes(1_000, 3)) {
            final int slot = table.slotOf(client);
            final Server home = table.serverAt(slot);
            int next = slot;
            do {
                next = (next + 1) % table.size();
            } while (table.serverAt(next) == home);

            assertThat(balancer.pick(client, Balancer.bit(home))).isSameAs(table.serverAt(next));
        }
    }

    @Test
    void excludingAServerLeavesEveryOtherServersClientsInPlace() {
        final Server[] s = equal(5);
        final Balancer balancer = Balancers.create(Algorithm.SOURCE, s, 0);

        for (final int client : randomHashes(CLIENTS, 4)) {
            final Server home = balancer.pick(client, 0);
            if (home != s[2]) {
                assertThat(balancer.pick(client, excluding(2))).isSameAs(home);
            }
        }
    }

    @Test
    void theClientHashIsTakenAsUnsigned() {
        final MaglevTable table = MaglevTable.build(equal(5), 101);

        assertThat(table.slotOf(-1)).isEqualTo(Integer.remainderUnsigned(-1, 101)).isNotEqualTo(1);
        assertThat(Balancers.source(table).pick(-1, 0)).isSameAs(table.serverAt(Integer.remainderUnsigned(-1, 101)));
    }

    @Test
    void aTableSizeThatIsNotPrimeIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> MaglevTable.build(equal(3), 65_536))
            .withMessageContaining("prime");
    }

    private record Remap(int clients, int moved, int survivorClients, int survivorsMoved) {
        double movedFraction() {
            return moved / (double) clients;
        }

        double survivorsMovedFraction() {
            return survivorsMoved / (double) survivorClients;
        }
    }

    /** Where {@link #CLIENTS} random clients go with all {@code n} servers and after removing one. */
    private static Remap remap(final int n, final int removed) {
        final Server[] all = equal(n);
        final Server[] rest = new Server[n - 1];
        for (int i = 0, j = 0; i < n; i++) {
            if (i != removed) {
                rest[j] = server(j, "s" + i, 1); // a new snapshot renumbers, names stay
                j++;
            }
        }
        final Balancer before = Balancers.create(Algorithm.SOURCE, all, 0);
        final Balancer after = Balancers.create(Algorithm.SOURCE, rest, 0);
        int moved = 0;
        int survivorClients = 0;
        int survivorsMoved = 0;
        for (final int client : randomHashes(CLIENTS, 42)) {
            final String was = before.pick(client, 0).name();
            final boolean changed = !was.equals(after.pick(client, 0).name());
            moved += changed ? 1 : 0;
            if (!was.equals("s" + removed)) {
                survivorClients++;
                survivorsMoved += changed ? 1 : 0;
            }
        }
        return new Remap(CLIENTS, moved, survivorClients, survivorsMoved);
    }

    private static int[] randomHashes(final int n, final long seed) {
        return new SplittableRandom(seed).ints(n).toArray();
    }
}
