package dev.niolb.config.file;

import dev.niolb.admission.Cidr;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.Durations;
import dev.niolb.config.Endpoint;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.LogConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.Sizes;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.StreamDataWriter;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Config} as a config file, every option written out (the effective config {@code niolb check} prints):
 * {@link ConfigFile#parse} reads it back to an equal {@code Config}. Keys and value forms are those of
 * {@link ConfigReader}; a key added there is added here too.
 *
 * <p>Threadsafe: no state.
 */
public final class ConfigWriter {
    /** The value of {@code threads} and {@code udp-max-flows} that leaves the number to niolb. */
    static final String AUTO = "auto";
    /** The value of {@code dns.resolver} that asks the system's resolver. */
    static final String SYSTEM = "system";

    private static final DumpSettings SETTINGS = DumpSettings.builder()
        .setDefaultFlowStyle(FlowStyle.BLOCK)
        .setIndent(2).setIndicatorIndent(2).setIndentWithIndicator(true)
        .setWidth(120)
        .build();

    private ConfigWriter() {
    }

    public static String write(final Config config) {
        final Map root = new Map(FlowStyle.BLOCK);
        final Map defaults = new Map(FlowStyle.BLOCK)
            .put("threads", config.threadsAuto() ? AUTO : Integer.toString(config.threads()))
            .put("transport", config.transport().toString())
            .put("busy-poll", config.busyPoll().toString())
            .put("grace", config.grace())
            .put("shutdown-delay", config.shutdownDelay())
            .put("maxconn", config.maxconn())
            .put("access-log", config.accessLog().toString());
        logs(defaults, config.logs());
        root.put("defaults", defaults);
        final Map admin = new Map(FlowStyle.BLOCK);
        if (!config.admin().enabled()) {
            admin.put("address", "none");
        } else if (config.admin().required()) { // written out, the address must bind: left out when it need not
            admin.put("address", Endpoint.hostPort(config.admin().address()));
        }
        if (config.admin().metricsAddress() != null) {
            admin.put("metrics-address", Endpoint.hostPort(config.admin().metricsAddress()));
        }
        if (config.admin().tokenFile() != null) {
            admin.put("token-file", config.admin().tokenFile().toString());
        }
        admin.put("allowed-hosts", new SequenceNode(Tag.SEQ, config.admin().allowedHosts().stream()
            .map(ConfigWriter::scalar).toList(), config.admin().allowedHosts().isEmpty() ? FlowStyle.FLOW : FlowStyle.BLOCK));
        root.put("admin", admin);
        final List<Node> listeners = new ArrayList<>();
        config.listeners().forEach(l -> listeners.add(listener(l).node()));
        root.put("listeners", new SequenceNode(Tag.SEQ, listeners, FlowStyle.BLOCK));
        final List<Node> groups = new ArrayList<>();
        config.groups().forEach(g -> groups.add(group(g).node()));
        root.put("groups", new SequenceNode(Tag.SEQ, groups, FlowStyle.BLOCK));
        final DnsConfig dns = config.dns();
        root.put("dns", new Map(FlowStyle.BLOCK)
            .put("resolver", dns.resolver() == null ? SYSTEM : Endpoint.hostPort(dns.resolver()))
            .put("min-ttl", dns.minTtl())
            .put("max-ttl", dns.maxTtl())
            .put("timeout", dns.timeout()));
        final StringWriter out = new StringWriter();
        new Dump(SETTINGS).dumpNode(root.node(), new StreamDataWriter() {
            @Override
            public void write(final String str) {
                out.write(str);
            }

            @Override
            public void write(final String str, final int off, final int len) {
                out.write(str, off, len);
            }
        });
        return out.toString();
    }

    private static Map listener(final ListenerConfig l) {
        final TcpOptions tcp = l.tcp();
        final UdpOptions udp = l.udp();
        final ListenerLimits limits = l.limits();
        return new Map(FlowStyle.BLOCK)
            .put("name", l.name())
            .put("protocol", l.protocol().scheme())
            .put("bind", Endpoint.hostPort(l.bind()))
            .put("group", l.group())
            .put("connect-timeout", tcp.connectTimeout())
            .put("idle-timeout", tcp.idleTimeout())
            .put("retries", tcp.retries())
            .put("nodelay", tcp.noDelay())
            .put("keepalive", tcp.keepAlive())
            .put("backlog", tcp.backlog())
            .put("buffer-size", Sizes.format(tcp.bufferSize()))
            .put("max-connection-age", tcp.maxConnectionAge())
            .put("splice", tcp.splice().toString())
            .put("defer-accept", tcp.deferAccept())
            .put("tcp-rcvbuf", Sizes.format(tcp.receiveBuffer()))
            .put("tcp-sndbuf", Sizes.format(tcp.sendBuffer()))
            // retries above is TCP's; a UDP-only difference cannot be written, so the two must agree
            .put("udp-idle-timeout", udp.idleTimeout())
            .put("udp-responses", udp.responses())
            .put("udp-max-flows", udp.maxFlows() == 0 ? AUTO : Integer.toString(udp.maxFlows()))
            .put("udp-rcvbuf", Sizes.format(udp.receiveBuffer()))
            .put("accept-proxy", l.acceptProxy().enabled())
            // absent: every peer; an empty list trusts none
            .put("accept-proxy-from", l.acceptProxy().trustsEveryPeer() ? null : cidrs(l.acceptProxy().trusted()))
            .put("proxy-header-timeout", l.acceptProxy().headerTimeout())
            .put("proxy-header-max", Sizes.format(l.acceptProxy().maxHeaderLength()))
            .put("allow", cidrs(limits.allow()))
            .put("deny", cidrs(limits.deny()))
            .put("listener-maxconn", limits.maxconn())
            .put("source-maxconn", limits.sourceMaxconn())
            .put("source-rate", limits.sourceRate().toString())
            .put("source-table-size", limits.sourceTableSize());
    }

    private static Map group(final TargetGroupConfig g) {
        final HealthCheckConfig h = g.health();
        final List<Node> checks = new ArrayList<>();
        for (final CheckSpec c : h.checks()) {
            checks.add(scalar(c.toString()));
        }
        final List<Node> servers = new ArrayList<>();
        for (final ServerConfig s : g.servers()) {
            servers.add(new Map(FlowStyle.BLOCK)
                .put("address", Endpoint.hostPort(s.address()))
                .put("name", s.name())
                .put("weight", s.weight())
                .put("backup", s.backup())
                .put("check-port", s.checkPort())
                .put("send-proxy", s.sendProxy().version().name().toLowerCase(java.util.Locale.ROOT))
                .put("proxy-udp", s.sendProxy().udp().name().toLowerCase(java.util.Locale.ROOT))
                .put("maxconn", s.maxconn())
                .node());
        }
        for (final DnsServerSpec d : g.dnsServers()) {
            servers.add(new Map(FlowStyle.BLOCK)
                .put("address", d.target())
                .put("name", d.name())
                .put("weight", d.template().weight())
                .put("backup", d.template().backup())
                .put("check-port", d.template().checkPort())
                .put("send-proxy", d.template().sendProxy().version().name().toLowerCase(java.util.Locale.ROOT))
                .put("proxy-udp", d.template().sendProxy().udp().name().toLowerCase(java.util.Locale.ROOT))
                .put("maxconn", d.template().maxconn())
                .node());
        }
        return new Map(FlowStyle.BLOCK)
            .put("name", g.name())
            .put("balance", g.balance().userName())
            .put("hash-balance-factor", g.hashBalanceFactor())
            .put("checks", new SequenceNode(Tag.SEQ, checks, FlowStyle.BLOCK))
            .put("check-interval", h.interval())
            .put("check-timeout", h.timeout())
            .put("rise", h.rise())
            .put("fall", h.fall())
            .put("max-fails", h.maxFails())
            .put("slowstart", h.slowStart())
            .put("drain-timeout", h.drainTimeout())
            .put("drain-rate", h.drainRate())
            .put("panic-threshold", h.panicThreshold())
            .put("close-on-down", h.closeOnDown())
            .put("backups", h.firstBackupOnly() ? "first" : "all")
            .put("servers", new SequenceNode(Tag.SEQ, servers, FlowStyle.BLOCK));
    }

    private static Node cidrs(final CidrSet set) {
        final List<Node> blocks = new ArrayList<>();
        for (final Cidr c : set.blocks()) {
            blocks.add(scalar(c.toString()));
        }
        return new SequenceNode(Tag.SEQ, blocks, FlowStyle.BLOCK);
    }

    /**
     * A plain scalar where YAML reads it back as the same text; the emitter quotes one that would read as
     * something else. The tag is what the text resolves to ({@code 5} an int, {@code true} a bool), so that only
     * text that is not a string (an empty one, a name such as {@code null}) gets quotes.
     */
    private static Node scalar(final String text) {
        if ("~".equals(text)) { // plain, YamlValue reads it as nothing, as YAML's core schema does
            return new ScalarNode(Tag.STR, text, ScalarStyle.DOUBLE_QUOTED);
        }
        final Tag resolved = SETTINGS.getSchema().getScalarResolver().resolve(text, true);
        return new ScalarNode(Tag.NULL.equals(resolved) ? Tag.STR : resolved, text, ScalarStyle.PLAIN);
    }

    /** A mapping node under construction, keys in insertion order. */
    /** The log outputs: the file and syslog only where given, their settings always (check prints every default). */
    private static void logs(final Map defaults, final LogConfig logs) {
        if (logs.accessLogFile() != null) {
            defaults.put("access-log-file", logs.accessLogFile().toString());
        }
        defaults.put("access-log-max-size", Sizes.format(logs.accessLogMaxSize()));
        defaults.put("access-log-max-history", logs.accessLogMaxHistory());
        if (logs.syslog() != null) {
            defaults.put("syslog", logs.syslog().toString());
        }
        defaults.put("syslog-facility", logs.syslogFacility());
    }

    private static final class Map {
        private final List<NodeTuple> tuples = new ArrayList<>();
        private final FlowStyle style;

        Map(final FlowStyle style) {
            this.style = style;
        }

        /** A null value leaves the key out: what its absence means is the value (accept-proxy-from: every peer). */
        Map put(final String key, final Node value) {
            if (value != null) {
                tuples.add(new NodeTuple(scalar(key), value));
            }
            return this;
        }

        Map put(final String key, final Map value) {
            return put(key, value.node());
        }

        Map put(final String key, final String value) {
            return put(key, scalar(value));
        }

        Map put(final String key, final int value) {
            return put(key, Integer.toString(value));
        }

        Map put(final String key, final boolean value) {
            return put(key, Boolean.toString(value));
        }

        Map put(final String key, final Duration value) {
            return put(key, Durations.format(value));
        }

        MappingNode node() {
            return new MappingNode(Tag.MAP, tuples, style);
        }
    }
}
