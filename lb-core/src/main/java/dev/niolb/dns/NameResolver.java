package dev.niolb.dns;

import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.ServerConfig;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.hosts.HostsFileParser;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a {@link DnsServerSpec} to the servers it stands for, with the smallest TTL of the records that made
 * them, through dnsjava: the JDK's {@code InetAddress} gives neither TTLs nor SRV records, and cannot be pointed
 * at a resolver on another address or port.
 *
 * <p>Threading: stateless between calls apart from the dnsjava resolver, which is threadsafe; lookups block for
 * up to the configured timeout, so call this off the relay loops (a virtual thread).
 *
 * <p>An answer with no address (NXDOMAIN, no data, every SRV target gone) is a failure, not an empty set: a
 * group is never emptied by DNS, the caller keeps the servers it had.
 */
public final class NameResolver {
    private static final int MAX_WEIGHT = ServerConfig.MAX_WEIGHT;

    /** Seconds an answer from the hosts file is kept: the file rarely changes, but it may. */
    static final long HOSTS_TTL_SECONDS = 60;

    private final Resolver resolver;
    private final boolean system;
    private final HostsFileParser hostsFile;
    private final long timeoutNanos;

    /**
     * The servers one spec stands for now, and how long the answer may be kept (seconds); {@code failedFamilies}:
     * the families whose query failed while the other's answered ({@link #IPV4} for A, {@link #IPV6} for AAAA;
     * 0 when none), whose addresses may therefore be missing here.
     */
    public record Answer(List<ServerConfig> servers, long ttlSeconds, int failedFamilies) {
        public static final int IPV4 = 1;
        public static final int IPV6 = 2;

        public Answer {
            servers = List.copyOf(servers);
        }
    }

    public NameResolver(final DnsConfig config) {
        this.timeoutNanos = config.timeout().toNanos();
        if (config.resolver() != null) {
            final SimpleResolver simple = new SimpleResolver(config.resolver());
            simple.setTimeout(config.timeout());
            this.resolver = simple;
            this.system = false;
            this.hostsFile = null;
        } else {
            final ExtendedResolver extended = new ExtendedResolver(); // the system's servers (resolv.conf)
            extended.setTimeout(config.timeout());
            this.resolver = extended;
            this.system = true;
            this.hostsFile = new HostsFileParser();
        }
    }

    /**
     * @throws IOException when the resolver did not answer, answered with an error, or gave no address
     */
    public Answer resolve(final DnsServerSpec spec) throws IOException {
        return spec.srv() ? resolveSrv(spec) : resolveHost(spec);
    }

    private Answer resolveHost(final DnsServerSpec spec) throws IOException {
        final long[] ttl = {Long.MAX_VALUE};
        final int[] failed = {0};
        final int[] unspecified = {0};
        final List<InetAddress> addresses = addresses(spec.host(), ttl, failed, unspecified);
        if (addresses.isEmpty()) {
            // not "no record" when there were some, of no use (black-box testing, session 27)
            throw new IOException(unspecified[0] > 0
                ? spec.host() + " has only 0.0.0.0 or :: (a sinkhole's no-address) or multicast or broadcast "
                    + "addresses, which are no server's"
                : "no A or AAAA record for " + spec.host());
        }
        final List<ServerConfig> servers = new ArrayList<>();
        for (final InetAddress a : addresses) {
            servers.add(spec.server(new InetSocketAddress(a, spec.port()), -1, false));
        }
        return new Answer(servers, ttl[0], failed[0]);
    }

    /**
     * SRV: every target's addresses at the record's port. The lowest priority present are the primaries, the
     * others backups (RFC 2782: tried only when no lower priority is reachable). Weights above 256 are scaled
     * down in proportion; a weight of 0 becomes 1 (RFC 2782 gives it a small chance, not none).
     */
    private Answer resolveSrv(final DnsServerSpec spec) throws IOException {
        final long[] ttl = {Long.MAX_VALUE};
        final int[] failed = {0};
        final List<SRVRecord> records = new ArrayList<>();
        for (final Record r : lookup(spec.host(), Type.SRV, ttl)) {
            if (r instanceof SRVRecord srv && !srv.getTarget().equals(Name.root)) { // "." says: no such service
                records.add(srv);
            }
        }
        if (records.isEmpty()) {
            throw new IOException("no SRV record for " + spec.host());
        }
        int lowest = Integer.MAX_VALUE;
        int heaviest = 0;
        for (final SRVRecord r : records) {
            lowest = Math.min(lowest, r.getPriority());
            heaviest = Math.max(heaviest, r.getWeight());
        }
        final Map<String, ServerConfig> servers = new LinkedHashMap<>();
        for (final SRVRecord r : records) {
            final int weight = heaviest <= MAX_WEIGHT ? Math.max(1, r.getWeight())
                : (int) Math.max(1, Math.round(r.getWeight() * (double) MAX_WEIGHT / heaviest));
            for (final InetAddress a : addresses(r.getTarget().toString(), ttl, failed, new int[1])) {
                final ServerConfig s = spec.server(new InetSocketAddress(a, r.getPort()), weight,
                    r.getPriority() != lowest);
                servers.putIfAbsent(s.name(), s);
            }
        }
        if (servers.isEmpty()) {
            throw new IOException("no address for the SRV targets of " + spec.host());
        }
        return new Answer(List.copyOf(servers.values()), ttl[0], failed[0]);
    }

