package dev.niolb.dns;

import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.ServerConfig;
import dev.niolb.backend.Server;
import dev.niolb.backend.TargetGroup;
import dev.niolb.reload.ReloadResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Keeps the servers of every {@link DnsServerSpec} in step with DNS: resolved when a spec is watched, then again
 * when the answer's TTL runs out (clamped to the configured minimum and maximum). Addresses that appear join the
 * group, addresses that vanish leave it (and drain), a changed SRV weight changes the server's weight; all
 * through {@link TargetGroup#change}, so the health checker follows. A failed lookup keeps the last good set and
 * is logged once, until a lookup works again.
 *
 * <p>Like the config file, DNS is the source of what it changes and nothing else: it removes only servers it
 * added, and an operator's change to one of them (weight, mode, removal) stays until DNS changes that server.
 *
 * <p>Threading: one scheduler thread ({@code niolb-dns}) only times the refreshes; each lookup runs on a
 * virtual thread of its own, off the relay and health loops. {@link #watch}, {@link #unwatch} and
 * {@link #close} come from the engine's control thread; a watch serialises its refreshes on itself.
 */
public final class DnsDiscovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.dns");

    private final ScheduledExecutorService scheduler;
    private final Map<TargetGroup, Map<String, Watch>> watches = new IdentityHashMap<>(); // guarded by this
    private volatile DnsConfig config;
    private NameResolver resolver; // made at the first lookup: a config without names never loads dnsjava
    private volatile Runnable onMembersChanged = () -> { };
    /** The running listeners: an answer's address that is one of them is left out ({@link #listeners}). */
    private volatile List<dev.niolb.config.ListenerConfig> listeners = List.of();

    private DnsDiscovery(final DnsConfig config) {
        this.config = config;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "niolb-dns");
            t.setDaemon(true);
            return t;
        });
    }

    public static DnsDiscovery start(final DnsConfig config) {
        return new DnsDiscovery(config);
    }

    /**
     * Called (on a lookup's thread) after an answer added servers to a group or removed some: the operator states
     * kept in a state file follow, so a server DNS dropped does not come back at the next start with the mode or
     * weight an operator gave the one before it.
     */
    public void onMembersChanged(final Runnable listener) {
        this.onMembersChanged = listener;
    }

    /**
     * The listeners running (at start, and after each reload): an address an answer gives that is one of them
     * (for a protocol that uses the group), or on a wildcard listener's port at one of this host's addresses, is
     * left out and warned of, as the config refuses such a server: niolb would relay to itself, one client's
     * connection looping through it until maxconn (black-box testing, session 30).
     */
    public void listeners(final List<dev.niolb.config.ListenerConfig> running) {
        this.listeners = List.copyOf(running);
    }

    /**
     * Judges every name's last answer again against the listeners given last ({@link #listeners}), at once: a
     * server at a listener a reload is about to add leaves the group before that listener takes a client, and one
     * a listener left is back. Any thread.
     */
    public void refilter() {
        final List<Watch> all = new ArrayList<>();
        synchronized (this) {
            watches.values().forEach(m -> all.addAll(m.values()));
        }
        for (final Watch w : all) {
            w.refilter();
        }
    }

    /** New resolver settings, for every lookup from now on. */
    public synchronized void configure(final DnsConfig next) {
        this.resolver = null;
        this.config = next;
    }

    private synchronized NameResolver resolver() {
        if (resolver == null) {
            resolver = new NameResolver(config);
        }
        return resolver;
    }

    /**
     * Starts keeping the servers of these specs in their groups: each is resolved now (all at once, each on a
     * virtual thread; this returns when every first lookup has answered or failed), then on its TTL.
     */
    public void watch(final List<Map.Entry<TargetGroup, DnsServerSpec>> specs) {
        watch(specs, () -> false);
    }

    /**
     * As {@link #watch(List)}, no longer waiting for the first lookups once {@code abandon} says so (a stop asked
     * while niolb starts: a resolver that does not answer held it for the whole lookup timeout; black-box testing,
     * session 27). The lookups go on until {@link #close}.
     */
    public void watch(final List<Map.Entry<TargetGroup, DnsServerSpec>> specs, final BooleanSupplier abandon) {
        watch(specs, abandon, (group, spec) -> List.of());
    }

    /**
     * As {@link #watch(List, BooleanSupplier)}, each spec first holding the servers {@code seeds} gives for it (what
     * the niolb this one took over from had resolved, {@link dev.niolb.HandedOverState}): its first lookup then
     * brings them up to date, and one that fails keeps them, as a lookup failing later would.
     */
    public void watch(final List<Map.Entry<TargetGroup, DnsServerSpec>> specs, final BooleanSupplier abandon,
                      final java.util.function.BiFunction<TargetGroup, DnsServerSpec, List<ServerConfig>> seeds) {
        final List<Thread> first = new ArrayList<>();
        synchronized (this) {
            for (final Map.Entry<TargetGroup, DnsServerSpec> e : specs) {
                final Watch w = new Watch(e.getKey(), e.getValue());
                final Watch old = watches.computeIfAbsent(e.getKey(), g -> new LinkedHashMap<>()).put(w.spec.name(), w);
                if (old != null) {
                    old.stop();
                    w.lookups = old.lookups; // the same name in the same group: its counts go on
                }
                w.seed(seeds.apply(e.getKey(), e.getValue()));
                first.add(Thread.ofVirtual().name("niolb-dns-" + w.spec.name()).start(w::refresh));
            }
        }
        for (final Thread t : first) {
            try {
                while (!t.join(Duration.ofMillis(50))) {
                    if (abandon.getAsBoolean()) {
                        return;
                    }
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** {@link #watch(List)} of one spec. */
    public void watch(final TargetGroup group, final DnsServerSpec spec) {
        watch(List.of(Map.entry(group, spec)));
    }

    /**
     * Stops resolving a spec; with {@code removeServers}, the servers it added leave the group (and drain).
     */
    public void unwatch(final TargetGroup group, final String specName, final boolean removeServers) {
        final Watch w;
        synchronized (this) {
            final Map<String, Watch> of = watches.get(group);
            w = of == null ? null : of.remove(specName);
            if (of != null && of.isEmpty()) {
                watches.remove(group);
            }
        }
        if (w != null) {
            w.stop();
            if (removeServers) {
                w.removeServers();
            }
        }
    }

    /**
     * A watched spec changed its options (or, under an explicit name, its host or port): the servers it added
     * are carried over and brought in line with the new spec by a lookup now.
     */
    public List<String> rewatch(final TargetGroup group, final DnsServerSpec spec) {
        final Watch w = new Watch(group, spec);
        final Watch old;
        synchronized (this) {
            old = watches.computeIfAbsent(group, g -> new LinkedHashMap<>()).put(spec.name(), w);
        }
        if (old != null) {
            old.stop();
            w.inherit(old);
        }
        w.collectReplaced();
        w.refresh();
        if (old != null) {
            w.restyle(old.spec);
        }
        return w.takeReplaced();
    }

    /** Stops resolving every spec of a group that is going away (its servers go with it). */
    public void unwatchAll(final TargetGroup group) {
        final Map<String, Watch> of;
        synchronized (this) {
            of = watches.remove(group);
        }
        if (of != null) {
            of.values().forEach(Watch::stop);
        }
    }

    /** What the watched spec of that name resolves ({@link DnsServerSpec#target()}); empty when none. */
    public synchronized String target(final TargetGroup group, final String specName) {
        final Map<String, Watch> of = watches.get(group);
        final Watch w = of == null ? null : of.get(specName);
        return w == null ? "" : w.spec.target();
    }

    /** The servers a spec stands for now (the last good answer), by name; empty before one. For tests and the API. */
    public synchronized List<ServerConfig> servers(final TargetGroup group, final String specName) {
        final Map<String, Watch> of = watches.get(group);
        final Watch w = of == null ? null : of.get(specName);
        return w == null ? List.of() : w.current();
    }

    /**
     * Lookups and failed lookups of one watched spec since it was first watched (a reload that keeps the spec
     * keeps its counts), and whether its last lookup failed.
     */
    public record LookupStats(String group, String name, long lookups, long failures, boolean failing) {
    }

    /** Every watched spec's lookups, by group then spec, in the order they were watched. Any thread. */
    public synchronized List<LookupStats> lookupStats() {
        final List<LookupStats> all = new ArrayList<>();
        for (final Map.Entry<TargetGroup, Map<String, Watch>> g : watches.entrySet()) {
            for (final Watch w : g.getValue().values()) {
                final Lookups l = w.lookups;
                all.add(new LookupStats(g.getKey().name(), w.spec.name(), l.done.get(), l.failed.get(), l.failing));
            }
        }
        return all;
    }

    /** A spec's lookup counts, carried from one watch of it to the next. */
    private static final class Lookups {
        final java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
        volatile boolean failing;
    }

    @Override
    public void close() {
        synchronized (this) {
            for (final Map<String, Watch> of : watches.values()) {
                of.values().forEach(Watch::stop);
            }
            watches.clear();
        }
        scheduler.shutdownNow();
    }

    /** One spec in one group: its last good answer and its next refresh. */
    private final class Watch {
        private final TargetGroup group;
        private final DnsServerSpec spec;
        private Map<String, ServerConfig> applied = new LinkedHashMap<>(); // the servers it put in the group
        // weights set at run time that a new weight of the spec replaced, for the reload that changed the spec; null
        // but while that reload applies it (a refresh later is DNS's, said in the log line alone)
        private List<String> replaced;
        private final java.util.Set<String> selfWarned = new java.util.HashSet<>(); // left out as niolb's own, said
        private List<ServerConfig> lastAnswer; // what the last answer gave, before any was left out
        private boolean failing;
        private volatile Lookups lookups = new Lookups();
        private boolean stopped;
        private ScheduledFuture<?> next;

        Watch(final TargetGroup group, final DnsServerSpec spec) {
            this.group = group;
            this.spec = spec;
        }

        /** Takes over what an older watch of the same name put in the group. */
        synchronized void inherit(final Watch old) {
            synchronized (old) {
                applied = new LinkedHashMap<>(old.applied);
            }
            lookups = old.lookups;
        }

        /**
         * The servers an older spec of the same name and target put in the group, given this spec's options (weight,
         * backup, limits …) when the lookup just made failed: a reload's options apply at once, not only once a
         * lookup works again. A new target is left to its own lookups. Under this.
         */
        synchronized void restyle(final DnsServerSpec before) {
            if (stopped || !failing) {
                return;
            }
            if (!spec.target().equals(before.target())) {
                // another host or port, not answering yet: the old target's servers are not this spec's, and
                // clients went on to them (black-box testing, session 34); they leave until the new name answers
                LOG.warn("dns {} (group {}): now {}, which does not answer yet; the servers of {} leave the group",
                    spec, group.name(), spec.target(), before.target());
                lastAnswer = List.of();
                apply(lastAnswer);
                return;
            }
            final List<ServerConfig> desired = new ArrayList<>();
            for (final ServerConfig had : applied.values()) {
                // an SRV record's weight and priority stay the record's
                desired.add(spec.srv()
                    ? spec.server(had.address(), had.weight(), had.backup() && !before.template().backup())
                    : spec.server(had.address(), -1, false));
            }
            apply(desired);
        }

        /** The servers a predecessor had resolved, held as if they were this watch's last answer. */
        synchronized void seed(final List<ServerConfig> had) {
            if (had.isEmpty()) {
                return;
            }
            final List<ServerConfig> desired = new ArrayList<>();
            for (final ServerConfig s : had) {
                // an SRV record's weight and priority are the record's; an address record's servers take the template's
                desired.add(spec.srv() ? spec.server(s.address(), s.weight(), s.backup() && !spec.template().backup())
                    : spec.server(s.address(), -1, false));
            }
            lastAnswer = List.copyOf(desired);
            apply(lastAnswer);
            LOG.info("dns {} (group {}): starting from the {} {} the niolb taken over had resolved; looking up now",
                spec, group.name(), desired.size(), desired.size() == 1 ? "server" : "servers");
        }

        /** The last answer applied again, judged against the listeners as they are now. */
        synchronized void refilter() {
            if (!stopped && lastAnswer != null) {
                apply(lastAnswer);
            }
        }

        /** What {@link #apply} replaced of operators' weights since the last call, as a reload reports it. */
        synchronized List<String> takeReplaced() {
            final List<String> taken = replaced == null ? List.of() : List.copyOf(replaced);
            replaced = null;
            return taken;
        }

        synchronized void collectReplaced() {
            replaced = new ArrayList<>();
        }

        synchronized List<ServerConfig> current() {
            return List.copyOf(applied.values());
        }

        /** One lookup and what follows from it. Blocks for the lookup: a virtual thread. */
        void refresh() {
            final DnsConfig c = config;
            NameResolver.Answer answer = null;
            IOException failure = null;
            try {
                answer = resolver().resolve(spec);
            } catch (final IOException | RuntimeException e) {
                failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
            }
            final Lookups counts = lookups;
            counts.done.incrementAndGet();
            if (answer == null) {
                counts.failed.incrementAndGet();
            }
            counts.failing = answer == null;
            synchronized (this) {
                if (stopped) {
                    return;
                }
                long delayMs;
                if (answer == null) {
                    if (!failing) {
                        failing = true;
                        // those still in the group: an operator may have removed some (black-box testing, session
                        // 27: "keeping its 2 servers" of a group that had 1 of them left)
                        final TargetGroup.Snapshot members = group.snapshot();
                        final long kept = applied.keySet().stream().filter(n -> members.server(n) != null).count();
                        LOG.warn("dns {} (group {}): {}; {} until a lookup works", spec, group.name(),
                            failure.getMessage(), kept == 0 ? "no server of it in the group, asking again"
                                : "keeping its " + kept + (kept == 1 ? " server" : " servers"));
                    }
                    delayMs = c.minTtl().toMillis();
                } else {
                    if (failing) {
                        failing = false;
                        LOG.info("dns {} (group {}): lookups work again", spec, group.name());
                    }
                    lastAnswer = withKept(answer);
                    apply(lastAnswer);
                    delayMs = answer.failedFamilies() != 0 ? c.minTtl().toMillis() // asked for again soon
                        : Math.clamp(TimeUnit.SECONDS.toMillis(answer.ttlSeconds()), c.minTtl().toMillis(),
                            c.maxTtl().toMillis());
                }
                try {
                    next = scheduler.schedule(() -> Thread.ofVirtual().name("niolb-dns-" + spec.name()).start(this::refresh),
                        delayMs, TimeUnit.MILLISECONDS);
                } catch (final java.util.concurrent.RejectedExecutionException closed) {
                    stopped = true;
                }
            }
        }

        /**
         * The answer's servers and, of a family whose query failed while the other's answered (a server that
         * refuses AAAA, an A query lost once), the servers it had: one failed query does not drop them. Under this.
         */
        private List<ServerConfig> withKept(final NameResolver.Answer answer) {
            if (answer.failedFamilies() == 0) {
                return answer.servers();
            }
            final Map<String, ServerConfig> merged = new LinkedHashMap<>();
            for (final ServerConfig s : answer.servers()) {
                merged.put(s.name(), s);
            }
            for (final ServerConfig s : applied.values()) {
                final int family = s.address().getAddress() instanceof java.net.Inet4Address
                    ? NameResolver.Answer.IPV4 : NameResolver.Answer.IPV6;
                if ((answer.failedFamilies() & family) != 0) {
                    merged.putIfAbsent(s.name(), s);
                }
            }
            return List.copyOf(merged.values());
        }

        /** Makes the group hold {@code desired} in place of what this watch put there last. Under this. */
        private void apply(final List<ServerConfig> desired) {
            final Map<String, ServerConfig> want = new LinkedHashMap<>();
            final List<dev.niolb.config.ListenerConfig> own = listeners;
            for (final ServerConfig s : desired) {
                final dev.niolb.config.ListenerConfig loop = dev.niolb.config.Config.listenerAt(own, group.name(),
                    s.address(), dev.niolb.transport.LocalAddresses.HOST::isLocal);
                if (loop == null) {
                    want.put(s.name(), s);
                    selfWarned.remove(s.name());
                } else if (selfWarned.add(s.name())) { // once while the answer holds it
                    LOG.warn("dns {} (group {}): {} left out: {}", spec, group.name(),
                        dev.niolb.config.Endpoint.hostPort(s.address()),
                        dev.niolb.config.Config.relaysToItself(group.name(), s.name(), loop));
                }
            }
            final List<String> remove = new ArrayList<>();
            final List<ServerConfig> add = new ArrayList<>();
            final List<ServerConfig> update = new ArrayList<>();
            final List<String> updated = new ArrayList<>();
            for (final ServerConfig had : applied.values()) {
                final ServerConfig now = want.get(had.name());
                if ((now == null || !now.address().equals(had.address())) && present(had) != null) {
                    remove.add(had.name()); // vanished, or its name now stands for another address
                }
            }
            for (final ServerConfig s : want.values()) {
                final ServerConfig had = applied.get(s.name());
                final Server member = group.snapshot().server(s.name());
                if (member != null && member.sameAs(s) && !remove.contains(s.name())) {
                    // ours already (or added by hand): only a change DNS made is applied over an operator's
                    final ServerConfig before = had == null ? member.config() : had;
                    if (!before.equals(s)) {
                        update.add(s);
                        final int operators = member.runTimeWeightReplacedBy(s);
                        updated.add(s.name() + " " + changes(before, s)
                            + (operators >= 0 ? " (replacing the weight " + operators + " set at run time)" : ""));
                        if (operators >= 0 && replaced != null) {
                            replaced.add(ReloadResult.weightReplaced(group.name(), s.name(), operators, s.weight()));
                        }
                    }
                } else if (member == null && s.equals(had)) {
                    continue; // removed by the operator (DELETE): stays out until DNS changes or drops it
                } else if (member == null || remove.contains(s.name())) {
                    add.add(s);
                }
            }
            if (remove.isEmpty() && add.isEmpty() && update.isEmpty()) {
                applied = want;
                return;
            }
            try {
                group.change(remove, add);
                for (final ServerConfig u : update) {
                    group.update(u);
                }
                applied = want;
            } catch (final IllegalArgumentException e) {
                // a server of that name added by hand meanwhile: retried at the next refresh
                LOG.warn("dns {} (group {}): cannot apply the answer: {}", spec, group.name(), e.getMessage());
                return;
            }
            final List<String> parts = new ArrayList<>();
            add.forEach(s -> parts.add("+" + s.name()));
            remove.forEach(n -> parts.add("-" + n + " (draining)"));
            parts.addAll(updated);
            LOG.info("dns {} (group {}): {}", spec, group.name(), String.join(", ", parts));
            if (!add.isEmpty() || !remove.isEmpty()) {
                onMembersChanged.run();
            }
        }

        /**
         * What DNS (or a reload of its spec) changed in a server's config: {@code weight 2 (was 1), check-port 8081}.
         * An operator's weight, kept over the config's, is not among them: the running weight is not this.
         */
        private static String changes(final ServerConfig before, final ServerConfig after) {
            final List<String> what = new ArrayList<>();
            if (before.weight() != after.weight()) {
                what.add("weight " + after.weight() + " (was " + before.weight() + ")");
            }
            if (before.backup() != after.backup()) {
                what.add(after.backup() ? "backup" : "primary (was backup)");
            }
            if (before.checkPort() != after.checkPort()) {
                what.add(after.checkPort() == 0 ? "check-port none" : "check-port " + after.checkPort());
            }
            if (before.maxconn() != after.maxconn()) {
                what.add(after.maxconn() == 0 ? "maxconn none" : "maxconn " + after.maxconn());
            }
            if (!before.sendProxy().equals(after.sendProxy())) {
                what.add("send-proxy " + after.sendProxy());
            }
            return what.isEmpty() ? "changed" : String.join(", ", what);
        }

        /** The group's member with this config's name and address, or null. */
        private Server present(final ServerConfig s) {
            final Server m = group.snapshot().server(s.name());
            return m != null && m.sameAs(s) ? m : null;
        }

        synchronized void stop() {
            stopped = true;
            if (next != null) {
                next.cancel(false);
            }
        }

        /** The servers this watch added leave the group (the spec left the config). */
        synchronized void removeServers() {
            final List<String> remove = new ArrayList<>();
            for (final ServerConfig s : applied.values()) {
                if (present(s) != null) {
                    remove.add(s.name());
                }
            }
            if (!remove.isEmpty()) {
                group.change(remove, List.of());
            }
            applied = new LinkedHashMap<>();
        }
    }
}
