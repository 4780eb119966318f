package dev.niolb.backend;

import dev.niolb.config.Endpoint;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend server as the engine sees it: where it is, its state, how much traffic it should get, and its
 * live counters.
 *
 * <p>Threading: its identity (index, name, address) never changes; a group carries the object over from one
 * snapshot to the next for as long as the server is in it, and sessions hold it. A config reload may change
 * its weight, backup flag, check port and PROXY header in place ({@link #reconfigure}). What balancers read on the relay
 * loops is published in volatile fields ({@link #acceptsNew()}, {@link #effectiveWeight()}, {@link #state()}), one read each, no lock. The inputs
 * they are computed from (operator weight and mode, health, agent report, slow-start ramp) change only through
 * the setters below, which serialise on the group's {@link Failover} monitor: rare, and never on a relay loop.
 * Counters, connect-time averages included, are {@link ServerCounters} (single writer per loop, read by any
 * thread). The passive-failure count is shared by the relay loops: an atomic increment on a failed connect,
 * a read (and a write only after failures) on a successful one.
 *
 * <p>A server with a {@code maxconn} counts its sessions in one shared atomic, reserved when a session picks it
 * ({@link #reserve}, on connect) and given back when the session leaves it ({@link #unreserve}): never on
 * the relay path, and exact across loops, where the striped {@link #active()} sum could be passed by one per
 * loop. At its maxconn the server is {@link #full()} and {@link #acceptsNew()} is false, so every balancer
 * passes it over for new sessions as it would a DOWN one. Without a maxconn nothing is counted there. A reload
 * may change the maxconn: each session remembers whether it was counted and gives back only what it took, so
 * sessions opened without a cap are not counted against a new one.
 *
 * <p>Effective weight: {@code weight × agent percent × slow-start ramp}, in thousandths of a weight unit so
 * that a ramp of a weight-1 server is not rounded away; 0 when the server takes no new sessions (not UP, a
 * backup while a primary is UP, operator weight 0, agent weight 0%). The exception is a group in panic (see
 * {@link Failover}): there a DOWN server takes new sessions too, at its weight.
 */
public final class Server {
    /** Effective weight of one weight unit at full strength. */
    public static final int WEIGHT_SCALE = 1000;
    /**
     * The largest agent percentage: a weight of 1 times it is the largest weight. An agent may ask for more than
     * 100% (HAProxy's agent-check does the same, capped alike): weight × percent is capped at {@link
     * ServerConfig#MAX_WEIGHT}.
     */
    public static final int MAX_AGENT_PERCENT = ServerConfig.MAX_WEIGHT * 100;
    /** The share of its weight a server restarts from in slow start, in thousandths. */
    static final int RAMP_START = 50;

    private final int index;
    private final String name;
    private final InetSocketAddress address;
    private final ServerCounters counters;
    private final HealthCounters healthCounters = new HealthCounters();
    private final Failover failover;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    /**
     * UDP's run, apart from TCP's: a server whose TCP port is open and UDP port closed, under both kinds of
     * traffic, had every connect that succeeded end the run of port unreachables, and never went DOWN (black-box
     * testing, session 29); each protocol's successes end only its own run.
     */
    private final AtomicInteger consecutiveDatagramFailures = new AtomicInteger();
    private volatile boolean awaitingJudgement;
    private final AtomicInteger reserved = new AtomicInteger();

    // inputs, written under the failover's monitor; volatile where other threads read them
    private volatile ServerConfig config;
    private volatile InetSocketAddress checkAddress;
    private volatile boolean backup;
    private volatile SendProxy sendProxy;
    private volatile int maxconn;
    private volatile int weight;
    private volatile int agentPercent = 100;
    private boolean healthy = true;
    private ServerState operatorMode = ServerState.UP;
    private ServerState agentMode = ServerState.UP;
    private int rampPermille = 1000;
    private long rampStartNanos;
    private ServerState modeBeforeRemoval;

    // published for the relay loops
    private volatile ServerState state = ServerState.UP;
    private volatile long stateChangedNanos = System.nanoTime();
    private volatile String stateReason;
    private volatile int effectiveWeight;

    /**
     * A server on its own, in no group (balancer tests and benchmarks): it is never a backup in effect.
     *
     * @param index   position in its group, stable for the group's life: balancers and retry masks use it
     * @param stripes the number of event loops that write its counters
     */
    public Server(final int index, final ServerConfig config, final int stripes) {
        this(index, config, stripes, new Failover(config.name(), 0));
        failover.servers(new Server[]{this});
    }

    Server(final int index, final ServerConfig config, final int stripes, final Failover failover) {
        this.index = index;
        this.name = config.name();
        this.address = Objects.requireNonNull(config.address());
        this.config = config;
        this.checkAddress = config.checkAddress();
        this.backup = config.backup();
        this.sendProxy = config.sendProxy();
        this.weight = config.weight();
        this.maxconn = config.maxconn();
        this.counters = new ServerCounters(stripes);
        this.failover = failover;
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    /**
     * {@code GROUP/NAME}, as the log names a server (HAProxy's {@code backend/server}): a name alone was ambiguous
     * where two groups have a server of that name (black-box testing, session 28).
     */
    public String label() {
        return failover.group() + "/" + name;
    }

    /** The name of the group it is (or was, retiring) a server of. */
    public String group() {
        return failover.group();
    }

    public InetSocketAddress address() {
        return address;
    }

    /**
     * The settings this server was last given by a config (or by whoever added it at run time). Operator
     * changes since ({@link #weight(int)}, {@link #operatorMode}) are not in it: {@link #weight()} is the weight in force.
     */
    public ServerConfig config() {
        return config;
    }

    /** Whether {@code other} names this server: same name and same address. */
    public boolean sameAs(final ServerConfig other) {
        return name.equals(other.name()) && address.equals(other.address());
    }

    /** Where active checks connect (the address, or its host at the configured check port). */
    public InetSocketAddress checkAddress() {
        return checkAddress;
    }

    /** Whether this is a backup server: it takes new sessions only while no primary of its group can. */
    public boolean backup() {
        return backup;
    }

    /** Whether (and which) PROXY protocol header goes to this server before the first relayed byte. */
    public SendProxy sendProxy() {
        return sendProxy;
    }

    // ------------------------------------------------------------------------------------- read on hot path

    /**
     * Whether a balancer may give this server a new session: it has a weight (UP, see {@link #effectiveWeight()}),
     * is not {@linkplain #awaitJudgement awaiting the health loop's judgement} and is not at its maxconn. Two
     * volatile reads, three with a maxconn.
     */
    public boolean acceptsNew() {
        return effectiveWeight > 0 && !awaitingJudgement && !full();
    }

    /** Whether the server has its maxconn of sessions; never without a maxconn. One volatile read. */
    public boolean full() {
        return maxconn > 0 && reserved.get() >= maxconn;
    }

    /** Sessions this server takes at once; 0 for no cap. */
    public int maxconn() {
        return maxconn;
    }

    /** {@link #reserve}: the session is counted against the maxconn; give it back with {@link #unreserve}. */
    public static final int RESERVED = 1;
    /** {@link #reserve}: no maxconn, nothing was counted (and nothing is to be given back). */
    public static final int NOT_COUNTED = 0;
    /** {@link #reserve}: another loop filled the last place since the pick; the caller passes this server over. */
    public static final int FULL = -1;

    /** Counts a new session against the maxconn: {@link #RESERVED}, {@link #NOT_COUNTED} or {@link #FULL}. */
    public int reserve() {
        final int max = maxconn;
        if (max == 0) {
            return NOT_COUNTED;
        }
        int n;
        do {
            n = reserved.get();
            if (n >= max) {
                return FULL;
            }
        } while (!reserved.compareAndSet(n, n + 1));
        return RESERVED;
    }

    /** A session that {@link #reserve} returned {@link #RESERVED} for has left this server. */
    public void unreserve() {
        reserved.decrementAndGet();
    }

    /** Sessions counted against the maxconn now. */
    public int reserved() {
        return reserved.get();
    }

    /**
     * The weight balancers use, in {@link #WEIGHT_SCALE thousandths}: the operator weight scaled by the agent's
     * percentage and the slow-start ramp; 0 when the server takes no new sessions. One volatile read.
     */
    public int effectiveWeight() {
        return effectiveWeight;
    }

    /** The state now: UP, DOWN, DRAIN or MAINT. */
    public ServerState state() {
        return state;
    }

    /**
     * When the published state last changed ({@link System#nanoTime()}), stamped where it changes: a reader that
     * polls {@link #state()} learns of a change late, by as much as its thread was kept off a core.
     */
    public long stateChangedNanos() {
        return stateChangedNanos;
    }

    /**
     * Why the state last changed, as its log line said it ({@code 2 checks failed: connection refused}); null
     * before any change. What {@code show stat}'s check status tells a HAProxy operator: the reason was only in the
     * log (black-box testing, session 35). Any thread.
     */
    public String stateReason() {
        return stateReason;
    }

    /** Written by {@link Failover} with the state change's line, under its monitor. */
    void stateReason(final String reason) {
        this.stateReason = reason;
    }

    /** The operator weight, 0..256 (the configured one unless changed); 0 takes no new sessions. */
    public int weight() {
        return weight;
    }

    /**
     * The weight set at run time (admin API, {@code niolb server weight}, a state file) that {@link #reconfigure
     * reconfiguring} to {@code next} would replace, or -1: none set, {@code next} keeps the config's weight (the
     * operator's stays then), or it is the weight in force already. For the reload's {@code replaced} lines, from
     * the file's servers and from DNS's alike.
     */
    public int runTimeWeightReplacedBy(final ServerConfig next) {
        final int inForce = weight;
        final int configured = config.weight();
        return inForce != configured && next.weight() != configured && inForce != next.weight() ? inForce : -1;
    }

    /** The last weight percentage the server's agent reported, 100 without an agent. */
    public int agentPercent() {
        return agentPercent;
    }

    /**
     * The weight a Maglev table is built from: operator weight times agent percentage, 0 in DRAIN or MAINT (the
     * operator's or the agent's). A server taken out that way is out of the table as it would be removed, so
     * that draining then removing it moves its clients once, to where they then stay (the table walked past a
     * drained server instead, and the removal moved most of them again; black-box testing, session 29). Health
     * and slow start are not in it: the table walks past a DOWN server, so instances whose checks disagree still
     * agree on the table, and a server going DOWN and UP rebuilds nothing. A table changes when an operator or
     * an agent changes a weight or a mode. Read under the failover's monitor (or by a test before traffic).
     */
    public long tableWeight() {
        if (operatorMode == ServerState.DRAIN || operatorMode == ServerState.MAINT
            || agentMode == ServerState.DRAIN || agentMode == ServerState.MAINT) {
            return 0;
        }
        return Math.min((long) weight * agentPercent, (long) ServerConfig.MAX_WEIGHT * 100);
    }

    /** An exponentially weighted moving average of this server's connect times, in ns; 0 before the first. */
    public long connectNanosEwma() {
        return counters.connectNanosEwma();
    }

    /** The average aged at {@code nowNanos}: see {@link ServerCounters#connectNanosEwma(long)}. */
    public long connectNanosEwma(final long nowNanos) {
        return counters.connectNanosEwma(nowNanos);
    }

    /** How much of the aged average is measurement: see {@link ServerCounters#connectFreshness(long)}. */
    public double connectFreshness(final long nowNanos) {
        return counters.connectFreshness(nowNanos);
    }

    /** Active sessions across all loops. */
    public long active() {
        return counters.active();
    }

    public ServerCounters counters() {
        return counters;
    }

    /** Checks passed and failed, state changes. */
    public HealthCounters healthCounters() {
        return healthCounters;
    }

    // ------------------------------------------------------------------------------ written by relay loops

    /**
     * A connect to this server failed during real traffic. Any relay loop; lock-free (an atomic increment on a
     * path that is already slow).
     *
     * @return the failures in a row, this one included
     */
    public int connectFailed() {
        return connectFailed(false);
    }

    /** As {@link #connectFailed()}; {@code datagram}: a UDP flow's (port unreachable), counted in a run of its own. */
    public int connectFailed(final boolean datagram) {
        return (datagram ? consecutiveDatagramFailures : consecutiveFailures).incrementAndGet();
    }

    /**
     * A connect to this server succeeded after {@code nanos}, on the loop that owns {@code stripe}. No lock and
     * no atomic read-modify-write: the failure run is reset only when it is not already 0 (so the steady state
     * only reads that shared line), and the connect-time average is the loop's own stripe.
     */
    public void connectSucceeded(final int stripe, final long nanos) {
        connectSucceeded(stripe, nanos, System.nanoTime());
    }

    /** As {@link #connectSucceeded(int, long)}, the connect having ended at {@code atNanos} ({@link System#nanoTime()}). */
    public void connectSucceeded(final int stripe, final long nanos, final long atNanos) {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        counters.recordConnectNanos(stripe, nanos, atNanos);
    }

    /**
     * The server answered a datagram (UDP's counterpart of a successful connect): ends a run of passive failures.
     * Any relay loop; only reads the shared count unless a run is in progress.
     */
    public void answered() {
        if (consecutiveDatagramFailures.get() != 0) {
            consecutiveDatagramFailures.set(0);
        }
    }

    /** Connects failed in a row, across loops, since the last success or state change (TCP's or UDP's run). */
    public int consecutiveFailures() {
        return Math.max(consecutiveFailures.get(), consecutiveDatagramFailures.get());
    }

    /**
     * Its connects failed {@code max-fails} times in a row: no loop gives it a new session until the health loop
     * has judged it ({@link #judged}), a wake-up later, which takes it DOWN or keeps it UP as the last server
     * taking sessions. Meanwhile clients arriving faster than that went to it and failed too (black-box testing,
     * session 26: a third client reset at max-fails 2). Any relay loop.
     */
    public void awaitJudgement() {
        awaitingJudgement = true;
    }

    /** The health loop's verdict on {@link #awaitJudgement} is published: new sessions by its state again. */
    public void judged() {
        awaitingJudgement = false;
    }

    // ------------------------------------------------------------------ written by operators and health

    /** Sets the operator weight, 0..256; 0 takes no new sessions. */
    public void weight(final int weight) {
        if (weight < 0 || weight > ServerConfig.MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be 0.." + ServerConfig.MAX_WEIGHT + ", got " + weight);
        }
        failover.update(this, () -> this.weight = weight, "weight set to " + weight);
    }

    /**
     * The operator's mode: {@link ServerState#UP} (in service), {@link ServerState#DRAIN} or
     * {@link ServerState#MAINT}. DRAIN and MAINT take no new sessions; existing ones finish.
     */
    public void operatorMode(final ServerState mode, final String reason) {
        if (mode == ServerState.DOWN) {
            throw new IllegalArgumentException("an operator sets UP, DRAIN or MAINT; DOWN comes from checks");
        }
        // the line names what was asked: the state it shows may be another's doing (a ready that leaves it DOWN or
        // its agent's DRAIN read "DRAIN: set by operator": black-box testing, sessions 28 and 34)
        final String asked = (mode == ServerState.UP ? "ready " : mode == ServerState.DRAIN ? "drain " : "maint ")
            + reason;
        final String why = mode != ServerState.MAINT && !healthy() ? asked + ", but its checks say DOWN" : asked;
        failover.update(this, () -> operatorMode = mode, why);
    }

    public ServerState operatorMode() {
        synchronized (failover) {
            return operatorMode;
        }
    }

    /** The verdict of health checks (or of passive detection). Health loop. */
    public void health(final boolean up, final String reason) {
        health(up, reason, true);
    }

    /** As {@link #health(boolean, String)}; {@code said}: whether its state line is logged (else at DEBUG). */
    public void health(final boolean up, final String reason, final boolean said) {
        failover.update(this, () -> {
            healthy = up;
            consecutiveFailures.set(0);
            consecutiveDatagramFailures.set(0);
        }, reason, said);
    }

    /** Whether checks consider the server healthy, whatever the operator or agent say. */
    public boolean healthy() {
        synchronized (failover) {
            return healthy;
        }
    }

    /**
     * What the server's agent reported: a mode (UP, DOWN, DRAIN, MAINT) or null for no change, and a weight
     * percentage 0..{@link #MAX_AGENT_PERCENT} or -1 for no change. Health loop.
     */
    public void agentReport(final ServerState mode, final int percent, final String reason) {
        agentReport(mode, percent, reason, true);
    }

    /** As {@link #agentReport(ServerState, int, String)}; {@code said}: whether its state line is logged. */
    public void agentReport(final ServerState mode, final int percent, final String reason, final boolean said) {
        if (percent < -1 || percent > MAX_AGENT_PERCENT) {
            throw new IllegalArgumentException("agent weight must be 0.." + MAX_AGENT_PERCENT + "%, got " + percent);
        }
        failover.update(this, () -> {
            if (mode != null) {
                agentMode = mode;
            }
            if (percent >= 0) {
                agentPercent = percent;
            }
        }, reason, said);
    }

    /**
     * The group no longer polls an agent for this server (the check left the config): what its agent last
     * reported (a mode, a weight) no longer holds. Health loop.
     */
    public void forgetAgent() {
        forgetAgent("its agent check was removed");
    }

    /** As {@link #forgetAgent()}, for {@code why}. */
    public void forgetAgent(final String why) {
        synchronized (failover) {
            if (agentMode == ServerState.UP && agentPercent == 100) {
                return;
            }
        }
        failover.update(this, () -> {
            agentMode = ServerState.UP;
            agentPercent = 100;
        }, why);
    }

    /** What its agent last reported, UP when it has none or said nothing else. */
    public ServerState agentMode() {
        synchronized (failover) {
            return agentMode;
        }
    }

    /**
     * Moves the slow-start ramp on to {@code nowNanos}; returns true while it is still ramping. Health loop.
     */
    public boolean advanceRamp(final long nowNanos) {
        final long total = failover.slowStartNanos();
        synchronized (failover) {
            if (rampPermille >= 1000 || total <= 0) {
                return false;
            }
        }
        failover.update(this, () -> {
            final long elapsed = nowNanos - rampStartNanos;
            rampPermille = elapsed >= total ? 1000
                : (int) Math.max(RAMP_START, RAMP_START + (1000 - RAMP_START) * elapsed / total);
        }, null);
        synchronized (failover) {
            return rampPermille < 1000;
        }
    }

    /**
     * Slow start was turned off (a reload set it to 0): a ramp under way ends at the full weight at once, rather
     * than staying where it was, since nothing advances it any more (black-box testing, session 26: a server held
     * at a fifth of its weight until its state next changed). Health loop.
     */
    public void finishRamp() {
        synchronized (failover) {
            if (rampPermille >= 1000) {
                return;
            }
        }
        failover.update(this, () -> rampPermille = 1000, null);
    }

    /**
     * The config changed this server's settings (same name and address): what the new settings change takes
     * effect at once. The weight is set only when the config's weight changed, so a weight an operator set at run
     * time stays until the config changes that value; operator modes are not in a config and stay.
     */
    void reconfigure(final ServerConfig next) {
        if (!sameAs(next)) {
            throw new IllegalArgumentException("server " + this + " cannot become " + next.name() + " at "
                + Endpoint.hostPort(next.address()));
        }
        failover.update(this, () -> {
            final ServerConfig before = config;
            config = next;
            checkAddress = next.checkAddress();
            backup = next.backup();
            sendProxy = next.sendProxy(); // for connects from now on
            maxconn = next.maxconn(); // for picks from now on; sessions give back what they took
            if (next.weight() != before.weight()) {
                weight = next.weight();
            }
        }, "config changed");
    }

    // ---------------------------------------------------------------------- under the failover's monitor

    /** Leaves its group: DRAIN by the operator's hand, remembering the mode it had. */
    void leave() {
        modeBeforeRemoval = operatorMode;
        operatorMode = ServerState.DRAIN;
    }

    /**
     * Back in its group before it was forgotten: UP, as a server added afresh is, its counts going on. It took back
     * the mode it had before it left, so whether a server in MAINT renamed and renamed back by two reloads came back
     * in MAINT or UP depended on whether the second came within the ~200 ms before it was forgotten (black-box
     * testing, session 34); a reload that removes a server in DRAIN or MAINT says the mode goes with it.
     */
    void rejoin() {
        if (modeBeforeRemoval != null) {
            operatorMode = ServerState.UP;
            modeBeforeRemoval = null;
        }
    }

    boolean ramping() {
        return rampPermille < 1000;
    }

    void startRamp(final long nowNanos) {
        rampStartNanos = nowNanos;
        rampPermille = RAMP_START;
    }

    void endRamp() {
        rampPermille = 1000;
    }

    /**
     * Whether its sessions are to be drained ({@code drain-timeout}): the operator or its agent set DRAIN, or it
     * left its group. Whatever its health says: a drained server that then fails its checks shows DOWN, and its
     * sessions still end at the drain timeout. Not in MAINT, which keeps sessions, unless it left its group.
     */
    boolean drainAsked() {
        if (modeBeforeRemoval != null) {
            return true;
        }
        return (operatorMode == ServerState.DRAIN || agentMode == ServerState.DRAIN)
            && operatorMode != ServerState.MAINT && agentMode != ServerState.MAINT;
    }

    /** {@link #drainAsked}, from any thread (the health loop's paced drain). */
    public boolean draining() {
        synchronized (failover) {
            return drainAsked();
        }
    }

    /**
     * {@code ", but its agent says drain"} (or maint, or down) when its agent's word is what puts the server in
     * {@code state} and the operator's mode and the checks do not; else empty. Under the failover's lock.
     */
    String agentHolds(final ServerState state) {
        final boolean agentOnly = agentMode == state && switch (state) {
            case DRAIN -> operatorMode != ServerState.DRAIN;
            case MAINT -> operatorMode != ServerState.MAINT;
            case DOWN -> healthy;
            case UP -> false;
        };
        return agentOnly ? ", but its agent says " + state.name().toLowerCase(java.util.Locale.ROOT) : "";
    }

    ServerState computeState() {
        if (operatorMode == ServerState.MAINT || agentMode == ServerState.MAINT) {
            return ServerState.MAINT;
        }
        if (!healthy || agentMode == ServerState.DOWN) {
            return ServerState.DOWN;
        }
        if (operatorMode == ServerState.DRAIN || agentMode == ServerState.DRAIN) {
            return ServerState.DRAIN;
        }
        return ServerState.UP;
    }

    /**
     * Recomputes and publishes the state and effective weight. In a group in panic a DOWN server, primary or
     * backup, takes sessions at its weight (no ramp: it is not coming back, it is being tried).
     */
    void publish(final boolean backupsActive, final boolean panic) {
        final ServerState s = computeState();
        int effective = 0;
        // a backup takes nothing while a primary is UP, in panic too (black-box testing, session 26: a DOWN backup
        // took a share of a panicking group beside its UP primary); with no primary UP, panic tries it as well
        if ((!backup || backupsActive) && (s == ServerState.UP || panic && s == ServerState.DOWN)) {
            // weight × agent percent is capped at the largest weight (an agent may ask for more than 100%), then ramped
            final long full = Math.min((long) weight * agentPercent, (long) ServerConfig.MAX_WEIGHT * 100);
            final long w = full * (s == ServerState.UP ? rampPermille : 1000) / 100;
            effective = w == 0 && weight > 0 && agentPercent > 0 ? 1 : (int) w;
        }
        // weight first: a thread that reads the new state (a test, the admin API) then sees the weight that goes with it
        effectiveWeight = effective;
        if (s != state) {
            stateChangedNanos = System.nanoTime(); // before the state: whoever sees the new state sees its time
        }
        state = s;
    }

    @Override
    public String toString() {
        return name.equals(Endpoint.hostPort(address)) ? name : name + "(" + Endpoint.hostPort(address) + ")";
    }
}
