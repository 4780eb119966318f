package dev.niolb.cli;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.LogConfig;
import dev.niolb.config.SyslogAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The observability flags {@code run} and {@code demo} share: where the admin API listens, its token, the
 * access log's format, and where the logs go besides standard output (an access log file, syslog).
 *
 * <p>The default address ({@code --admin} not given) is taken only when free and no token guards it: a second
 * niolb on the host (its 9900 taken) runs without an admin API and says so, instead of failing. An address given,
 * the default one too, or one with a token, must bind. The config file's {@code admin:} keys follow the same rule
 * ({@link AdminConfig#of}, {@link AdminConfig#atDefault}).
 */
final class AdminOptions {
    /** {@code HOST:PORT} or {@code none}. */
    static final class AdminAddress implements ITypeConverter<Address> {
        @Override
        public Address convert(final String text) {
            try {
                return new Address(AdminConfig.parseAddress(text));
            } catch (final IllegalArgumentException e) {
                throw new Converters.BadValue(e.getMessage());
            }
        }
    }

    /** A parsed {@code --admin}: null for {@code none}. */
    record Address(InetSocketAddress address) {
    }

    /** A host name or address the admin API answers to. */
    static final class AllowedHost implements ITypeConverter<String> {
        @Override
        public String convert(final String text) {
            try {
                return AdminConfig.parseAllowedHost(text);
            } catch (final IllegalArgumentException e) {
                throw new Converters.BadValue(e.getMessage());
            }
        }
    }

    /** {@code off}, {@code plain}, {@code json}. */
    static final class Format implements ITypeConverter<AccessLogFormat> {
        @Override
        public AccessLogFormat convert(final String text) {
            try {
                return AccessLogFormat.parse(text);
            } catch (final IllegalArgumentException e) {
                throw new Converters.BadValue(e.getMessage());
            }
        }
    }

    @Option(names = "--admin", paramLabel = "HOST:PORT|none", converter = AdminAddress.class,
        description = "Admin HTTP API and stats page (GET / , /metrics, /api/stats; POST to drain, weigh, ...), "
            + "or none (default: " + AdminConfig.DEFAULT_ADDRESS + "; if that is busy and no token file is given, niolb runs without it; an address given must bind).")
    private Address admin;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT", converter = AdminAddress.class,
        description = "A read-only listener: GET /metrics and GET /ready only, no token, nothing that changes "
            + "anything; runs with or without the admin API (--admin none). Default: none.")
    private Address metricsAddress;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
        description = "A file holding the bearer token that every state-changing admin call must send "
            + "(Authorization: Bearer TOKEN). Default: none.")
    private Path tokenFile;

    @Option(names = "--admin-allowed-host", paramLabel = "NAME", converter = AllowedHost.class,
        description = "A host name (or address) the admin API answers to besides localhost, loopback addresses and "
            + "the address it is reached on: what browsers send as Host when the API is reached by that name. "
            + "Repeatable. Other names are refused (403), against DNS rebinding.")
    private List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--access-log", paramLabel = "FORMAT", defaultValue = "off", converter = Format.class,
        description = "One line per closed session and ended UDP flow on stdout (logger niolb.access): off, plain "
            + "(HAProxy-tcplog-like fields) or json (default: ${DEFAULT-VALUE}).")
    private AccessLogFormat accessLog;

    @Option(names = "--access-log-file", paramLabel = "FILE",
        description = "Write the access log to this file instead of stdout, rotated daily and at "
            + "--access-log-max-size (FILE.DATE.N.gz). Needs --access-log plain or json. Default: stdout.")
    private Path accessLogFile;

    @Option(names = "--access-log-max-size", paramLabel = "SIZE", defaultValue = "100m",
        converter = Converters.ByteSize.class,
        description = "Rotate the access log file when it reaches this size (default: ${DEFAULT-VALUE}).")
    private int accessLogMaxSize;

    @Option(names = "--access-log-max-history", paramLabel = "DAYS", defaultValue = "7",
        description = "Days of rotated access log files kept (default: ${DEFAULT-VALUE}).")
    private int accessLogMaxHistory;

    @Option(names = "--syslog", paramLabel = "ADDRESS", converter = Converters.Syslog.class,
        description = "Also send both logs (niolb's own and the access log) as RFC 5424 syslog messages to "
            + "udp://HOST:PORT or a local Unix datagram socket unix:/PATH (e.g. unix:/dev/log); MSGID access for "
            + "access lines. Default: none.")
    private SyslogAddress syslog;

    @Option(names = "--syslog-facility", paramLabel = "NAME", defaultValue = "daemon",
        description = "The syslog facility: daemon, user, local0 ... local7, ... (default: ${DEFAULT-VALUE}).")
    private String syslogFacility;

    /**
     * The admin API these flags ask for.
     *
     * @throws IllegalArgumentException for a token file or allowed hosts without an admin API
     */
    AdminConfig adminConfig() {
        final InetSocketAddress metrics = metricsAddress == null ? null : metricsAddress.address();
        if (admin == null) {
            return AdminConfig.atDefault(tokenFile).withMetricsAddress(metrics)
                .withAllowedHosts(allowedHosts);
        }
        if (admin.address() == null && tokenFile != null) {
            throw new IllegalArgumentException("--admin-token-file needs the admin API: not with --admin none");
        }
        if (admin.address() == null && metrics == null && !allowedHosts.isEmpty()) {
            throw new IllegalArgumentException("--admin-allowed-host needs the admin API or --metrics-address: not"
                + " with --admin none alone");
        }
        return AdminConfig.of(admin.address(), tokenFile).withMetricsAddress(metrics).withAllowedHosts(allowedHosts);
    }

    AccessLogFormat accessLog() {
        return accessLog;
    }

    /**
     * Where the logs go besides standard output.
     *
     * @throws IllegalArgumentException for a value the model refuses
     */
    LogConfig logs() {
        return new LogConfig(accessLogFile, accessLogMaxSize, accessLogMaxHistory, syslog, syslogFacility);
    }
}
