package dev.niolb;

import dev.niolb.config.Config;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.reload.ConfigDiff;
import dev.niolb.reload.RecordDiff;
import dev.niolb.reload.ReloadResult;
import dev.niolb.backend.Server;
import dev.niolb.backend.TargetGroup;
import dev.niolb.engine.ListenerBinder;
import dev.niolb.engine.RunningState;
import dev.niolb.listener.Listener;
import dev.niolb.loop.EventLoop;
import dev.niolb.transport.Transport;
import dev.niolb.transport.Transports;
import dev.niolb.udp.UdpListener;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs on the reload's thread, under the load balancer's stop lock.
 *
 * <p>One reload of a running {@link LoadBalancer}: the {@link ConfigDiff} from its config to the next, applied.
 *
 * <p>Order, so that a failure changes nothing and a client never meets a half-made change: (1) new groups are
 * built (not yet visible) and every new listener is bound and registered with the loops; if any of that fails,
 * what was made is closed and the reload fails; (2) groups are added and changed (servers removed, changed,
 * added; algorithms and health settings), (3) listeners change in place, (4) removed listeners stop accepting
 * (their sessions go on), (5) removed groups drain, (6) the next {@link RunningState} is made: the load balancer
 * publishes it with one write once {@link #apply} returns. What the diff does not name is not touched, so
 * runtime changes an operator made stay.
 *
 * <p>It talks to loops through their command queues and to groups through their writer monitor.
 */
final class Reconfiguration {
    private final LoadBalancer lb;
    private final RunningState from;
    private final Config next;
    private final ConfigDiff diff;
    private final Set<String> datagramOnlyBefore;
    private final Set<String> datagramOnlyAfter;
    private final List<String> notApplied = new ArrayList<>();
    /** Operators' run-time settings the file's new values replaced, for {@link ReloadResult#replaced}. */
    private final List<String> replaced = new ArrayList<>();
    /** The maxconn the file asks for and a reload cannot apply; null when the file did not change it. */
    private Integer maxconnNotApplied;
    /** The listener fields behind the listener lines of {@link #notApplied}, left out of the applied diff. */
    private final Map<ConfigDiff.ListenerChange, List<RecordDiff.Field>> notAppliedFields = new LinkedHashMap<>();
    private final Map<String, TargetGroup> newGroups = new LinkedHashMap<>();
    private final List<Listener> added = new ArrayList<>();
    // retired UDP listeners that are added back (among added)
    private final List<Listener> takenBack = new ArrayList<>();
    // the running listeners the diff removes, found by their names before any rename
    private final List<Listener> removed = new ArrayList<>();
    // the running listener of each change of the diff, found by its name before any rename
    private final Map<ConfigDiff.ListenerChange, Listener> changing = new IdentityHashMap<>();
    // changed listeners whose running config differs from the file's in what only a restart changes
    private final Map<String, ListenerConfig> asRunning = new LinkedHashMap<>();
    private RunningState to;

    /** A reload of {@code lb}, which runs {@code from}, to {@code next}. */
    Reconfiguration(final LoadBalancer lb, final RunningState from, final Config next) {
        this.lb = lb;
        this.from = from;
        this.next = next;
        this.diff = ConfigDiff.between(from.config(), next);
        this.datagramOnlyBefore = LoadBalancer.datagramOnlyGroups(from.config().listeners());
        this.datagramOnlyAfter = LoadBalancer.datagramOnlyGroups(next.listeners());
        for (final ListenerConfig r : diff.listenersRemoved()) {
            removed.add(running(r.name()));
        }
        // found by their names now, before any rename: two listeners that swap names would otherwise each find the
        // other once the first is renamed (a reload left half applied, and every later one failing)
        for (final ConfigDiff.ListenerChange c : diff.listenersChanged()) {
            changing.put(c, running(c.before().name()));
        }
    }

    /** The state {@link #apply} made, for the load balancer to publish; null until it has returned. */
    RunningState after() {
        return to;
    }

    ReloadResult apply() throws IOException {
        final Config config = from.config();
        refuseWhatTheTransportCannotDo(); // before anything changes
        if (!next.dns().equals(config.dns())) {
            lb.dns.configure(next.dns()); // lookups from now on, the first ones of new specs included
        }
        // no listener may take a client before the servers it would loop to are out (black-box testing, session
        // 30: a listener added at a DNS or admin-added server's address looped one client's connection to maxconn)
        final List<ListenerConfig> endpoints = endpointsAfter();
        LoadBalancer.refuseServersAt(next, endpoints);
        refuseRunningServersAt(endpoints);
        lb.dns.listeners(endpoints);
        lb.dns.refilter(); // a DNS server at a next listener's address leaves now, one freed comes back
        try {
            startListeners(); // may fail: then nothing has changed
        } catch (final IOException | RuntimeException e) {
            lb.dns.listeners(lb.ownEndpointsNow());
            lb.dns.refilter();
            throw e;
        }
        try {
            return applyAfterListeners(config);
        } catch (final RuntimeException e) {
            // a defect (what a check cannot refuse and applying cannot do): the listeners this reload bound must
            // not go on listening unseen, in no running state, holding their ports against the next reload
            // (black-box testing, session 24: a duration whose nanoseconds overflowed in a group's change)
            for (final Listener l : added) {
                if (!takenBack.contains(l)) {
                    l.retire(LoadBalancer.LOOP_STOP_TIMEOUT_MS);
                }
            }
            throw e;
        }
    }

    private ReloadResult applyAfterListeners(final Config config) {
        for (final TargetGroupConfig g : diff.groupsAdded()) {
            lb.health.addGroup(newGroups.get(g.name()), datagramOnlyAfter.contains(g.name()));
        }
        final Map<String, TargetGroup> groups = new LinkedHashMap<>(from.groups());
        groups.putAll(newGroups);
        for (final ConfigDiff.GroupChange change : diff.groupsChanged()) {
            applyGroup(groups.get(change.name()), change);
        }
        for (final Map.Entry<String, TargetGroup> e : groups.entrySet()) {
            final boolean before = datagramOnlyBefore.contains(e.getKey());
            final boolean after = datagramOnlyAfter.contains(e.getKey());
            if (before != after && !newGroups.containsKey(e.getKey()) && !healthChanged(e.getKey())) {
                lb.health.reconfigure(e.getValue(), after); // its passive re-probe changes transport
            }
        }
        for (final ConfigDiff.ListenerChange change : diff.listenersChanged()) {
            changeListener(change, groups);
        }
        final List<Listener> listeners = nextListeners();
        for (final Listener l : removed) {
            l.retire(LoadBalancer.LOOP_STOP_TIMEOUT_MS); // their sessions finish and count as active until then
        }
        final List<TargetGroup> removedGroups = new ArrayList<>();
        for (final TargetGroupConfig removed : diff.groupsRemoved()) {
            final TargetGroup group = groups.remove(removed.name());
            removedGroups.add(group);
            lb.dns.unwatchAll(group);
            group.retire(); // its servers drain like any removed server
            lb.health.removeGroup(group);
        }
        final Map<String, TargetGroup> ordered = new LinkedHashMap<>(); // in the new config's order
        for (final TargetGroupConfig g : next.groups()) {
            ordered.put(g.name(), groups.get(g.name()));
        }
        // top-level settings said once, as not applied: not also as changed
        final Set<String> restartOnly = new HashSet<>();
        // auto against the transport it chose is no change, nor epoll against an auto that chose epoll: said at every
        // reload, it promised a restart that would change nothing (black-box testing, session 31)
        if (next.transport() != config.transport() && runsAs(next.transport())) {
            restartOnly.add("transport"); // what runs stays written as it was: neither a change nor a note
        } else if (next.transport() != config.transport()) {
            needsRestart(restartOnly, "transport",
                "transport " + next.transport() + " needs a restart (running " + config.transport()
                    + (config.transport() == dev.niolb.config.TransportChoice.AUTO ? ": " + lb.transport() : "") + ")");
        }
        if (!next.busyPoll().equals(config.busyPoll())) {
            for (final EventLoop loop : lb.loops) {
                loop.busyPoll(next.busyPoll().window());
            }
        }
        if (next.threads() != lb.loops.length) {
            needsRestart(restartOnly, "threads",
                "threads " + next.threads() + " needs a restart (running " + lb.loops.length + ")");
        }
        if (next.maxconn() != config.maxconn() && config.maxconn() == 0 && next.maxconn() == lb.maxconn.max()) {
            restartOnly.add("maxconn"); // the cap that runs, written down: neither a change nor a note
        } else if (next.maxconn() != config.maxconn()) {
            // every listener and open connection counts under the running cap: a new one needs a restart. The
            // configured values compared: 0 runs as the cap the open-file limit gives (LoadBalancer.start), which
            // this reload may resize: the line is written once it has (maxconnNotApplied)
            restartOnly.add("maxconn");
            maxconnNotApplied = next.maxconn();
        }
        if (!next.admin().equals(config.admin())) {
            needsRestart(restartOnly, "admin", "admin " + describeChange(next.admin(), config.admin())
                + " needs a restart");
        }
        if (next.accessLog() != config.accessLog()) {
            needsRestart(restartOnly, "access-log",
                "access-log " + next.accessLog() + " needs a restart (running " + config.accessLog() + ")");
        }
        if (!next.logs().equals(config.logs())) {
            needsRestart(restartOnly, "logs", "log outputs (access-log-file, syslog) need a restart");
        }
        // what runs now: the file's values, except what only a restart changes (reported above)
        to = from.next(next.withListeners(runningListeners()).withRestartOnlyOf(config), ordered, listeners, removed,
            removedGroups);
        return new ReloadResult(diff.withoutNotApplied(notAppliedFields, restartOnly), notApplied, replaced);
    }

    /** Whether {@code choice} would run what runs: the transport itself, or auto where auto takes it. */
    private boolean runsAs(final dev.niolb.config.TransportChoice choice) {
        final dev.niolb.config.TransportChoice auto = dev.niolb.config.TransportChoice.AUTO;
        final dev.niolb.config.TransportChoice running = from.config().transport();
        return (choice == auto ? Transports.autoChoice() : choice) == (running == auto ? Transports.autoChoice() : running);
    }

    /**
     * A maxconn the file changed, which only a restart applies: its line, with the cap that runs after the reload
     * (the open-file limit's may have moved with the listeners). Null when maxconn was not changed.
     */
    public String maxconnNotApplied() {
        return maxconnNotApplied == null ? null : "maxconn " + maxconnNotApplied + " needs a restart (running "
            + lb.maxconn.max() + (from.config().maxconn() == 0 ? ", from the open-file limit" : "") + ")";
    }

    /** A top-level setting only a restart changes: said once, as not applied, and left out of the applied diff. */
    private void needsRestart(final Set<String> restartOnly, final String key, final String line) {
        notApplied.add(line);
        restartOnly.add(key);
    }

    /**
     * Refuses a reload that turns {@code defer-accept} on for a kept TCP listener on a transport that cannot defer
     * accepts. Reporting it as "needs a restart" would promise a restart that then refuses to start; an added
     * listener with it is refused the same way when it is bound.
     */
    private void refuseWhatTheTransportCannotDo() throws IOException {
        refuseV1ServersAddedForUdp();
        for (final ConfigDiff.ListenerChange c : diff.listenersChanged()) {
            final ListenerConfig after = c.after();
            if (after.protocol() == Protocol.TCP && after.tcp().deferAccept() && !c.before().tcp().deferAccept()) {
                final Transport transport = Transports.of(from.config().transport());
                if (!transport.defersAccept()) {
                    throw new IOException("listener " + after.name() + ": " + transport.deferAcceptRefusal());
                }
            }
        }
    }

    /**
     * A server added through the admin API with a v1 PROXY header stays over a reload: a reload that would have its
     * group serve a UDP listener is refused, as the file and the admin API refuse such a server (black-box
     * testing, session 28: the reload was taken, and the server got UDP datagrams with no header).
     */
    private void refuseV1ServersAddedForUdp() throws IOException {
        for (final TargetGroupConfig g : next.groups()) {
            final TargetGroup running = from.groups().get(g.name());
            final TargetGroupConfig before = from.config().groups().stream()
                .filter(c -> c.name().equals(g.name())).findFirst().orElse(null);
            if (running == null || before == null) {
                continue;
            }
            final Set<String> inFile = new HashSet<>(); // a set: 38,000 servers asked of a list took seconds a reload
            for (final dev.niolb.config.ServerConfig c : before.servers()) {
                inFile.add(c.name());
            }
            for (final dev.niolb.backend.Server s : running.snapshot().servers()) {
                // neither the file's (checked as the file is read) nor one a name in it resolved to
                final boolean fromFile = inFile.contains(s.name())
                    || before.dnsServers().stream().anyMatch(d -> d.owns(s.name()));
                if (!fromFile) {
                    try {
                        dev.niolb.config.ProxyRules.checkServer(g.name(), s.config(), next.listeners());
                    } catch (final IllegalArgumentException e) {
                        throw new IOException(e.getMessage() + " (it was added through the admin API: remove it first)");
                    }
                }
            }
        }
    }

    /** Builds new groups (unpublished) and binds and registers every new listener; on failure closes them all. */
    private void startListeners() throws IOException {
        for (final TargetGroupConfig g : diff.groupsAdded()) {
            final TargetGroup group = new TargetGroup(g, lb.loops.length);
            group.onJoining(lb.operatorStates::joining);
            newGroups.put(g.name(), group);
        }
        // a new group's servers by DNS name are resolved before a new listener can send it a session
        // a stop no longer waits for them (black-box testing, session 28: a reload waiting on a silent resolver held a
        // SIGTERM for the lookup timeout, 24 s, with no word); they go on until the engine closes
        lb.dns.watch(LoadBalancer.dnsSpecs(diff.groupsAdded(), newGroups), () -> lb.stopping() || lb.withdrawn());
        try {
            for (final ListenerConfig l : diff.listenersAdded()) {
                final TargetGroup group = newGroups.containsKey(l.group()) ? newGroups.get(l.group())
                    : from.groups().get(l.group());
                final UdpListener back = retiredUdpAt(l);
                if (back != null && back.takeBack(l, group, LoadBalancer.LOOP_STOP_TIMEOUT_MS)) {
                    added.add(back);
                    takenBack.add(back); // registered with its loops already
                    continue;
                }
                // a TCP one under the running process cap
                try {
                    final Listener bound = ListenerBinder.bind(l, group, lb.loops, lb.maxconn, lb.accessLog(),
                        Transports.of(from.config().transport()), predecessorNamed(l));
                    if (bound instanceof UdpListener u) {
                        u.engineAddresses(lb::loopsBack);
                    }
                    added.add(bound);
                } catch (final java.net.BindException e) {
                    throw heldHere(l, e);
                }
            }
            for (final Listener l : added) {
                if (!takenBack.contains(l)) {
                    l.registerOnLoops(LoadBalancer.LOOP_STOP_TIMEOUT_MS);
                }
            }
        } catch (final IOException | RuntimeException e) {
            for (final Listener l : added) {
                l.retire(LoadBalancer.LOOP_STOP_TIMEOUT_MS); // registered or not, each loop closes its socket
            }
            for (final TargetGroup g : newGroups.values()) {
                lb.dns.unwatchAll(g);
            }
            lb.dns.configure(from.config().dns());
            lb.dns.listeners(lb.ownEndpointsNow());
            lb.dns.refilter();
            throw e;
        }
    }

    /**
     * Where no server may be once this reload is applied: the next config's listeners, the addresses of those of
     * them that run already as they are bound (a port 0 is the port it got: a server there was taken, and one
     * client looped to maxconn), and the admin API's and the metrics listener's addresses as they run, which only a
     * restart moves (checked against the file's, a reload that moved the admin API in the file added a server at
     * the running one, and its clients reached it; black-box testing, session 31).
     */
    private List<ListenerConfig> endpointsAfter() {
        final Set<String> names = new HashSet<>();
        for (final ListenerConfig l : next.listeners()) {
            names.add(l.name());
        }
        final List<ListenerConfig> all = new ArrayList<>(next.listeners());
        for (final ListenerConfig bound : lb.boundListeners()) {
            if (names.contains(bound.name())) {
                all.add(bound);
            }
        }
        return Config.ownEndpoints(all, lb.adminAddress(), lb.metricsAddress());
    }

    /**
     * A server the running groups have that the file does not (added through the admin API), at one of
     * {@code endpoints} (a listener added there): refused, as the admin API would refuse the server now. Servers by
     * DNS name are left to {@link dev.niolb.dns.DnsDiscovery#refilter}, which takes them out.
     */
    private void refuseRunningServersAt(final List<ListenerConfig> endpoints) throws IOException {
        for (final TargetGroup group : from.groups().values()) {
            final dev.niolb.config.TargetGroupConfig inFile = from.config().groups().stream()
                .filter(g -> g.name().equals(group.name())).findFirst().orElse(null);
            final Map<String, java.net.InetSocketAddress> fileServers = new HashMap<>(); // not a list scan a server
            if (inFile != null) {
                for (final dev.niolb.config.ServerConfig s : inFile.servers()) {
                    fileServers.put(s.name(), s.address());
                }
            }
            for (final dev.niolb.backend.Server server : group.snapshot().servers()) {
                if (dev.niolb.config.DnsServerSpec.isFound(server.name())
                    || server.address().equals(fileServers.get(server.name()))) {
                    continue; // DNS's, or the file's: judged with the next file's servers
                }
                final ListenerConfig own = Config.listenerAt(endpoints, group.name(), server.address(),
                    dev.niolb.transport.LocalAddresses.HOST::isLocal);
                if (own != null) {
                    throw new IOException(Config.relaysToItself(group.name(), server.name(), own)
                        + " (added at run time: remove it first)");
                }
            }
        }
    }

    /**
     * The listener {@code config} replaces under the same name and protocol, or null: one this reload removes (its
     * address changed), or one an earlier reload removed whose sessions or flows have not all ended. The new
     * listener counts on in its counters: otherwise they began at 0 and hid the old one's from /metrics (which
     * shows one series per name) while its sessions went on, so that their endings and bytes were never seen
     * there (black-box testing, session 25 for TCP, session 31 for UDP).
     */
    private Listener predecessorNamed(final ListenerConfig config) {
        for (final ListenerConfig removed : diff.listenersRemoved()) {
            final Listener live = from.listener(config.name());
            if (removed.name().equals(config.name()) && removed.protocol() == config.protocol() && live != null
                && live.protocol() == config.protocol()) {
                return live;
            }
        }
        for (final Listener l : from.retired().reversed()) { // the latest first
            if (l.name().equals(config.name()) && l.protocol() == config.protocol()) {
                return l;
            }
        }
        return null;
    }

    /**
     * {@code e}, or, when one of this niolb's own listeners holds an address that overlaps {@code config}'s
     * (127.0.0.1:P, and now 0.0.0.0:P), one that says so: a reload binds the new address before it closes the
     * old, so that no client is refused meanwhile, and the JDK's "address already in use" blamed some other
     * process while {@code niolb check --diff} had said the move would apply (black-box testing, session 27).
     */
    private java.net.BindException heldHere(final ListenerConfig config, final java.net.BindException e) {
        for (final Listener running : from.listeners()) {
            final InetSocketAddress bind = running.config().bind();
            if (running.protocol() == config.protocol() && Config.clash(config.bind(), bind)) {
                final java.net.BindException held = new java.net.BindException(e.getMessage() + ": this niolb's "
                    + "listener " + running.name() + " holds " + dev.niolb.config.Endpoint.hostPort(bind)
                    + " until the reload is done (a reload binds before it closes, so that no client is refused): "
                    + "move it in two reloads, through another port, or restart");
                held.initCause(e);
                return held;
            }
        }
        return e;
    }

    /**
     * A UDP listener an earlier reload removed that still holds {@code config}'s address for flows of its own, or
     * null. Its sockets would make the address "in use" for a new one until its last flow ended; it is taken back
     * instead. (A retired TCP listener closed its listening sockets when it was removed.)
     */
    private UdpListener retiredUdpAt(final ListenerConfig config) {
        if (config.protocol() != Protocol.UDP || config.bind().getPort() == 0) {
            return null;
        }
        for (final Listener l : from.retired()) {
            if (l instanceof UdpListener u && u.config().bind().equals(config.bind()) && !takenBack.contains(u)) {
                return u;
            }
        }
        return null;
    }

    private boolean healthChanged(final String group) {
        for (final ConfigDiff.GroupChange c : diff.groupsChanged()) {
            if (c.name().equals(group)) {
                return c.changed("health");
            }
        }
        return false;
    }

    /**
     * Applies a group's changes. Only what the diff names: a server an operator removed at run time and the file
     * did not change stays removed, one an operator added stays, a weight an operator set stays unless the
     * file changed that server's weight.
     */
    private void applyGroup(final TargetGroup group, final ConfigDiff.GroupChange change) {
        final TargetGroupConfig after = change.after();
        if (change.changed("health") || datagramOnlyBefore.contains(after.name()) != datagramOnlyAfter.contains(after.name())) {
            group.health(after.health());
            lb.health.reconfigure(group, datagramOnlyAfter.contains(after.name()));
        }
        final List<String> remove = new ArrayList<>();
        final List<ServerConfig> add = new ArrayList<>();
        final List<ServerConfig> update = new ArrayList<>();
        for (final ServerConfig removed : change.serversRemoved()) {
            final Server s = group.snapshot().server(removed.name());
            if (s != null && s.sameAs(removed)) {
                remove.add(removed.name());
                // under its name at another address the diff has it removed and added: moved, to the operator
                modeGoes(after.name(), s, change.serversAdded().stream().anyMatch(a -> a.name().equals(removed.name()))
                    ? "moved" : "removed");
            }
        }
        for (final ConfigDiff.ServerChange changed : change.serversChanged()) {
            final Server s = group.snapshot().server(changed.after().name());
            if (s != null && s.sameAs(changed.after())) {
                update.add(changed.after());
            } else {
                // the file changed a server an operator removed (or replaced) at run time: the file's wins, as
                // for a server it adds, so that the reload does what its summary line says
                if (s != null) {
                    remove.add(changed.after().name());
                    modeGoes(after.name(), s, "moved");
                }
                add.add(changed.after());
                replaced.add("group " + after.name() + ": " + changed.after().name() + (s == null
                    ? " removed at run time, added again" : " at " + dev.niolb.config.Endpoint.hostPort(s.address())
                    + " (set at run time) now at " + dev.niolb.config.Endpoint.hostPort(changed.after().address())));
            }
        }
        for (final ServerConfig added : change.serversAdded()) {
            final Server s = group.snapshot().server(added.name());
            if (s != null && s.sameAs(added)) {
                update.add(added); // an operator added it already: the file's settings apply
                if (s.weight() != added.weight()) {
                    replaced.add("group " + after.name() + ": " + added.name() + " (added at run time) weight "
                        + s.weight() + "→" + added.weight());
                }
            } else {
                if (s != null && !remove.contains(added.name())) {
                    remove.add(added.name()); // an operator's server of that name elsewhere: the name is the file's
                    replaced.add("group " + after.name() + ": " + added.name() + " at "
                        + dev.niolb.config.Endpoint.hostPort(s.address()) + " (added at run time) now at "
                        + dev.niolb.config.Endpoint.hostPort(added.address()) + modeWith(s));
                }
                add.add(added);
            }
        }
        group.reconcile(remove, add); // one snapshot: never empty in between; an admin call meanwhile is no failure
        for (final ServerConfig u : update) {
            final Server s = group.snapshot().server(u.name());
            final int operators = s == null ? -1 : s.runTimeWeightReplacedBy(u);
            group.update(u);
            if (operators >= 0) {
                replaced.add(ReloadResult.weightReplaced(after.name(), u.name(), operators, u.weight()));
            }
        }
        if (!change.changed("health") && checkedDifferently(change)) {
            // a check's target port and PROXY header are taken when it is made: make them again
            lb.health.reconfigure(group, datagramOnlyAfter.contains(after.name()));
        }
        if (change.changed("balance") || change.changed("hash-balance-factor")) {
            group.balance(after.balance(), after.hashBalanceFactor());
        }
        for (final DnsServerSpec removed : change.dnsRemoved()) {
            lb.dns.unwatch(group, removed.name(), true);
        }
        for (final DnsServerSpec changed : change.dnsChanged()) {
            replaced.addAll(lb.dns.rewatch(group, changed));
        }
        lb.dns.watch(change.dnsAdded().stream().map(d -> Map.entry(group, d)).toList(),
            () -> lb.stopping() || lb.withdrawn());
    }

    /** Whether a server's check port or PROXY header changed: what its active check is made with. */
    private static boolean checkedDifferently(final ConfigDiff.GroupChange change) {
        for (final ConfigDiff.ServerChange c : change.serversChanged()) {
            for (final RecordDiff.Field f : c.fields()) {
                if (f.path().equals("check-port") || f.path().startsWith("send-proxy")) {
                    return true;
                }
            }
        }
        return false;
    }

    private void changeListener(final ConfigDiff.ListenerChange change, final Map<String, TargetGroup> groups) {
        final ListenerConfig before = change.before();
        final ListenerConfig after = change.after();
        final TargetGroup group = groups.get(after.group());
        changing.get(change).reconfigure(after, group);
        final List<RecordDiff.Field> restartFields = new ArrayList<>();
        for (final RecordDiff.Field f : change.fields()) {
            if (ConfigDiff.restartOnly(after, f)) {
                notApplied.add("listener " + after.name() + ": " + f + " needs a restart");
                restartFields.add(f);
            }
        }
        if (!restartFields.isEmpty()) {
            notAppliedFields.put(change, restartFields); // said once, as not applied: not also as changed
            // what runs keeps the socket's values, so the next reload reports them again
            final ListenerConfig running = after.protocol() == Protocol.TCP
                ? after.withTcp(after.tcp().withBacklog(before.tcp().backlog())
                    .withDeferAccept(before.tcp().deferAccept()))
                : after.withAcceptProxy(before.acceptProxy());
            asRunning.put(after.name(), running);
        }
    }

    /** The next config's listeners as they run: the file's, except what only a restart changes (above). */
    private List<ListenerConfig> runningListeners() {
        final List<ListenerConfig> listeners = new ArrayList<>();
        for (final ListenerConfig l : next.listeners()) {
            listeners.add(asRunning.getOrDefault(l.name(), l));
        }
        return listeners;
    }

    /**
     * The listeners of the next config, in its order: the kept ones (changed in place or not, renamed ones under
     * their new names) and the new ones.
     */
    private List<Listener> nextListeners() {
        final Map<String, Listener> byName = new LinkedHashMap<>();
        for (final Listener l : from.listeners()) {
            if (!removed.contains(l)) {
                byName.put(l.name(), l);
            }
        }
        for (final Listener l : added) {
            byName.put(l.name(), l);
        }
        final List<Listener> listeners = new ArrayList<>();
        for (final ListenerConfig l : next.listeners()) {
            listeners.add(byName.get(l.name()));
        }
        return listeners;
    }

    private Listener running(final String name) {
        final Listener l = from.listener(name);
        if (l == null) {
            throw new IllegalStateException("no running listener " + name);
        }
        return l;
    }

    /**
     * What differs between two admin settings, each field as {@code key before→after}: the whole settings twice hid
     * what changed (allowed-hosts is not in them), and said so for a change of no field written there.
     */
    private static String describeChange(final dev.niolb.config.AdminConfig next,
                                         final dev.niolb.config.AdminConfig running) {
        final List<String> changed = new ArrayList<>();
        changeOf(changed, "address", hostPortOrNone(running.address()), hostPortOrNone(next.address()));
        changeOf(changed, "token-file", running.tokenFile() == null ? "none" : running.tokenFile().toString(),
            next.tokenFile() == null ? "none" : next.tokenFile().toString());
        changeOf(changed, "allowed-hosts", running.allowedHosts().toString(), next.allowedHosts().toString());
        changeOf(changed, "metrics-address", hostPortOrNone(running.metricsAddress()),
            hostPortOrNone(next.metricsAddress()));
        changeOf(changed, "must bind", String.valueOf(running.required()), String.valueOf(next.required()));
        return String.join(", ", changed);
    }

    private static void changeOf(final List<String> changed, final String key, final String before,
                                 final String after) {
        if (!before.equals(after)) {
            changed.add(key + " " + before + "→" + after);
        }
    }

    private static String hostPortOrNone(final InetSocketAddress address) {
        return address == null ? "none" : dev.niolb.config.Endpoint.hostPort(address);
    }

    /**
     * A server the file removes or moves that an operator put in DRAIN or MAINT: said as replaced, since the server
     * that takes its place (a rename, a new address) starts UP. It went silently, and a server put in maintenance
     * took traffic again under its new name (black-box testing, session 34).
     */
    private void modeGoes(final String group, final Server s, final String how) {
        if (!modeWith(s).isEmpty()) {
            replaced.add("group " + group + ": " + s.name() + " " + how + modeWith(s));
        }
    }

    /** {@code ", and with it its MAINT set at run time"} for a server an operator put in DRAIN or MAINT; else empty. */
    private static String modeWith(final Server s) {
        final dev.niolb.backend.ServerState mode = s.operatorMode();
        return mode == dev.niolb.backend.ServerState.DRAIN || mode == dev.niolb.backend.ServerState.MAINT
            ? ", and with it its " + mode + " set at run time" : "";
    }
}
