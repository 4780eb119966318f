package dev.niolb.config;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * One backend server of a group.
 *
 * @param name    a name for logs and metrics; defaults to {@code HOST:PORT}
 * @param address where niolb connects
 * @param weight  0..256; 0 takes no new sessions
 * @param backup    takes new sessions only while no primary (non-backup) server of its group can
 * @param checkPort the port active checks connect to instead of the server's; 0 for the server's own
 * @param sendProxy whether a PROXY protocol header with the client's address goes to the server first
 * @param maxconn   sessions (TCP connections and UDP flows) open at once to this server; at it, balancers pass it
 *                  over for new sessions as if it were DOWN; 0 for no cap
 */
public record ServerConfig(String name, InetSocketAddress address, int weight, boolean backup, int checkPort,
                           SendProxy sendProxy, int maxconn) {
    public static final int MAX_WEIGHT = 256;
    public static final int DEFAULT_WEIGHT = 1;

    /** A multicast address (224.0.0.0/4, ff00::/8) or the limited broadcast 255.255.255.255: many hosts, no server. */
    public static boolean reachesMany(final java.net.InetAddress address) {
        if (address.isMulticastAddress()) {
            return true;
        }
        final byte[] raw = address.getAddress();
        if (raw.length != 4) {
            return false;
        }
        for (final byte b : raw) {
            if (b != (byte) 0xff) {
                return false;
            }
        }
        return true;
    }

    public ServerConfig {
        Objects.requireNonNull(address, "address");
        if (address.getPort() == 0) {
            throw new IllegalArgumentException("server " + Endpoint.hostPort(address) + ": port must be 1..65535");
        }
        if (address.getAddress() != null && address.getAddress().isAnyLocalAddress()) {
            // Linux connects 0.0.0.0 and :: to this host: say which, rather than take a wildcard for a server
            final boolean v6 = address.getAddress() instanceof java.net.Inet6Address;
            throw new IllegalArgumentException("server " + Endpoint.hostPort(address) + ": " + (v6 ? "::" : "0.0.0.0")
                + " is no server's address (Linux connects it to this host); for one on this host give "
                + (v6 ? "[::1]" : "127.0.0.1"));
        }
        if (address.getAddress() != null && reachesMany(address.getAddress())) {
            // 224.0.0.1 took a UDP group's datagrams to a multicast group; 255.255.255.255 failed at the first
            // datagram only (black-box testing, session 29)
            throw new IllegalArgumentException("server " + Endpoint.hostPort(address) + ": a multicast or broadcast "
                + "address is no server's (niolb relays to one host)");
        }
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("server " + Endpoint.hostPort(address) + ": weight must be 0.."
                + MAX_WEIGHT + ", got " + weight);
        }
        if (checkPort < 0 || checkPort > 65535) {
            throw new IllegalArgumentException("server " + Endpoint.hostPort(address) + ": check-port must be 1..65535, got "
                + checkPort);
        }
        if (maxconn < 0 || maxconn > ListenerLimits.MAX_CONN) {
            throw new IllegalArgumentException("server " + Endpoint.hostPort(address) + ": maxconn must be 0.."
                + ListenerLimits.MAX_CONN + ", got " + maxconn);
        }
        if (name == null) {
            name = Endpoint.hostPort(address);
        }
        Names.check("server", name);
        if (sendProxy == null) {
            sendProxy = SendProxy.NONE;
        }
    }

    /** With no connection cap. */
    public ServerConfig(final String name, final InetSocketAddress address, final int weight, final boolean backup,
                        final int checkPort, final SendProxy sendProxy) {
        this(name, address, weight, backup, checkPort, sendProxy, 0);
    }

    /** Without a PROXY header or a connection cap. */
    public ServerConfig(final String name, final InetSocketAddress address, final int weight, final boolean backup,
                        final int checkPort) {
        this(name, address, weight, backup, checkPort, SendProxy.NONE);
    }

    public ServerConfig(final String name, final InetSocketAddress address, final int weight) {
        this(name, address, weight, false, 0);
    }

    public ServerConfig(final InetSocketAddress address, final int weight) {
        this(null, address, weight);
    }

    public ServerConfig withMaxconn(final int n) {
        return new ServerConfig(name, address, weight, backup, checkPort, sendProxy, n);
    }

    /** Where active checks connect: the server's address, or its host at {@link #checkPort()}. */
    public InetSocketAddress checkAddress() {
        return checkPort == 0 ? address : new InetSocketAddress(address.getAddress(), checkPort);
    }

    /**
     * A name an operator gives a server (config, flag, admin API): not one with {@code #}, which is how DNS discovery
     * names the servers it finds ({@code NAME:PORT#ADDRESS}): a server named so hid the address DNS gave under that
     * name, which was then never added, in silence (black-box testing, session 30).
     */
    public static String checkGivenName(final String name) {
        if (name.indexOf(DnsServerSpec.SEPARATOR) >= 0) {
            throw new IllegalArgumentException("server name " + Quoted.of(name) + ": must not hold '#', which names "
                + "the servers DNS discovery finds (NAME:PORT#ADDRESS)");
        }
        return name;
    }

    /**
     * Parses the command line form {@code HOST:PORT[,weight=N][,name=NAME][,backup][,check-port=N][,send-proxy]
     * [,send-proxy-v2][,proxy-udp=first|every][,maxconn=N]}.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad part
     */
    public static ServerConfig parse(final String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty server: expected HOST:PORT[,weight=N][,name=NAME][,backup]"
                + "[,check-port=N][,send-proxy|send-proxy-v2][,maxconn=N]");
        }
        // -1: a trailing comma is an empty option, refused, not dropped ("HOST:PORT," was a line cut in two)
        final String[] parts = spec.split(",", -1);
        if (parts[0].isBlank()) { // nothing but commas (found by fuzzing), or none before them
            throw new IllegalArgumentException("server " + Quoted.of(spec) + ": expected HOST:PORT[,weight=N][,name=NAME]"
                + "[,backup][,check-port=N][,send-proxy|send-proxy-v2][,maxconn=N]");
        }
        final Endpoint endpoint = Endpoint.parse(parts[0]);
        int weight = DEFAULT_WEIGHT;
        String name = null;
        boolean backup = false;
        int checkPort = 0;
        SendProxy.Version proxyVersion = SendProxy.Version.NONE;
        SendProxy.UdpMode proxyUdp = null;
        int maxconn = 0;
        final Set<String> given = new HashSet<>();
        for (int i = 1; i < parts.length; i++) {
            final String option = parts[i].strip();
            if (option.isEmpty()) {
                throw new IllegalArgumentException("server " + Quoted.of(spec) + ": an empty option (a comma too many)");
            }
            final int eq = option.indexOf('=');
            final String key = eq < 0 ? option : option.substring(0, eq);
            final String value = eq < 0 ? "" : option.substring(eq + 1);
            if (!given.add(key)) { // weight=1,weight=2 was the last one, silently: which did the operator mean?
                throw new IllegalArgumentException("server " + Quoted.of(spec) + ": " + Quoted.of(key)
                    + " is given twice");
            }
            switch (key) {
                case "weight" -> {
                    try {
                        weight = Numbers.parseInt(value);
                    } catch (final NumberFormatException e) {
                        throw new IllegalArgumentException("server " + Quoted.of(spec) + ": weight must be a number 0.."
                            + MAX_WEIGHT + ", got " + Quoted.of(value));
                    }
                }
                case "name" -> {
                    if (value.isBlank()) {
                        throw new IllegalArgumentException("server " + Quoted.of(spec) + ": name must not be empty");
                    }
                    name = checkGivenName(value);
                }
                case "backup" -> {
                    if (eq >= 0) {
                        throw new IllegalArgumentException("server " + Quoted.of(spec) + ": backup takes no value");
                    }
                    backup = true;
                }
                case "check-port" -> {
                    try {
                        checkPort = Numbers.parseInt(value);
                    } catch (final NumberFormatException e) {
                        checkPort = -1;
                    }
                    if (checkPort < 0 || checkPort > 65535) { // 0: none, the server's own port, as in a server map
                        throw new IllegalArgumentException("server " + Quoted.of(spec) + ": check-port must be 0..65535, got "
                            + Quoted.of(value));
                    }
                }
                case "send-proxy", "send-proxy-v2" -> {
                    if (eq >= 0) {
                        throw new IllegalArgumentException("server " + Quoted.of(spec) + ": " + key + " takes no value");
                    }
                    if (proxyVersion != SendProxy.Version.NONE) {
                        throw new IllegalArgumentException("server " + Quoted.of(spec)
                            + ": give one of send-proxy and send-proxy-v2");
                    }
                    proxyVersion = key.equals("send-proxy") ? SendProxy.Version.V1 : SendProxy.Version.V2;
                }
                case "proxy-udp" -> proxyUdp = switch (value) {
                    case "first" -> SendProxy.UdpMode.FIRST;
                    case "every" -> SendProxy.UdpMode.EVERY;
                    default -> throw new IllegalArgumentException("server " + Quoted.of(spec)
                        + ": proxy-udp must be first or every, got " + Quoted.of(value));
                };
                case "maxconn" -> {
                    try {
                        maxconn = Numbers.parseInt(value);
                    } catch (final NumberFormatException e) {
                        maxconn = -1;
                    }
                    if (maxconn < 0 || maxconn > ListenerLimits.MAX_CONN) { // 0: no cap, as in a server map
                        throw new IllegalArgumentException("server " + Quoted.of(spec) + ": maxconn must be 0.."
                            + ListenerLimits.MAX_CONN + ", got " + Quoted.of(value));
                    }
                }
                default -> throw new IllegalArgumentException("server " + Quoted.of(spec) + ": unknown option " + Quoted.of(key)
                    + " (expected weight=N, name=NAME, backup, check-port=N, send-proxy, send-proxy-v2,"
                    + " proxy-udp=first|every or maxconn=N)");
            }
        }
        if (proxyUdp != null && proxyVersion != SendProxy.Version.V2) {
            throw new IllegalArgumentException("server " + Quoted.of(spec) + ": proxy-udp needs send-proxy-v2 (v1 is TCP only)");
        }
        final SendProxy sendProxy = new SendProxy(proxyVersion, proxyUdp == null ? SendProxy.UdpMode.FIRST : proxyUdp);
        try {
            return new ServerConfig(name, endpoint.address(), weight, backup, checkPort, sendProxy, maxconn);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("server " + Quoted.of(spec) + ": " + e.getMessage().replaceFirst("^server \\S+: ", ""));
        }
    }
}
