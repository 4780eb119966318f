package dev.niolb;

import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ServerConfig;
import dev.niolb.dns.DnsDiscovery;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a running niolb learned that its config does not say, handed to the niolb that takes its sockets over: which
 * servers its checks (or passive detection) hold DOWN, what their agents last said, and what each DNS name
 * resolved to. Without it the successor started every server UP and sent new clients to servers known to be
 * failing until its own checks caught up (seconds), and a successor whose resolver did not answer started DNS
 * groups empty, though a running niolb keeps its last good answer when a lookup fails (black-box testing, session
 * 34). HAProxy's {@code server-state-file} carries the same across a reload.
 *
 * <p>Carried as text, a line each, tab-separated (names hold no tab); lines of a kind this version does not know are
 * skipped, so that two versions can hand over to each other.
 *
 * @param servers each server's health as the old niolb had it
 * @param dns     each DNS name's servers as it last resolved them
 */
public record HandedOverState(List<ServerHealth> servers, List<DnsMembers> dns) {
    /** Nothing handed over: a plain start. */
    public static final HandedOverState NONE = new HandedOverState(List.of(), List.of());

    /** At most what a handed-over text may be: 20,000 servers' lines twice over. */
    public static final int MAX_CHARS = 16 << 20;

    public HandedOverState {
        servers = List.copyOf(servers);
        dns = List.copyOf(dns);
    }

    /** One server: down by checks or passive failures; its agent's last mode (null: none) and weight. */
    public record ServerHealth(String group, String name, InetSocketAddress address, boolean up, ServerState agentMode,
                               int agentPercent, int agentPort) {
        /** Without the agent's port (0: not known, as from an earlier version). */
        public ServerHealth(final String group, final String name, final InetSocketAddress address, final boolean up,
                            final ServerState agentMode, final int agentPercent) {
            this(group, name, address, up, agentMode, agentPercent, 0);
        }
    }

    /** One DNS name of a group: the addresses it last resolved to, with each one's weight and whether a backup. */
    public record DnsMembers(String group, String spec, String target, List<ServerConfig> servers) {
        public DnsMembers {
            servers = List.copyOf(servers);
        }
    }

    /** What {@code lb} knows now. Any thread. */
    public static HandedOverState of(final LoadBalancer lb) {
        final List<ServerHealth> servers = new ArrayList<>();
        for (final TargetGroup group : lb.groups()) {
            for (final Server s : group.snapshot().servers()) {
                final ServerState agent = s.agentMode();
                if (!s.healthy() || agent != ServerState.UP || s.agentPercent() != 100) {
                    final dev.niolb.config.CheckSpec.Agent polled = group.health().agentCheck();
                    servers.add(new ServerHealth(group.name(), s.name(), s.address(), s.healthy(),
                        agent == ServerState.UP ? null : agent, s.agentPercent(), polled == null ? 0 : polled.port()));
                }
            }
        }
        final List<DnsMembers> dns = new ArrayList<>();
        for (final DnsDiscovery.LookupStats spec : lb.dnsLookups()) {
            dns.add(new DnsMembers(spec.group(), spec.name(), lb.dnsTarget(spec.group(), spec.name()),
                lb.dnsServers(spec.group(), spec.name())));
        }
        return new HandedOverState(servers, dns);
    }

    /** The text handed over. */
    public String encode() {
        final StringBuilder text = new StringBuilder();
        for (final ServerHealth s : servers) {
            text.append("server\t").append(s.group()).append('\t').append(s.name()).append('\t')
                .append(Endpoint.hostPort(s.address())).append('\t').append(s.up() ? "up" : "down").append('\t')
                .append(s.agentMode() == null ? "-" : s.agentMode().name()).append('\t').append(s.agentPercent())
                .append('\t').append(s.agentPort()).append('\n');
        }
        for (final DnsMembers d : dns) {
            for (final ServerConfig s : d.servers()) {
                text.append("dns\t").append(d.group()).append('\t').append(d.spec()).append('\t')
                    .append(Endpoint.hostPort(s.address())).append('\t').append(s.weight()).append('\t')
                    .append(s.backup() ? "backup" : "-").append('\t').append(d.target()).append('\n');
            }
        }
        return text.toString();
    }

    /**
     * The state in {@code text}; lines it cannot read (another version's, a damaged one) are left out, as a
     * handed-over state is a head start, never a reason to refuse a takeover.
     */
    public static HandedOverState decode(final String text) {
        final List<ServerHealth> servers = new ArrayList<>();
        final Map<String, DnsMembers> dns = new java.util.LinkedHashMap<>();
        for (final String line : text.split("\n", -1)) {
            final String[] f = line.split("\t", -1);
            try {
                if (f[0].equals("server") && (f.length == 7 || f.length == 8)) {
                    servers.add(new ServerHealth(f[1], f[2], Endpoint.parse(f[3]).address(), f[4].equals("up"),
                        f[5].equals("-") ? null : ServerState.valueOf(f[5]), Integer.parseInt(f[6]),
                        f.length == 8 ? Integer.parseInt(f[7]) : 0));
                } else if (f[0].equals("dns") && f.length == 7) {
                    final DnsMembers had = dns.get(f[1] + '\t' + f[2]);
                    final List<ServerConfig> members = new ArrayList<>(had == null ? List.of() : had.servers());
                    members.add(new ServerConfig(f[2], Endpoint.parse(f[3]).address(), Integer.parseInt(f[4]),
                        f[5].equals("backup"), 0));
                    dns.put(f[1] + '\t' + f[2], new DnsMembers(f[1], f[2], f[6], members));
                }
            } catch (final RuntimeException unreadable) {
                // left out: see above
            }
        }
        return new HandedOverState(servers, List.copyOf(dns.values()));
    }

    /** The DNS members handed over for one spec of one group; empty when none. */
    public List<ServerConfig> dnsMembers(final String group, final DnsServerSpec spec) {
        for (final DnsMembers d : dns) {
            // the same name for the same target: a successor that points the name at another host or port must not
            // send its clients to the old one's addresses (black-box testing, session 34, high)
            if (d.group().equals(group) && d.spec().equals(spec.name()) && d.target().equals(spec.target())) {
                return d.servers();
            }
        }
        return List.of();
    }
}
