package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import dev.niolb.backend.TargetGroup;

/**
 * The balancer of one group on one event loop, rebuilt when the group publishes a new snapshot.
 *
 * <p>Not threadsafe: owned by one event loop. The check for a new snapshot is one volatile read per pick. A
 * balancer built for a new snapshot of the same algorithm {@link Balancer#inherit inherits} the old one's
 * position, so a reload or a membership change keeps the rotation where it was.
 */
public final class GroupBalancer {
    private final TargetGroup group;
    private final int loop;
    /** This loop's draws for the group, one stream across all its snapshots' balancers. */
    private final SplitMix64 random = SplitMix64.independent();
    private TargetGroup.Snapshot snapshot;
    private Balancer balancer;

    /** @param loop the loop's index: where its rotations start ({@link Balancer#startAt}) */
    public GroupBalancer(final TargetGroup group, final int loop) {
        this.group = group;
        this.loop = loop;
    }

    /** See {@link Balancer#pick}. */
    public Server pick(final int clientHash, final long excluded) {
        final TargetGroup.Snapshot current = group.snapshot();
        if (current != snapshot) {
            final Balancer next = current.balance() == Algorithm.SOURCE
                ? Balancers.source(current.maglevTable(), current.hashBalanceFactor())
                : Balancers.create(current.balance(), current.servers(), random);
            if (balancer != null && snapshot.balance() == current.balance()) {
                next.inherit(balancer); // a new membership or weight does not restart the rotation
            } else {
                next.startAt(loop);
            }
            balancer = next;
            snapshot = current;
        }
        return balancer.pick(clientHash, excluded);
    }

    public TargetGroup group() {
        return group;
    }
}