    /**
     * A and AAAA addresses of {@code host}, in answer order; lowers {@code ttl[0]} to the records' smallest. With
     * the system's resolver a name in the hosts file is answered from there alone, as the C library does
     * ({@code localhost} with only an IPv4 line asks no DNS server for an IPv6 address).
     */
    private List<InetAddress> addresses(final String host, final long[] ttl, final int[] failedFamilies,
                                        final int[] unspecified) throws IOException {
        final List<InetAddress> out = new ArrayList<>();
        if (hostsFile != null) {
            final Name name = Name.fromString(host.endsWith(".") ? host : host + ".");
            hostsFile.getAddressForHost(name, Type.A).ifPresent(out::add);
            hostsFile.getAddressForHost(name, Type.AAAA).ifPresent(out::add);
            if (!out.isEmpty()) {
                ttl[0] = Math.min(ttl[0], HOSTS_TTL_SECONDS);
                return named(host, out, unspecified);
            }
        }
        // as the C library's getaddrinfo: one of the two queries failing (a server that refuses AAAA, say) leaves
        // the other's answer good; only when neither answers is the name a failure, never an empty set
        // the two at once, as getaddrinfo sends them: one after the other, a resolver that never answers held a
        // start (which waits for every name) for twice the timeout
        final long[] ttl6 = {Long.MAX_VALUE};
        final Object[] aaaa = new Object[1]; // its records, or its IOException
        final Thread second = Thread.ofVirtual().name("niolb-dns-aaaa-" + host).start(() -> {
            try {
                aaaa[0] = lookup(host, Type.AAAA, ttl6);
            } catch (final IOException e) {
                aaaa[0] = e;
            }
        });
        IOException failed = null;
        int families = 0;
        try {
            for (final Record r : lookup(host, Type.A, ttl)) {
                if (r instanceof ARecord a) {
                    out.add(a.getAddress());
                }
            }
        } catch (final IOException e) {
            failed = e;
            families |= Answer.IPV4;
        }
        try {
            second.join();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (aaaa[0] instanceof List<?> records) {
            ttl[0] = Math.min(ttl[0], ttl6[0]);
            for (final Object r : records) {
                if (r instanceof AAAARecord a) {
                    out.add(a.getAddress());
                }
            }
        } else {
            if (failed == null) {
                failed = (IOException) aaaa[0];
            }
            families |= Answer.IPV6;
        }
        if (out.isEmpty() && failed != null) {
            throw failed;
        }
        failedFamilies[0] |= families;
        return named(host, out, unspecified);
    }

    /**
     * The addresses, each carrying the name they were looked up by (no reverse lookup ever asks for it): an HTTP
     * check sends it as its {@code Host}, as an operator who wrote the name expects of a name-based virtual host.
     */
    private static List<InetAddress> named(final String host, final List<InetAddress> addresses,
                                           final int[] unspecified) throws IOException {
        final String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        final List<InetAddress> out = new ArrayList<>(addresses.size());
        for (final InetAddress a : addresses) {
            // 0.0.0.0 and :: are a DNS sinkhole's "no address", not a server: Linux connects them to this host,
            // and a blocked name became a backend on loopback (black-box testing, session 27)
            if (!a.isAnyLocalAddress() && !dev.niolb.config.ServerConfig.reachesMany(a)) {
                out.add(InetAddress.getByAddress(name, a.getAddress()));
            }
        }
        unspecified[0] += addresses.size() - out.size();
        return out;
    }

    /** The records of one type; empty for NXDOMAIN or no data; lowers {@code ttl[0]}. */
    private List<Record> lookup(final String host, final int type, final long[] ttl) throws IOException {
        final Lookup lookup;
        try {
            // an explicit resolver is asked for the name as written (absolute); the system's applies its search
            // domains and /etc/hosts as the C library would
            lookup = system ? new Lookup(host, type) : new Lookup(Name.fromString(host, Name.root), type);
        } catch (final TextParseException e) {
            throw new IOException("'" + host + "' is not a DNS name: " + e.getMessage(), e);
        }
        lookup.setResolver(resolver);
        lookup.setCache(null); // a fresh answer with the server's TTLs, not a shared cache's
        lookup.setHostsFileParser(null); // looked at before, for names only (not SRV)
        final long started = System.nanoTime();
        final Record[] records = lookup.run();
        final int result = lookup.getResult();
        if (result == Lookup.HOST_NOT_FOUND || result == Lookup.TYPE_NOT_FOUND) {
            return List.of();
        }
        if (result != Lookup.SUCCESSFUL || records == null) {
            // dnsjava says "network error" for a resolver that never answered as for one that refused at once
            final boolean waitedOut = result == Lookup.TRY_AGAIN && System.nanoTime() - started >= timeoutNanos;
            throw new IOException(Type.string(type) + " lookup of " + host + " failed: "
                + (waitedOut ? "timed out" : lookup.getErrorString()));
        }
        for (final Record r : records) {
            ttl[0] = Math.min(ttl[0], r.getTTL());
        }
        return List.of(records);
    }
}
