package dev.niolb.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a group's {@code roundrobin} leaves unused: its servers' weights and, with them, slow start (which acts
 * through the weight). HAProxy's {@code roundrobin}, its default, is weighted; niolb's is not ({@code weighted}
 * is), so a config translated line by line spread evenly over servers of weight 5 and 1 without a word
 * (black-box testing, session 35).
 */
public final class IgnoredWeights {
    private IgnoredWeights() {
    }

    /** The warning for {@code group}, or null when its balance uses its weights or they are all equal. */
    public static String of(final TargetGroupConfig group) {
        if (group.balance() != Algorithm.ROUNDROBIN) {
            return null;
        }
        final List<ServerConfig> servers = group.servers();
        final boolean unequal = servers.stream().mapToInt(ServerConfig::weight).filter(w -> w > 0).distinct()
            .count() > 1;
        final boolean slowStart = !group.health().slowStart().isZero();
        if (!unequal && !slowStart) {
            return null;
        }
        final String what = unequal ? "the weights of its servers ("
            + servers.stream().map(s -> s.name() + " " + s.weight()).collect(Collectors.joining(", ")) + ")"
            + (slowStart ? " and slowstart" : "") : "slowstart, which acts through the weights";
        return "group " + group.name() + ": balance roundrobin ignores " + what + "; balance weighted is HAProxy's "
            + "roundrobin";
    }

    /** For a weight set at run time on a server of a group that balances {@code balance}; null where it applies. */
    public static String ofWeightChange(final Algorithm balance) {
        return balance == Algorithm.ROUNDROBIN ? "balance roundrobin ignores weights: this one applies if the "
            + "group's balance becomes weighted, leastconn, random or leasttime" : null;
    }
}
