package dev.niolb.config;

import java.lang.reflect.RecordComponent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * Servers given by a DNS name, resolved at start and again as their records' TTLs run out: {@code HOST:PORT}
 * takes every A and AAAA address of HOST at PORT; {@code srv:_service._proto.NAME} takes the targets, ports and
 * weights of NAME's SRV records (the lowest priority are primaries, higher ones backups).
 *
 * <p>Each address becomes a {@link ServerConfig} named {@code NAME#ADDRESS} ({@code api.internal:8080#10.0.0.1},
 * {@code srv:_api._tcp.example#10.0.0.1:8080}), with every other setting from {@code template}: the options
 * written after the name ({@code weight=N}, {@code backup}, {@code check-port=N}, and whatever options servers
 * have), parsed exactly as for a server given by address.
 *
 * @param name     the prefix of the servers' names: {@code HOST:PORT} or {@code srv:NAME} unless {@code name=} said
 * @param host     the name to resolve (for SRV, the SRV owner name)
 * @param port     the port of every address (A/AAAA); 0 for SRV, whose records give the ports
 * @param srv      whether {@code host} names SRV records
 * @param template a server's settings other than its name and address (the address in it is a placeholder)
 */
public record DnsServerSpec(String name, String host, int port, boolean srv, ServerConfig template) {
    /** The placeholder address of the template: never connected to. */
    public static final InetSocketAddress PLACEHOLDER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1);

    public DnsServerSpec {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(template, "template");
        if (!isName(host)) {
            throw new IllegalArgumentException(Quoted.of(host) + " is not a DNS name");
        }
        if (!srv && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("server " + Quoted.escaped(host) + ": port must be 1..65535, got " + port);
        }
        if (name == null) {
            name = srv ? "srv:" + host : host + ":" + port;
        }
        Names.check("server", name);
        if (!template.address().equals(PLACEHOLDER) || !template.name().equals(Endpoint.hostPort(PLACEHOLDER))) {
            // the options alone: two specs with the same options are equal however they were written
            template = with(template, Endpoint.hostPort(PLACEHOLDER), PLACEHOLDER, template.weight(), template.backup());
        }
    }

    /** Servers at every address of {@code host}, at {@code port}, with the default settings. */
    public static DnsServerSpec of(final String host, final int port) {
        return new DnsServerSpec(null, host, port, false, new ServerConfig(PLACEHOLDER, ServerConfig.DEFAULT_WEIGHT));
    }

    /**
     * Whether the host of {@code HOST:PORT[,options]} is a name to resolve rather than an IP address (an IPv6
     * address is written in brackets). {@code srv:} specs are always names.
     */
    public static boolean isNameSpec(final String spec) {
        if (spec == null) {
            return false;
        }
        final String s = spec.strip();
        if (s.regionMatches(true, 0, "srv:", 0, 4)) {
            return true;
        }
        final String address = s.split(",", 2)[0];
        final int colon = address.lastIndexOf(':');
        if (address.startsWith("[") || colon <= 0) {
            return false;
        }
        final String host = address.substring(0, colon);
        return isName(host) && !host.chars().allMatch(c -> Numbers.isDigit((char) c) || c == '.');
    }

    /**
     * Parses {@code HOST:PORT[,options]} or {@code srv:NAME[,options]}: the options as for a server given by
     * address ({@link ServerConfig#parse}); {@code name=N} names the servers {@code N#ADDRESS}.
     *
     * @throws IllegalArgumentException with one line naming the bad part
     */
    public static DnsServerSpec parse(final String spec) {
        final String s = spec.strip();
        final int comma = s.indexOf(',');
        final String target = comma < 0 ? s : s.substring(0, comma);
        final String options = comma < 0 ? "" : s.substring(comma);
        if (target.regionMatches(true, 0, "srv:", 0, 4)) {
            final String host = target.substring(4);
            if (!isName(host)) {
                throw new IllegalArgumentException("bad server " + Quoted.of(spec) + ": expected srv:_service._proto.NAME");
            }
            final ServerConfig template = template(spec, 1, options);
            return new DnsServerSpec(explicitName(template), host, 0, true, template);
        }
        final int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("bad address " + Quoted.of(target) + ": expected HOST:PORT");
        }
        final String host = target.substring(0, colon);
        if (!isName(host)) {
            throw new IllegalArgumentException("bad address " + Quoted.of(target) + ": " + Quoted.of(host) + " is not a host name");
        }
        // the address parser's port (020911 is 20911, as for an IP: black-box testing, session 29), and not 0
        int port;
        try {
            port = Endpoint.parsePort(target, target.substring(colon + 1));
        } catch (final IllegalArgumentException e) {
            port = 0;
        }
        if (port == 0) {
            throw new IllegalArgumentException("bad address " + Quoted.of(target) + ": port must be a number 1..65535");
        }
        final ServerConfig template = template(spec, port, options);
        return new DnsServerSpec(explicitName(template), host, port, false, template);
    }

    /** The options parsed by {@link ServerConfig#parse} on a placeholder address, so both forms take the same. */
    private static ServerConfig template(final String spec, final int port, final String options) {
        try {
            return ServerConfig.parse(Endpoint.hostPort(PLACEHOLDER) + options);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace(Quoted.of(Endpoint.hostPort(PLACEHOLDER) + options),
                Quoted.of(spec)));
        }
    }

    private static String explicitName(final ServerConfig template) {
        return template.name().equals(Endpoint.hostPort(PLACEHOLDER)) ? null : template.name();
    }

    /**
     * This spec with other options ({@code template}'s, its address ignored) and, when {@code name} is not null,
     * another name: for a config file's server written as a map of options.
     */
    public DnsServerSpec withOptions(final String serverName, final ServerConfig options) {
        return new DnsServerSpec(serverName, host, port, srv, with(options, Endpoint.hostPort(PLACEHOLDER), PLACEHOLDER,
            options.weight(), options.backup()));
    }

    /** What a user writes for it: {@code HOST:PORT} or {@code srv:NAME}. */
    public String target() {
        return srv ? "srv:" + host : host + ":" + port;
    }

    /** Letters, digits, {@code -}, {@code _} and dots, not starting with a dot: what a DNS name may hold. */
    static boolean isName(final String host) {
        if (host.isEmpty() || host.length() > 253 || host.startsWith(".") || host.contains("..")) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /**
     * The server at one resolved address: named {@code NAME#ADDRESS}, with the template's settings and, for SRV,
     * the record's weight and priority (a backup when it is not the lowest).
     *
     * @param weight the weight, or -1 for the template's
     */
    public ServerConfig server(final InetSocketAddress address, final int weight, final boolean backup) {
        final String suffix = srv ? Endpoint.hostPort(address) : hostOnly(address);
        return with(template, name + SEPARATOR + suffix, address, weight < 0 ? template.weight() : weight,
            template.backup() || backup);
    }

    /** Whether {@code serverName} is one of this spec's servers. */
    public boolean owns(final String serverName) {
        return serverName.startsWith(name + SEPARATOR);
    }

    /**
     * Between a spec's name and an address in the names of the servers it finds ({@code NAME#ADDRESS}); a name an
     * operator gives a server holds none ({@link ServerConfig#checkGivenName}), so the two never meet.
     */
    public static final char SEPARATOR = '#';

    /** Whether {@code serverName} is one DNS discovery gave ({@code NAME#ADDRESS}). */
    public static boolean isFound(final String serverName) {
        return serverName.indexOf(SEPARATOR) > 0;
    }

    /** The name of the spec that found the server {@code serverName} ({@link #isFound}): what comes before '#'. */
    public static String specName(final String serverName) {
        return serverName.substring(0, Math.max(0, serverName.indexOf(SEPARATOR)));
    }

    private static String hostOnly(final InetSocketAddress address) {
        final String hp = Endpoint.hostPort(address);
        return hp.substring(0, hp.lastIndexOf(':'));
    }

    /**
     * A copy of {@code template} with another name and address and every other component the same, through the
     * record's canonical constructor: options that servers gain later (PROXY protocol, connection limits) carry
     * over to resolved servers without this class knowing them.
     */
    private static ServerConfig with(final ServerConfig template, final String name, final InetSocketAddress address,
                                     final int weight, final boolean backup) {
        final RecordComponent[] components = ServerConfig.class.getRecordComponents();
        final Object[] values = new Object[components.length];
        final Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                values[i] = switch (components[i].getName()) {
                    case "name" -> name;
                    case "address" -> address;
                    case "weight" -> weight;
                    case "backup" -> backup;
                    default -> components[i].getAccessor().invoke(template);
                };
            }
            return ServerConfig.class.getDeclaredConstructor(types).newInstance(values);
        } catch (final ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy a server config: " + e, e);
        }
    }

    @Override
    public String toString() {
        return name.toLowerCase(Locale.ROOT).equals((srv ? "srv:" + host : host + ":" + port).toLowerCase(Locale.ROOT))
            ? name : name + "(" + (srv ? "srv:" + host : host + ":" + port) + ")";
    }
}
