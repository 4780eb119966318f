package dev.niolb.reload;

import dev.niolb.config.Config;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What a reload from one config to the next changes, computed from the two configs alone (no running engine):
 * the engine applies exactly this, and {@code niolb check --diff} prints it.
 *
 * <p>Identity: a listener is the same listener when its name is the same and so are its protocol and bind
 * address (then its other settings change in place); a listener that keeps its protocol and a fixed bind
 * address under a new name is renamed in place; any other change of bind or protocol removes the old and adds
 * a new one. A group is the same group by name. A server is the same server when its name and address are the
 * same (then weight, backup and check port change in place); a new address is a new server.
 *
 * <p>Threading: an immutable value.
 *
 * @param settingsChanged the top-level settings that differ ({@code threads}, {@code grace}, anything a later
 *                        version adds to {@link Config}), listeners and groups aside
 */
public record ConfigDiff(List<ListenerConfig> listenersAdded, List<ListenerConfig> listenersRemoved,
                         List<ListenerChange> listenersChanged, List<TargetGroupConfig> groupsAdded,
                         List<TargetGroupConfig> groupsRemoved, List<GroupChange> groupsChanged,
                         List<RecordDiff.Field> settingsChanged) {
    /** Servers listed by name in a summary up to this many; past it, counted. */
    private static final int NAMES_LISTED = 4;

    public ConfigDiff {
        listenersAdded = List.copyOf(listenersAdded);
        listenersRemoved = List.copyOf(listenersRemoved);
        listenersChanged = List.copyOf(listenersChanged);
        groupsAdded = List.copyOf(groupsAdded);
        groupsRemoved = List.copyOf(groupsRemoved);
        groupsChanged = List.copyOf(groupsChanged);
        settingsChanged = List.copyOf(settingsChanged);
    }

    /** A listener changed in place (same protocol and bind address), perhaps renamed. */
    public record ListenerChange(ListenerConfig before, ListenerConfig after, List<RecordDiff.Field> fields) {
        public ListenerChange {
            fields = List.copyOf(fields);
        }
    }

    /** A server changed in place (same name and address). */
    public record ServerChange(ServerConfig before, ServerConfig after, List<RecordDiff.Field> fields) {
        public ServerChange {
            fields = List.copyOf(fields);
        }
    }

    /**
     * A group that is in both configs and differs.
     *
     * @param settings    the group's own settings that differ: {@code balance}, {@code hash-balance-factor},
     *                    {@code health.*} and anything a later version adds to {@link TargetGroupConfig}
     * @param dnsAdded    servers by DNS name new in the group (by spec name)
     * @param dnsRemoved  servers by DNS name gone from it
     * @param dnsChanged  specs of the same name whose name, port or options changed: the new one replaces the old
     */
    public record GroupChange(TargetGroupConfig before, TargetGroupConfig after, List<ServerConfig> serversAdded,
                              List<ServerConfig> serversRemoved, List<ServerChange> serversChanged,
                              List<RecordDiff.Field> settings, List<DnsServerSpec> dnsAdded,
                              List<DnsServerSpec> dnsRemoved, List<DnsServerSpec> dnsChanged) {
        public GroupChange {
            serversAdded = List.copyOf(serversAdded);
            serversRemoved = List.copyOf(serversRemoved);
            serversChanged = List.copyOf(serversChanged);
            settings = List.copyOf(settings);
            dnsAdded = List.copyOf(dnsAdded);
            dnsRemoved = List.copyOf(dnsRemoved);
            dnsChanged = List.copyOf(dnsChanged);
        }

        public String name() {
            return after.name();
        }

        /** Whether a setting under {@code prefix} ({@code balance}, {@code health}) changed. */
        public boolean changed(final String prefix) {
            for (final RecordDiff.Field f : settings) {
                if (f.path().equals(prefix) || f.path().startsWith(prefix + ".")) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The changes that turn {@code running} into {@code next}. */
    public static ConfigDiff between(final Config running, final Config next) {
        final List<ListenerConfig> added = new ArrayList<>();
        final List<ListenerConfig> removed = new ArrayList<>();
        final List<ListenerChange> changed = new ArrayList<>();
        final Map<String, ListenerConfig> before = byName(running.listeners(), ListenerConfig::name);
        final Map<String, ListenerConfig> after = byName(next.listeners(), ListenerConfig::name);
        for (final ListenerConfig b : before.values()) {
            final ListenerConfig a = after.get(b.name());
            if (a == null) {
                removed.add(b);
            } else if (!sameSocket(a, b)) {
                removed.add(b);
                added.add(a);
            } else if (!a.equals(b)) {
                final List<RecordDiff.Field> fields = RecordDiff.between(b, a, ownOptions(a, "name"));
                if (!fields.isEmpty()) { // else only the other protocol's options changed: nothing it uses
                    changed.add(new ListenerChange(b, a, fields));
                }
            }
        }
        for (final ListenerConfig a : after.values()) {
            if (!before.containsKey(a.name())) {
                added.add(a);
            }
        }
        pairRenames(added, removed, changed);

        final List<TargetGroupConfig> groupsAdded = new ArrayList<>();
        final List<TargetGroupConfig> groupsRemoved = new ArrayList<>();
        final List<GroupChange> groupsChanged = new ArrayList<>();
        final Map<String, TargetGroupConfig> gBefore = byName(running.groups(), TargetGroupConfig::name);
        final Map<String, TargetGroupConfig> gAfter = byName(next.groups(), TargetGroupConfig::name);
        for (final TargetGroupConfig b : gBefore.values()) {
            final TargetGroupConfig a = gAfter.get(b.name());
            if (a == null) {
                groupsRemoved.add(b);
            } else if (!a.equals(b)) {
                groupsChanged.add(groupChange(b, a));
            }
        }
        for (final TargetGroupConfig a : gAfter.values()) {
            if (!gBefore.containsKey(a.name())) {
                groupsAdded.add(a);
            }
        }
        return new ConfigDiff(added, removed, changed, groupsAdded, groupsRemoved, groupsChanged,
            RecordDiff.between(running, next, Set.of("listeners", "groups")));
    }

    private static GroupChange groupChange(final TargetGroupConfig before, final TargetGroupConfig after) {
        final List<ServerConfig> added = new ArrayList<>();
        final List<ServerConfig> removed = new ArrayList<>();
        final List<ServerChange> changed = new ArrayList<>();
        final Map<String, ServerConfig> sBefore = byName(before.servers(), ServerConfig::name);
        final Map<String, ServerConfig> sAfter = byName(after.servers(), ServerConfig::name);
        for (final ServerConfig b : sBefore.values()) {
            final ServerConfig a = sAfter.get(b.name());
            if (a == null || !a.address().equals(b.address())) {
                removed.add(b);
            } else if (!a.equals(b)) {
                changed.add(new ServerChange(b, a, RecordDiff.between(b, a, Set.of("name", "address"))));
            }
        }
        for (final ServerConfig a : sAfter.values()) {
            final ServerConfig b = sBefore.get(a.name());
            if (b == null || !a.address().equals(b.address())) {
                added.add(a);
            }
        }
        final List<DnsServerSpec> dnsAdded = new ArrayList<>();
        final List<DnsServerSpec> dnsRemoved = new ArrayList<>();
        final List<DnsServerSpec> dnsChanged = new ArrayList<>();
        final Map<String, DnsServerSpec> dBefore = byName(before.dnsServers(), DnsServerSpec::name);
        final Map<String, DnsServerSpec> dAfter = byName(after.dnsServers(), DnsServerSpec::name);
        for (final DnsServerSpec b : dBefore.values()) {
            final DnsServerSpec a = dAfter.get(b.name());
            if (a == null) {
                dnsRemoved.add(b);
            } else if (!a.equals(b)) {
                dnsChanged.add(a);
            }
        }
        for (final DnsServerSpec a : dAfter.values()) {
            if (!dBefore.containsKey(a.name())) {
                dnsAdded.add(a);
            }
        }
        return new GroupChange(before, after, added, removed, changed,
            RecordDiff.between(before, after, Set.of("name", "servers", "dnsServers")), dnsAdded, dnsRemoved,
            dnsChanged);
    }

    /** A listener that keeps a fixed address and protocol under a new name is the same listener, renamed. */
    private static void pairRenames(final List<ListenerConfig> added, final List<ListenerConfig> removed,
                                    final List<ListenerChange> changed) {
        for (final ListenerConfig r : List.copyOf(removed)) {
            if (r.bind().getPort() == 0) {
                continue; // every port-0 listener gets a port of its own: no two are the same socket
            }
            for (final ListenerConfig a : added) {
                if (sameSocket(a, r) && !a.name().equals(r.name())) {
                    removed.remove(r);
                    added.remove(a);
                    changed.add(new ListenerChange(r, a, RecordDiff.between(r, a, ownOptions(a))));
                    break;
                }
            }
        }
    }

    /**
     * What a diff of a listener leaves out besides {@code also}: the other protocol's options, which every listener
     * carries (from {@code defaults:}) and none uses, so that a summary never says a UDP listener's idle-timeout
     * changed.
     */
    private static Set<String> ownOptions(final ListenerConfig listener, final String... also) {
        final Set<String> skip = new HashSet<>(List.of(also));
        skip.add(listener.protocol() == Protocol.UDP ? "tcp" : "udp");
        return skip;
    }

    private static boolean sameSocket(final ListenerConfig a, final ListenerConfig b) {
        return a.protocol() == b.protocol() && a.bind().equals(b.bind());
    }

    private static <T> Map<String, T> byName(final List<T> items, final Function<T, String> name) {
        final Map<String, T> out = new LinkedHashMap<>();
        for (final T t : items) {
            out.put(name.apply(t), t);
        }
        return out;
    }

    /**
     * The top-level settings only a restart changes, by key (a setting's, {@code threads}, or a section's,
     * {@code admin}): a reload says each once, as not applied.
     */
    private static final Set<String> RESTART_ONLY_SETTINGS = Set.of("transport", "threads", "maxconn", "admin",
        "access-log", "logs");

    /** Whether a top-level field (its path: {@code threads}, {@code admin.address}) only a restart changes. */
    public static boolean restartOnly(final RecordDiff.Field setting) {
        return RESTART_ONLY_SETTINGS.contains(settingKey(setting));
    }

    /** A top-level field's setting: its path's first part ({@code admin} of {@code admin.address}). */
    private static String settingKey(final RecordDiff.Field setting) {
        final int dot = setting.path().indexOf('.');
        return dot < 0 ? setting.path() : setting.path().substring(0, dot);
    }

    /**
     * Whether a kept listener's changed field only a restart changes: the backlog and TCP_DEFER_ACCEPT are its
     * listening socket's, and a UDP listener's PROXY settings its receivers'.
     */
    public static boolean restartOnly(final ListenerConfig after, final RecordDiff.Field field) {
        final boolean socketsOwn = field.path().equals("tcp.backlog") || field.path().equals("tcp.defer-accept");
        return socketsOwn && after.protocol() == Protocol.TCP
            || field.path().startsWith("accept-proxy") && after.protocol() == Protocol.UDP;
    }

    /**
     * What of this diff a reload would not apply, one item each, as {@code niolb check --diff} says it:
     * {@code threads 2→1}, {@code listener web: backlog 100→50}.
     */
    public List<String> restartOnlyItems() {
        final List<String> items = new ArrayList<>();
        for (final ListenerChange c : listenersChanged) {
            for (final RecordDiff.Field f : c.fields()) {
                if (restartOnly(c.after(), f)) {
                    items.add("listener " + c.after().name() + ": " + f);
                }
            }
        }
        for (final RecordDiff.Field f : settingsChanged) {
            if (restartOnly(f)) {
                items.add(f.toString());
            }
        }
        return items;
    }

    /** This diff without what {@link #restartOnlyItems} lists: what a reload would apply. */
    public ConfigDiff withoutRestartOnly() {
        final Map<ListenerChange, List<RecordDiff.Field>> fields = new LinkedHashMap<>();
        for (final ListenerChange c : listenersChanged) {
            final List<RecordDiff.Field> restart = c.fields().stream().filter(f -> restartOnly(c.after(), f)).toList();
            if (!restart.isEmpty()) {
                fields.put(c, restart);
            }
        }
        final Set<String> settings = new HashSet<>();
        for (final RecordDiff.Field f : settingsChanged) {
            if (restartOnly(f)) {
                settings.add(settingKey(f));
            }
        }
        return withoutNotApplied(fields, settings);
    }

    /**
     * This diff without what a reload could not apply (it needs a restart): the listener fields, and the top-level
     * settings named in {@code settings} (a setting's key, {@code threads}, or a section's, {@code admin}), so that
     * what it logs as changed is what changed and the rest is said once, as not applied. A listener change left
     * without fields is left out.
     */
    public ConfigDiff withoutNotApplied(final Map<ListenerChange, List<RecordDiff.Field>> notApplied,
                                        final Set<String> settings) {
        if (notApplied.isEmpty() && settings.isEmpty()) {
            return this;
        }
        final List<ListenerChange> applied = new ArrayList<>();
        for (final ListenerChange c : listenersChanged) {
            final List<RecordDiff.Field> fields = new ArrayList<>(c.fields());
            fields.removeAll(notApplied.getOrDefault(c, List.of()));
            if (!fields.isEmpty()) {
                applied.add(new ListenerChange(c.before(), c.after(), fields));
            }
        }
        final List<RecordDiff.Field> settingsApplied = new ArrayList<>();
        for (final RecordDiff.Field f : settingsChanged) {
            if (!settings.contains(settingKey(f))) {
                settingsApplied.add(f);
            }
        }
        return new ConfigDiff(listenersAdded, listenersRemoved, applied, groupsAdded, groupsRemoved, groupsChanged,
            settingsApplied);
    }

    /** Whether a reload would change nothing. */
    public boolean isEmpty() {
        return listenersAdded.isEmpty() && listenersRemoved.isEmpty() && listenersChanged.isEmpty()
            && groupsAdded.isEmpty() && groupsRemoved.isEmpty() && groupsChanged.isEmpty() && settingsChanged.isEmpty();
    }

    /**
     * One line for the log and {@code niolb check --diff}: {@code +listener tcp-b, -listener udp-x, group web:
     * +server s3, -server s1 (draining), s2 weight 1→3, balance roundrobin→leastconn}; {@code no change}.
     */
    public String summary() {
        if (isEmpty()) {
            return "no change";
        }
        final List<String> parts = new ArrayList<>();
        final Set<String> moved = new java.util.HashSet<>();
        for (final ListenerConfig a : listenersAdded) {
            for (final ListenerConfig r : listenersRemoved) {
                if (r.name().equals(a.name())) {
                    moved.add(a.name());
                    parts.add("listener " + a.name() + " moved " + r.protocol().scheme() + "://" + Endpoint.hostPort(r.bind())
                        + "→" + a.protocol().scheme() + "://" + Endpoint.hostPort(a.bind()));
                }
            }
        }
        for (final ListenerConfig a : listenersAdded) {
            if (!moved.contains(a.name())) {
                parts.add("+listener " + a.name());
            }
        }
        for (final ListenerConfig r : listenersRemoved) {
            if (!moved.contains(r.name())) {
                parts.add("-listener " + r.name());
            }
        }
        for (final ListenerChange c : listenersChanged) {
            final List<String> fields = new ArrayList<>();
            for (final RecordDiff.Field f : c.fields()) {
                fields.add(f.toString());
            }
            parts.add("listener " + c.before().name() + ": " + String.join(", ", fields));
        }
        for (final TargetGroupConfig g : groupsAdded) {
            parts.add("+group " + g.name());
        }
        for (final TargetGroupConfig g : groupsRemoved) {
            parts.add("-group " + g.name() + " (draining)");
        }
        for (final GroupChange g : groupsChanged) {
            parts.add("group " + g.name() + ": " + groupSummary(g));
        }
        for (final RecordDiff.Field f : settingsChanged) {
            parts.add(f.toString());
        }
        return String.join(", ", parts);
    }

    private static String groupSummary(final GroupChange g) {
        final List<String> parts = new ArrayList<>();
        if (g.serversAdded().size() > NAMES_LISTED) {
            parts.add("+" + g.serversAdded().size() + " servers");
        } else {
            g.serversAdded().forEach(s -> parts.add("+server " + s.name()));
        }
        if (g.serversRemoved().size() > NAMES_LISTED) {
            parts.add("-" + g.serversRemoved().size() + " servers (draining)");
        } else {
            g.serversRemoved().forEach(s -> parts.add("-server " + s.name() + " (draining)"));
        }
        for (final ServerChange c : g.serversChanged()) {
            for (final RecordDiff.Field f : c.fields()) {
                parts.add(c.after().name() + " " + f);
            }
        }
        g.dnsAdded().forEach(d -> parts.add("+dns " + d.name()));
        g.dnsRemoved().forEach(d -> parts.add("-dns " + d.name() + " (draining)"));
        g.dnsChanged().forEach(d -> parts.add("dns " + d.name() + " changed"));
        for (final RecordDiff.Field f : g.settings()) {
            parts.add(f.toString());
        }
        return String.join(", ", parts);
    }

    @Override
    public String toString() {
        return summary();
    }
}
