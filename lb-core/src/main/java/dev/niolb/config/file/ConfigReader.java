package dev.niolb.config.file;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.BusyPoll;
import dev.niolb.config.LogConfig;
import dev.niolb.config.SyslogAddress;
import dev.niolb.admission.Cidr;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.Endpoint;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.ProxyRules;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.Splice;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.UdpOptions;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of a niolb config file and the {@link Config} they build. A key is named as its {@code niolb run} flag
 * ({@code --idle-timeout} is {@code idle-timeout}); the values are parsed by the same parsers and validated by the
 * same records, so flags and file cannot disagree.
 *
 * <pre>
 * defaults:     threads, transport, busy-poll, grace, shutdown-delay, maxconn (the process's), access-log, and every listener and group option below
 *               (the values listeners and groups start from)
 * admin:        address (HOST:PORT or none), token-file, allowed-hosts, metrics-address (HOST:PORT or none)
 * listeners:    name, protocol, bind, group, and the listener options
 * groups:       name, servers (by address, or by DNS name: HOST:PORT or srv:NAME), and the group options
 * dns:          resolver, min-ttl, max-ttl, timeout (how servers by DNS name are resolved)
 * </pre>
 *
 * <p><b>Adding a key</b> is one line where its record is built, e.g. in {@link #listenerOptions}:
 * {@code tcp = m.with("my-key", YamlValue::duration, tcp, TcpOptions::withMyKey);} (read in {@link #listenerOptions}
 * or {@link #groupOptions}, a key is also accepted in {@code defaults}); then one line in {@link ConfigWriter} so
 * that {@code niolb check} prints it, its entry in the JSON Schema ({@code lb-cli/src/dist/conf/niolb.schema.json};
 * {@code ConfigSchemaTest} names every key missing there), and a row in the table of docs/CONFIGURATION.md. A key nobody reads is
 * refused as unknown.
 *
 * <p>Not threadsafe: one reader per file read.
 */
final class ConfigReader {
    private ConfigReader() {
    }

    /** What a listener takes from {@code defaults} and may override. */
    record ListenerOptions(TcpOptions tcp, UdpOptions udp, AcceptProxy acceptProxy, ListenerLimits limits) {
        static final ListenerOptions DEFAULTS = new ListenerOptions(TcpOptions.DEFAULTS, UdpOptions.DEFAULTS,
            AcceptProxy.DISABLED, ListenerLimits.NONE);
    }

    /** What a group takes from {@code defaults} and may override. */
    record GroupOptions(Algorithm balance, int hashBalanceFactor, HealthCheckConfig health) {
        static final GroupOptions DEFAULTS = new GroupOptions(Algorithm.ROUNDROBIN, 0, HealthCheckConfig.DEFAULTS);
    }

    static Config read(final YamlMap root) {
        final YamlMap defaults = root.map("defaults");
        final int threads = defaults.value("threads", ConfigReader::threads, Config.AUTO_THREADS);
        final Duration grace = defaults.duration("grace", Config.DEFAULT_GRACE);
        final Duration shutdownDelay = defaults.duration("shutdown-delay", Duration.ZERO);
        final int maxconn = defaults.intIn("maxconn", 0, ListenerLimits.MAX_CONN, 0); // --maxconn: every listener's
        final AccessLogFormat accessLog = defaults.value("access-log", v -> v.as(AccessLogFormat::parse),
            AccessLogFormat.OFF);
        final LogConfig logs = logs(defaults);
        final TransportChoice transport = defaults.value("transport", v -> v.as(TransportChoice::parse),
            Config.DEFAULT_TRANSPORT);
        final BusyPoll busyPoll = defaults.value("busy-poll", v -> v.as(BusyPoll::parse), BusyPoll.OFF);
        final ListenerOptions listenerDefaults = listenerOptions(defaults, ListenerOptions.DEFAULTS);
        final GroupOptions groupDefaults = groupOptions(defaults, GroupOptions.DEFAULTS);
        defaults.end();

        final Map<String, TargetGroupConfig> groups = new LinkedHashMap<>();
        final Map<ServerConfig, YamlValue> serverNodes = new java.util.IdentityHashMap<>();
        for (final YamlValue g : root.required("groups").list()) {
            final TargetGroupConfig group = group(g.map(), groupDefaults, serverNodes);
            if (groups.putIfAbsent(group.name(), group) != null) {
                throw g.error("group '" + group.name() + "' is defined twice");
            }
        }
        final Map<String, ListenerConfig> listeners = new LinkedHashMap<>();
        for (final YamlValue l : root.required("listeners").list()) {
            final ListenerConfig listener = listener(l.map(), listenerDefaults, List.copyOf(groups.keySet()));
            if (listeners.putIfAbsent(listener.name(), listener) != null) {
                throw l.error("listener '" + listener.name() + "' is defined twice");
            }
            checkBindsApart(listener, listeners.values(), l);
        }
        checkUdpServers(groups.values(), List.copyOf(listeners.values()), serverNodes);
        final DnsConfig dns = dns(root.map("dns"));
        final AdminConfig admin = admin(root.map("admin"));
        checkNoServerIsOwn(groups.values(), List.copyOf(listeners.values()), admin, serverNodes);
        root.end();
        return root.build(() -> new Config(threads, grace, List.copyOf(listeners.values()), List.copyOf(groups.values()),
            dns, maxconn, admin, accessLog, logs, transport, shutdownDelay, busyPoll));
    }

    /** {@code access-log-file}, {@code access-log-max-size}, {@code access-log-max-history}, {@code syslog},
     * {@code syslog-facility}: the process's log outputs, in {@code defaults} beside {@code access-log}. */
    private static LogConfig logs(final YamlMap m) {
        LogConfig logs = LogConfig.DEFAULTS;
        logs = m.with("access-log-file", v -> Path.of(v.text().strip()), logs, LogConfig::withAccessLogFile);
        logs = m.withSize("access-log-max-size", logs, LogConfig::withAccessLogMaxSize);
        logs = m.withInt("access-log-max-history", logs, LogConfig::withAccessLogMaxHistory);
        logs = m.with("syslog", v -> v.as(SyslogAddress::parse), logs, LogConfig::withSyslog);
        return m.with("syslog-facility", YamlValue::text, logs, LogConfig::withSyslogFacility);
    }

    /** {@code resolver: HOST:PORT} (or {@code system}), {@code min-ttl}, {@code max-ttl}, {@code timeout}. */
    private static DnsConfig dns(final YamlMap m) {
        DnsConfig dns = DnsConfig.DEFAULTS;
        dns = m.with("resolver", v -> v.text().strip().equals(ConfigWriter.SYSTEM) ? null : v.as(Endpoint::parse).address(),
            dns, DnsConfig::withResolver);
        // beside a max-ttl the pair is checked once both are read, at max-ttl: min-ttl 10m with max-ttl 1h is
        // fine though 10m is above the default max-ttl (min-ttl is held against that only when it stands alone)
        final boolean maxWritten = m.has("max-ttl");
        dns = m.with("min-ttl", YamlValue::duration, dns,
            (d, t) -> d.withTtl(t, maxWritten && t.compareTo(d.maxTtl()) > 0 ? t : d.maxTtl()));
        dns = m.with("max-ttl", YamlValue::duration, dns, (d, t) -> d.withTtl(d.minTtl(), t));
        dns = m.with("timeout", YamlValue::duration, dns, DnsConfig::withTimeout);
        m.end();
        return dns;
    }

    /** The options a listener has, each over {@code base}: in {@code defaults} over the built-in ones. */
    static ListenerOptions listenerOptions(final YamlMap m, final ListenerOptions base) {
        TcpOptions tcp = base.tcp();
        tcp = m.with("connect-timeout", YamlValue::duration, tcp, TcpOptions::withConnectTimeout);
        tcp = m.with("idle-timeout", YamlValue::duration, tcp, TcpOptions::withIdleTimeout);
        tcp = m.withInt("retries", tcp, TcpOptions::withRetries);
        tcp = m.with("nodelay", YamlValue::bool, tcp, TcpOptions::withNoDelay);
        tcp = m.with("keepalive", YamlValue::bool, tcp, TcpOptions::withKeepAlive);
        tcp = m.withInt("backlog", tcp, TcpOptions::withBacklog);
        tcp = m.withSize("buffer-size", tcp, TcpOptions::withBufferSize);
        tcp = m.with("max-connection-age", YamlValue::duration, tcp, TcpOptions::withMaxConnectionAge);
        tcp = m.with("splice", v -> v.as(Splice::parse), tcp, TcpOptions::withSplice);
        tcp = m.with("defer-accept", YamlValue::bool, tcp, TcpOptions::withDeferAccept);
        tcp = m.withSize("tcp-rcvbuf", tcp, TcpOptions::withReceiveBuffer);
        tcp = m.withSize("tcp-sndbuf", tcp, TcpOptions::withSendBuffer);
        UdpOptions udp = base.udp();
        udp = m.withInt("retries", udp, UdpOptions::withRetries);
        udp = m.with("udp-idle-timeout", YamlValue::duration, udp, UdpOptions::withIdleTimeout);
        udp = m.withInt("udp-responses", udp, UdpOptions::withResponses);
        udp = m.with("udp-max-flows", ConfigReader::maxFlows, udp, UdpOptions::withMaxFlows);
        udp = m.withSize("udp-rcvbuf", udp, UdpOptions::withReceiveBuffer);
        AcceptProxy proxy = base.acceptProxy();
        // trusted sources imply accept-proxy, as --accept-proxy-from does; an explicit accept-proxy has the last word
        proxy = m.with("accept-proxy-from", ConfigReader::cidrs, proxy, (p, set) -> p.withTrusted(set).withEnabled(true));
        proxy = m.with("accept-proxy", YamlValue::bool, proxy, AcceptProxy::withEnabled);
        proxy = m.with("proxy-header-timeout", YamlValue::duration, proxy, AcceptProxy::withHeaderTimeout);
        proxy = m.withSize("proxy-header-max", proxy, AcceptProxy::withMaxHeaderLength);
        ListenerLimits limits = base.limits();
        limits = m.with("allow", ConfigReader::cidrs, limits, (l, c) -> l.withAccess(c, l.deny()));
        limits = m.with("deny", ConfigReader::cidrs, limits, (l, c) -> l.withAccess(l.allow(), c));
        limits = m.withInt("listener-maxconn", limits, ListenerLimits::withMaxconn);
        limits = m.withInt("source-maxconn", limits, ListenerLimits::withSourceMaxconn);
        limits = m.with("source-rate", v -> v.as(SourceRate::parse), limits, ListenerLimits::withSourceRate);
        limits = m.withInt("source-table-size", limits, ListenerLimits::withSourceTableSize);
        return new ListenerOptions(tcp, udp, proxy, limits);
    }

    /** The options a group has, each over {@code base}: in {@code defaults} over the built-in ones. */
    static GroupOptions groupOptions(final YamlMap m, final GroupOptions base) {
        final Algorithm balance = m.value("balance", v -> v.as(Algorithm::parse), base.balance());
        // its range said as the group says it (101..10000, or 0), checked here for the number alone: whether it
        // applies (balance source) is the group's to say, once the balance is known
        final int hashBalanceFactor = m.value("hash-balance-factor", v -> v.checkInt(n -> {
            dev.niolb.config.TargetGroupConfig.checkHashBalanceFactor(Algorithm.SOURCE, n);
            return n;
        }), base.hashBalanceFactor());
        HealthCheckConfig h = base.health();
        h = m.with("checks", ConfigReader::checks, h, HealthCheckConfig::withChecks);
        h = m.with("check-interval", YamlValue::duration, h, HealthCheckConfig::withInterval);
        h = m.with("check-timeout", YamlValue::duration, h, HealthCheckConfig::withTimeout);
        h = m.withInt("rise", h, HealthCheckConfig::withRise);
        h = m.withInt("fall", h, HealthCheckConfig::withFall);
        h = m.withInt("max-fails", h, HealthCheckConfig::withMaxFails);
        h = m.with("slowstart", YamlValue::duration, h, HealthCheckConfig::withSlowStart);
        h = m.with("drain-timeout", YamlValue::duration, h, (x, d) -> x.withDrain(d, x.drainRate()));
        h = m.withInt("drain-rate", h, (x, n) -> x.withDrain(x.drainTimeout(), n));
        h = m.withInt("panic-threshold", h, HealthCheckConfig::withPanicThreshold);
        h = m.with("close-on-down", YamlValue::bool, h, HealthCheckConfig::withCloseOnDown);
        h = m.with("backups", v -> v.as(HealthCheckConfig::firstBackupOnly), h, HealthCheckConfig::withFirstBackupOnly);
        return new GroupOptions(balance, hashBalanceFactor, h);
    }

    private static ListenerConfig listener(final YamlMap m, final ListenerOptions defaults, final List<String> groups) {
        final String name = m.string("name", null);
        final YamlValue bindValue = m.required("bind");
        final Endpoint bind = bindValue.as(Endpoint::parse);
        final Protocol protocol = m.value("protocol", ConfigReader::protocol, bind.protocol());
        if (protocol != bind.protocol() && bindValue.text().contains("://")) {
            throw m.required("protocol").error("is " + protocol.scheme() + " but bind says "
                + bind.protocol().scheme() + "://");
        }
        final String group = m.value("group", YamlValue::text, groups.size() == 1 ? groups.getFirst() : null);
        if (group == null) {
            throw m.error(groups.isEmpty() ? "needs a group, and the file defines none (groups: is empty)"
                : "needs 'group': one of " + String.join(", ", groups));
        }
        if (!groups.contains(group)) {
            throw m.required("group").error("no group named '" + group + "'"
                + DidYouMean.closest(group, groups).map(g -> " (did you mean " + g + "?)")
                    .orElse(" (groups: " + String.join(", ", groups) + ")"));
        }
        final ListenerOptions options = listenerOptions(m, defaults);
        if (m.has("maxconn")) { // HAProxy's frontend maxconn; here maxconn is the process's, as --maxconn
            throw m.required("maxconn").error("a listener's cap is listener-maxconn (maxconn, in defaults, caps the"
                + " whole process)");
        }
        m.end();
        return m.build(() -> new ListenerConfig(name, protocol, bind.address(), group, options.tcp(), options.udp(),
            options.acceptProxy(), options.limits()));
    }

    /**
     * The checks the model makes across records ({@link Config}), made here first where the reader knows the line
     * to name: the model's own would name the file's first line (black-box testing, session 28).
     */
    private static void checkBindsApart(final ListenerConfig added, final java.util.Collection<ListenerConfig> all,
                                        final YamlValue node) {
        for (final ListenerConfig other : all) {
            if (other != added) {
                try {
                    Config.checkBindsApart(List.of(other, added));
                } catch (final IllegalArgumentException e) {
                    throw node.error(e.getMessage());
                }
            }
        }
    }

    private static void checkUdpServers(final java.util.Collection<TargetGroupConfig> groups,
                                        final List<ListenerConfig> listeners,
                                        final Map<ServerConfig, YamlValue> serverNodes) {
        for (final TargetGroupConfig g : groups) {
            for (final ServerConfig s : g.servers()) {
                try {
                    ProxyRules.checkServer(g.name(), s, listeners);
                } catch (final IllegalArgumentException e) {
                    throw serverNodes.get(s).error(e.getMessage());
                }
            }
        }
    }

    /**
     * A server at one of niolb's own listeners, its admin API or metrics listener, refused at the server's line, as
     * the model refuses it (Config): reported at the file's first key, the line named no server (black-box testing,
     * session 31).
     */
    private static void checkNoServerIsOwn(final java.util.Collection<TargetGroupConfig> groups,
                                           final List<ListenerConfig> listeners, final AdminConfig admin,
                                           final Map<ServerConfig, YamlValue> serverNodes) {
        final Config.ServerAtOwn found = Config.serverAtOwn(groups, Config.ownEndpoints(listeners, admin),
            java.net.InetAddress::isLoopbackAddress);
        if (found != null && serverNodes.containsKey(found.server())) {
            throw serverNodes.get(found.server()).error(found.message());
        }
    }

    private static TargetGroupConfig group(final YamlMap m, final GroupOptions defaults,
                                           final Map<ServerConfig, YamlValue> serverNodes) {
        final String name = m.required("name").text();
        final List<ServerConfig> servers = new java.util.ArrayList<>();
        final List<DnsServerSpec> byName = new java.util.ArrayList<>();
        for (final YamlValue v : m.required("servers").listOrOne()) {
            if (serverNodes.size() + byName.size() >= YamlLimits.MAX_SERVERS) {
                throw v.error("more than " + YamlLimits.MAX_SERVERS + " servers in the file; not read");
            }
            final Object server = server(v);
            if (server instanceof DnsServerSpec d) {
                byName.add(d);
            } else {
                servers.add((ServerConfig) server);
                serverNodes.put((ServerConfig) server, v);
            }
        }
        final GroupOptions options = groupOptions(m, defaults);
        m.end();
        return m.build(() -> new TargetGroupConfig(name, options.balance(), servers, options.health(),
            options.hashBalanceFactor(), byName));
    }

    /**
     * {@code HOST:PORT[,weight=N]…} as for {@code --server}, or a map of the same options: a {@link ServerConfig},
     * or a {@link DnsServerSpec} when HOST is a name (or the address is {@code srv:NAME}).
     */
    private static Object server(final YamlValue v) {
        if (v.isScalar()) {
            return DnsServerSpec.isNameSpec(v.text()) ? v.as(DnsServerSpec::parse) : v.as(ServerConfig::parse);
        }
        final YamlMap m = v.map();
        final YamlValue addressValue = m.required("address");
        final boolean byName = DnsServerSpec.isNameSpec(addressValue.text());
        final DnsServerSpec spec = byName ? addressValue.as(DnsServerSpec::parse) : null;
        final Endpoint address = byName ? null : addressValue.as(Endpoint::parse);
        final String name = m.value("name", n -> n.as(ServerConfig::checkGivenName), null); // DNS's prefix too
        final int weight = m.intIn("weight", 0, ServerConfig.MAX_WEIGHT, ServerConfig.DEFAULT_WEIGHT);
        final boolean backup = m.bool("backup", false);
        final int checkPort = m.intIn("check-port", 0, 65535, 0);
        final SendProxy.Version proxy = m.value("send-proxy", ConfigReader::proxyVersion, SendProxy.Version.NONE);
        final SendProxy.UdpMode proxyUdp = m.value("proxy-udp", ConfigReader::proxyUdp, SendProxy.UdpMode.FIRST);
        final int maxconn = m.intIn("maxconn", 0, ListenerLimits.MAX_CONN, 0);
        m.end();
        if (byName) {
            return m.build(() -> spec.withOptions(name, new ServerConfig(null, DnsServerSpec.PLACEHOLDER, weight, backup,
                checkPort, new SendProxy(proxy, proxyUdp), maxconn)));
        }
        return m.build(() -> new ServerConfig(name, address.address(), weight, backup, checkPort,
            new SendProxy(proxy, proxyUdp), maxconn));
    }

    /** {@code none}, {@code v1} or {@code v2}: the PROXY header a server gets. */
    private static SendProxy.Version proxyVersion(final YamlValue v) {
        return switch (v.text().strip().toLowerCase(Locale.ROOT)) {
            case "none" -> SendProxy.Version.NONE;
            case "v1" -> SendProxy.Version.V1;
            case "v2" -> SendProxy.Version.V2;
            default -> throw v.error("must be v1, v2 or none, got '" + v.text() + "'");
        };
    }

    /** {@code first} or {@code every}: which datagrams of a UDP flow carry the header. */
    private static SendProxy.UdpMode proxyUdp(final YamlValue v) {
        return switch (v.text().strip().toLowerCase(Locale.ROOT)) {
            case "first" -> SendProxy.UdpMode.FIRST;
            case "every" -> SendProxy.UdpMode.EVERY;
            default -> throw v.error("must be first or every, got '" + v.text() + "'");
        };
    }

    /**
     * Address blocks, one or a list, each as for {@code --accept-proxy-from}, {@code --allow}, {@code --deny}: an
     * entry may hold several separated by commas, as the flags take them ({@code allow: "10.0.0.0/8,192.0.2.7"}
     * was refused as one bad block; black-box testing, session 27), and an empty one between commas is refused.
     */
    private static CidrSet cidrs(final YamlValue v) {
        return new CidrSet(v.listOrOne().stream()
            .flatMap(c -> c.as(text -> java.util.Arrays.stream(text.split(",", -1)).map(String::strip)
                .map(Cidr::parse).toList()).stream())
            .toList());
    }

    /**
     * {@code address} (HOST:PORT or none), {@code token-file}, {@code allowed-hosts}, {@code metrics-address}
     * (HOST:PORT or none); absent, the default address and no metrics-only listener.
     */
    private static AdminConfig admin(final YamlMap m) {
        // not value(): "none" reads as null, which value() would take for an absent key
        final Optional<YamlValue> given = m.get("address");
        final InetSocketAddress address = given.isPresent() ? given.get().as(AdminConfig::parseAddress) : null;
        final Path tokenFile = m.value("token-file", v -> Path.of(v.text().strip()), null);
        final Optional<YamlValue> metricsGiven = m.get("metrics-address");
        final InetSocketAddress metrics = metricsGiven.isPresent() ? metricsGiven.get().as(AdminConfig::parseAddress)
            : null;
        final List<String> hosts = m.value("allowed-hosts",
            v -> v.listOrOne().stream().map(h -> h.as(AdminConfig::parseAllowedHost)).toList(), List.of());
        m.end();
        return m.build(() -> (given.isPresent() ? AdminConfig.of(address, tokenFile) : AdminConfig.atDefault(tokenFile))
            .withMetricsAddress(metrics).withAllowedHosts(hosts));
    }

    private static List<CheckSpec> checks(final YamlValue v) {
        return v.listOrOne().stream().map(c -> c.as(CheckSpec::parse)).toList();
    }

    /** {@code auto} (one per core) or 1..256. */
    private static int threads(final YamlValue v) {
        return auto(v) ? Config.AUTO_THREADS : autoOrIn(v, 1, Config.MAX_THREADS);
    }

    /** {@code auto} (half of the open-file limit less 256, at least 64, decided at start) or 1..10000000. */
    private static int maxFlows(final YamlValue v) {
        return auto(v) ? 0 : autoOrIn(v, 1, UdpOptions.MAX_FLOWS);
    }

    /** {@code auto} in any case ({@code AUTO}, as {@code OFF} is off elsewhere). */
    private static boolean auto(final YamlValue v) {
        return v.text().strip().equalsIgnoreCase(ConfigWriter.AUTO);
    }

    /** A number in {@code min..max}; anything else is refused naming {@code auto} too, which the key takes. */
    private static int autoOrIn(final YamlValue v, final int min, final int max) {
        try {
            return v.intIn(min, max);
        } catch (final ConfigFileException e) {
            if (!e.getMessage().contains("must be a whole number")) {
                throw e; // a number out of the range says so
            }
            throw v.error("must be auto or a whole number " + min + ".." + max + ", got '" + v.text().strip() + "'");
        }
    }

    private static Protocol protocol(final YamlValue v) {
        return switch (v.text().strip().toLowerCase(Locale.ROOT)) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw v.error("must be tcp or udp, got '" + v.text() + "'");
        };
    }

}
