package dev.niolb.cli;

import dev.niolb.admission.Cidr;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.BusyPoll;
import dev.niolb.LoadBalancer;
import dev.niolb.config.Config;
import dev.niolb.config.DnsConfig;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.Endpoint;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.Splice;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.UdpOptions;
import dev.niolb.config.file.ConfigFile;
import dev.niolb.config.file.ConfigSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code niolb run}: flags to one {@link Config} (every listener in front of one group named {@code default}), or
 * {@code --config FILE} alone, then the engine in the foreground until SIGTERM or SIGINT. The file's keys are the
 * flags' names, read into the same records ({@link ConfigFile}); a test keeps the two equivalent.
 *
 * <p>The defaults written here are those of {@link TcpOptions#DEFAULTS}, {@link UdpOptions#DEFAULTS} and
 * {@link Config#DEFAULT_GRACE}, as text so that {@code --help} shows them; a test keeps them the same.
 * A run may mix TCP and UDP listeners; the {@code --udp-*} flags apply to its UDP listeners.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.RUN_OK, ExitCodes.RUN_FAILED, ExitCodes.USAGE, ExitCodes.RUN_CONFIG, ExitCodes.RUN_FORCED}, versionProvider = Version.class, sortOptions = false,
    description = {"Balance TCP connections and UDP flows from the listen addresses over the servers.",
        "Runs until SIGTERM or SIGINT, then stops accepting, lets sessions finish for up to --grace, and exits 0."},
    footerHeading = "%nExamples:%n",
    footer = {"  niolb run --listen 0.0.0.0:8080 --server 10.0.0.1:80 \\",
        "            --server 10.0.0.2:80,weight=3 --balance weighted",
        "  niolb run --listen udp://0.0.0.0:53 --server 10.0.0.1:53 --udp-responses 1",
        "  niolb run --config /etc/niolb/niolb.yaml",
        "", "Durations: 250ms, 5s, 10m, 1h. Sizes: bytes, or 16k, 64k, 1m."})
public final class RunCommand implements Callable<Integer> {
    static final String GROUP = "default";

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
        description = "Read listeners, groups and options from this YAML file instead of flags (see niolb check); "
            + "no other flag may be given with it but --state-file, --control-socket and --takeover.")
    private Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = Converters.ListenAddress.class,
        description = "Address to accept on (HOST:PORT or [v6]:PORT; udp://HOST:PORT for UDP). Repeat for more; "
            + "all feed the same servers. Required unless --config is given.")
    private List<Endpoint> listen;

    @Option(names = "--server", paramLabel = "SERVER",
        converter = Converters.ServerSpec.class,
        description = {"A backend server: HOST:PORT[,weight=N][,name=NAME][,backup][,check-port=N]"
            + "[,send-proxy|send-proxy-v2][,proxy-udp=first|every][,maxconn=N]. Weight 0..256, "
            + "default 1; 0 takes no new connections. A backup takes connections only while no primary server is UP. "
            + "send-proxy(-v2) writes a PROXY protocol v1 (v2) header with the client's address first; for UDP "
            + "(v2 only) on the first datagram of a flow or on every one. maxconn: sessions at once; a full server "
            + "gets no new ones. "
            + "A host name stands for every address it resolves to, looked up again as its TTL runs out; "
            + "srv:_service._tcp.NAME takes the ports and weights of SRV records. Repeat for more. "
            + "Required unless --config is given."})
    private List<ServerArgument> servers;

    @Option(names = "--resolver", paramLabel = "HOST:PORT", converter = Converters.ListenAddress.class,
        description = "The DNS server that resolves server names (default: the system's, from /etc/resolv.conf, "
            + "and /etc/hosts).")
    private Endpoint resolver;

    @Option(names = "--balance", paramLabel = "ALG", defaultValue = "roundrobin",
        converter = Converters.AlgorithmName.class,
        description = "roundrobin, weighted, leastconn, source, random or leasttime (default: ${DEFAULT-VALUE}).")
    private Algorithm balance;

    @Option(names = "--max-connection-age", paramLabel = "D", defaultValue = "0",
        converter = Converters.DurationValue.class,
        description = "End a session after 90-100%% of this time, cleanly, at a moment niolb holds none of its bytes, "
            + "so long-lived clients reconnect and load rebalances; 0 never (default: ${DEFAULT-VALUE}).")
    private Duration maxConnectionAge;

    @Option(names = "--splice", paramLabel = "MODE", defaultValue = "auto", converter = Converters.SpliceMode.class,
        description = "When TCP bytes move by splice(2), kernel to kernel, instead of through a relay buffer: auto "
            + "(once a read fills a whole buffer), always or never; the epoll transport only "
            + "(default: ${DEFAULT-VALUE}).")
    private Splice splice;

    @Option(names = "--defer-accept",
        description = "Hand a TCP connection to niolb only once the client's first bytes have arrived "
            + "(TCP_DEFER_ACCEPT): one wake-up less, the server's handshake ACK sent with those bytes, and clients "
            + "that say nothing cost no session for a second. For protocols where the client speaks first (HTTP, "
            + "TLS, Redis ...): a client that waits for the server's greeting waits for the kernel's timeout, about a "
            + "second. The epoll transport only.")
    private boolean deferAccept;

    @Option(names = "--tcp-rcvbuf", paramLabel = "SIZE", defaultValue = "0", converter = Converters.ByteSize.class,
        description = "SO_RCVBUF on both sockets of each TCP session, 4k..1024m: bounds the kernel memory a backpressured "
            + "session holds, at the cost of throughput over long paths (capped by net.core.rmem_max; default: 0, "
            + "the kernel's autotuning).")
    private int tcpReceiveBuffer;

    @Option(names = "--tcp-sndbuf", paramLabel = "SIZE", defaultValue = "0", converter = Converters.ByteSize.class,
        description = "SO_SNDBUF on both sockets of each TCP session, 4k..1024m (capped by net.core.wmem_max; default: "
            + "0, the kernel's autotuning).")
    private int tcpSendBuffer;

    @Option(names = "--check", paramLabel = "CHECK", converter = Converters.Check.class,
        description = {"Active health check of every server: tcp, http:/PATH[,host=H][,method=M][,status=LO-HI], "
            + "send:TEXT,expect:TEXT (e.g. send:PING,expect:+PONG), dns:NAME (a DNS query over UDP, e.g. "
            + "dns:example.test) or agent:PORT. Give one health check and/or one "
            + "agent. Default: none (failed connects during traffic still take a server down)."})
    private List<CheckSpec> checks;

    @Option(names = "--check-interval", paramLabel = "D", defaultValue = "2s", converter = Converters.DurationValue.class,
        description = "Time between two checks of a server (default: ${DEFAULT-VALUE}).")
    private Duration checkInterval;

    @Option(names = "--check-timeout", paramLabel = "D", defaultValue = "1s", converter = Converters.DurationValue.class,
        description = "How long one check may take, connect and reply (default: ${DEFAULT-VALUE}).")
    private Duration checkTimeout;

    @Option(names = "--rise", paramLabel = "N", defaultValue = "2",
        description = "Checks passed in a row that bring a DOWN server UP (default: ${DEFAULT-VALUE}).")
    private int rise;

    @Option(names = "--fall", paramLabel = "N", defaultValue = "3",
        description = "Checks failed in a row that take an UP server DOWN (default: ${DEFAULT-VALUE}).")
    private int fall;

    @Option(names = "--max-fails", paramLabel = "N", defaultValue = "3",
        description = "Connects failed in a row during traffic that take a server DOWN at once; 0 off "
            + "(default: ${DEFAULT-VALUE}).")
    private int maxFails;

    @Option(names = "--slowstart", paramLabel = "D", defaultValue = "0", converter = Converters.DurationValue.class,
        description = "Ramp a server that comes back UP from 5%% to its full weight over this time; 0 off "
            + "(default: ${DEFAULT-VALUE}).")
    private Duration slowStart;

    @Option(names = "--drain-timeout", paramLabel = "D", defaultValue = "0", converter = Converters.DurationValue.class,
        description = "How long a draining server's sessions (UDP: flows) may go on by themselves before niolb closes them "
            + "(at --drain-rate, idlest first); 0 never (default: ${DEFAULT-VALUE}).")
    private Duration drainTimeout;

    @Option(names = "--drain-rate", paramLabel = "N", defaultValue = "0",
        description = "Sessions of a draining server closed per second after --drain-timeout; 0 all at once "
            + "(default: ${DEFAULT-VALUE}).")
    private int drainRate;

    @Option(names = "--panic-threshold", paramLabel = "PERCENT", defaultValue = "0",
        description = "While fewer than this percentage of the primary servers are UP (and no backup is), every "
            + "server not in drain or maintenance takes new sessions, DOWN ones included (Envoy's panic threshold); "
            + "0 off (default: ${DEFAULT-VALUE}).")
    private int panicThreshold;

    @Option(names = "--close-on-down",
        description = "Close a server's sessions when it goes DOWN (checks, passive detection, its agent), as "
            + "HAProxy's on-marked-down shutdown-sessions; by default they go on.")
    private boolean closeOnDown;

    // a String, read by the model: picocli takes a boolean field for a flag of no value
    @Option(names = "--backups", paramLabel = "MODE", defaultValue = "all",
        description = "Which backup servers take over while no primary takes new sessions: all (default, as nginx's "
            + "backup servers) or first (the first UP one in config order, as HAProxy's backup without option "
            + "allbackups: one replica behind a primary, not two).")
    private String backups;

    @Option(names = "--hash-balance-factor", paramLabel = "PERCENT", defaultValue = "0",
        description = "With --balance source: a server takes at most this percentage of the average load "
            + "(e.g. 125); clients over it go to the next server in the hash order. 0 off (default: ${DEFAULT-VALUE}).")
    private int hashBalanceFactor;

    @Option(names = "--threads", paramLabel = "N", converter = Converters.WholeOrAuto.class,
        description = "Event loops, each with its own selector and listening socket (default, or auto: one per core).")
    private Integer threads;

    @Option(names = "--control-socket", paramLabel = "PATH",
        description = "A Unix socket (mode 0600) where a new niolb started with --takeover PATH takes this one's "
            + "listening sockets over: restart or upgrade without systemd and without refusing a connection. "
            + "Also with --config (it is about this process, not the config). Epoll transport.")
    private Path controlSocket;

    @Option(names = "--takeover", paramLabel = "PATH",
        description = "Start on the listening sockets of the niolb whose --control-socket is PATH: it stops "
            + "accepting once this one listens, and its sessions finish within its grace. Also with --config; "
            + "usually with --control-socket PATH too, for the next time. Epoll transport.")
    private Path takeoverFrom;

    @Option(names = "--state-file", paramLabel = "PATH",
        description = "Keep the servers' operator states (drain, maint, and weights set through the admin API or "
            + "niolb server) in PATH, and start from them: a server in maintenance stays so across a restart or an "
            + "upgrade. Also with --config (it is about this process, not the config). The systemd unit sets "
            + "/var/lib/niolb/operator-states.")
    private Path stateFile;

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "auto",
        converter = Converters.TransportName.class,
        description = "How the event loops do socket I/O: epoll (Linux, through the FFM API), nio (JDK NIO, "
            + "portable) or auto (epoll where it can run). Fixed until a restart (default: ${DEFAULT-VALUE}).")
    private TransportChoice transport;

    @Option(names = "--busy-poll", paramLabel = "T", defaultValue = "off", converter = Converters.BusyPollValue.class,
        description = "Each loop goes on polling this long without sleeping after it last found a socket ready "
            + "(50us, 1ms; at most 100ms): fewer wake-ups and lower latency for request/response traffic, at up to a "
            + "whole core per busy loop; an idle loop still sleeps (default: ${DEFAULT-VALUE}).")
    private BusyPoll busyPoll;

    @Option(names = "--connect-timeout", paramLabel = "D", defaultValue = "5s",
        converter = Converters.DurationValue.class,
        description = "Time a connect to one server may take before the next is tried (default: ${DEFAULT-VALUE}).")
    private Duration connectTimeout;

    @Option(names = "--idle-timeout", paramLabel = "D", defaultValue = "10m",
        converter = Converters.DurationValue.class,
        description = "Close a session with no bytes either way for this long; 0 never (default: ${DEFAULT-VALUE}).")
    private Duration idleTimeout;

    @Option(names = "--retries", paramLabel = "N", defaultValue = "2",
        description = "Further servers tried after a failed connect (UDP: after port unreachable), unseen by the client "
            + "(default: ${DEFAULT-VALUE}).")
    private int retries;

    @Option(names = "--grace", paramLabel = "D", defaultValue = "30s", converter = Converters.DurationValue.class,
        description = "On SIGTERM/SIGINT, how long sessions may finish before they are closed; 0 closes them at once "
            + "(default: ${DEFAULT-VALUE}).")
    private Duration grace;

    @Option(names = "--shutdown-delay", paramLabel = "D", defaultValue = "0", converter = Converters.DurationValue.class,
        description = "On SIGTERM/SIGINT, answer 503 on GET /ready for this long while still accepting, before the graceful "
            + "stop: upstream health checks withdraw the instance first (default: ${DEFAULT-VALUE}).")
    private Duration shutdownDelay;

    @Option(names = "--no-nodelay", description = "Turn TCP_NODELAY off (it is on for both sockets by default).")
    private boolean noNoDelay;

    @Option(names = "--keepalive", description = "Turn SO_KEEPALIVE on for both sockets.")
    private boolean keepAlive;

    @Option(names = "--backlog", paramLabel = "N", defaultValue = "1024",
        description = "Listen backlog (default: ${DEFAULT-VALUE}).")
    private int backlog;

    @Option(names = "--buffer-size", paramLabel = "SIZE", defaultValue = "64k", converter = Converters.ByteSize.class,
        description = "Size of each pooled relay buffer (default: ${DEFAULT-VALUE}).")
    private int bufferSize;

    @Option(names = "--udp-idle-timeout", paramLabel = "D", defaultValue = "30s",
        converter = Converters.DurationValue.class,
        description = "End a UDP flow with no datagram either way for this long (default: ${DEFAULT-VALUE}).")
    private Duration udpIdleTimeout;

    @Option(names = "--udp-responses", paramLabel = "N", defaultValue = "0",
        description = "End a UDP flow at once when it has had N replies per datagram it sent (1 for DNS); "
            + "0 leaves it to the idle timeout (default: ${DEFAULT-VALUE}).")
    private int udpResponses;

    @Mixin
    private AdminOptions observability;

    @Option(names = "--udp-max-flows", paramLabel = "N", converter = Converters.WholeOrAuto.class,
        description = "UDP flows open at once per listener; datagrams from new clients past it are dropped and "
            + "counted (default, or auto: half of what the open-file limit leaves after 256, shared by the UDP "
            + "listeners left at the default, at least 64 each).")
    private Integer udpMaxFlows;

    @Option(names = "--udp-rcvbuf", paramLabel = "SIZE", defaultValue = "0", converter = Converters.ByteSize.class,
        description = "SO_RCVBUF of each UDP listening socket, to ride out bursts (capped by the kernel's "
            + "net.core.rmem_max; default: 0, the kernel's default).")
    private int udpReceiveBuffer;

    @Option(names = "--accept-proxy",
        description = "Read a PROXY protocol header (v1 or v2; UDP: v2 on each datagram) from peers before anything "
            + "else; its source address becomes the client's. From every peer, unless --accept-proxy-from is given.")
    private boolean acceptProxy;

    @Option(names = "--accept-proxy-from", paramLabel = "CIDR", converter = Converters.CidrBlock.class,
        description = "A trusted proxy's address block (repeat for more; implies --accept-proxy): only these peers "
            + "must send a header; others are served as direct clients and nothing they send is read as one.")
    private List<Cidr> acceptProxyFrom;

    @Option(names = "--proxy-header-timeout", paramLabel = "D", defaultValue = "5s",
        converter = Converters.DurationValue.class,
        description = "Close a connection whose PROXY header is not complete within this time (default: ${DEFAULT-VALUE}).")
    private Duration proxyHeaderTimeout;

    @Option(names = "--proxy-header-max", paramLabel = "SIZE", defaultValue = "4k", converter = Converters.ByteSize.class,
        description = "The longest PROXY header accepted, TLVs included (default: ${DEFAULT-VALUE}).")
    private int proxyHeaderMax;

    @Option(names = "--allow", paramLabel = "CIDR", split = ",", converter = Converters.CidrBlock.class,
        description = "Admit only clients from these blocks (10.0.0.0/8, 2001:db8::/32, 192.0.2.7); repeat or "
            + "separate with commas. Default: everyone.")
    private List<Cidr> allow;

    @Option(names = "--deny", paramLabel = "CIDR", split = ",", converter = Converters.CidrBlock.class,
        description = "Refuse clients from these blocks (reset at accept; UDP: datagrams dropped). Deny wins over "
            + "--allow.")
    private List<Cidr> deny;

    @Option(names = "--maxconn", paramLabel = "N", defaultValue = "0",
        description = "TCP connections at once over all listeners; at it niolb stops accepting and new clients wait "
            + "in the backlog; 0: as many as the open-file limit leaves room for, 2 descriptors each after those open and 256 "
            + "more (default: ${DEFAULT-VALUE}).")
    private int maxconn;

    @Option(names = "--listener-maxconn", paramLabel = "N", defaultValue = "0",
        description = "TCP connections at once per listener, as --maxconn; 0 no cap (default: ${DEFAULT-VALUE}).")
    private int listenerMaxconn;

    @Option(names = "--source-maxconn", paramLabel = "N", defaultValue = "0",
        description = "TCP connections or UDP flows at once from one client IP (IPv6: one /64); more are reset at "
            + "accept (UDP: the datagram that would open a flow is dropped); 0 no cap (default: ${DEFAULT-VALUE}).")
    private int sourceMaxconn;

    @Option(names = "--source-rate", paramLabel = "RATE", defaultValue = "0", converter = Converters.Rate.class,
        description = "New TCP connections or UDP flows per client IP: N/s, N/m or N/h, optionally ,burst=M "
            + "(default burst: N); more are reset at accept (UDP: dropped); 0 no limit (default: ${DEFAULT-VALUE}).")
    private SourceRate sourceRate;

    @Option(names = "--source-table-size", paramLabel = "N", defaultValue = "65536",
        description = "Client IPs remembered for --source-maxconn and --source-rate; the least recently seen is "
            + "forgotten when full (default: ${DEFAULT-VALUE}).")
    private int sourceTableSize;

    /**
     * The model the flags describe.
     *
     * @throws IllegalArgumentException when the model refuses a value (threads 0, a listener given twice …)
     */
    Config toConfig() {
        final TcpOptions tcp = TcpOptions.DEFAULTS
            .withConnectTimeout(connectTimeout)
            .withIdleTimeout(idleTimeout)
            .withRetries(retries)
            .withNoDelay(!noNoDelay)
            .withKeepAlive(keepAlive)
            .withBacklog(backlog)
            .withBufferSize(bufferSize)
            .withMaxConnectionAge(maxConnectionAge)
            .withSplice(splice)
            .withDeferAccept(deferAccept)
            .withReceiveBuffer(tcpReceiveBuffer)
            .withSendBuffer(tcpSendBuffer);
        // the flag's words (auto, not 0, is its default), over the file key's, whichever bound is passed
        if (udpMaxFlows != null && (udpMaxFlows < 1 || udpMaxFlows > UdpOptions.MAX_FLOWS)) {
            throw new IllegalArgumentException("udp-max-flows must be 1.." + UdpOptions.MAX_FLOWS + ", got " + udpMaxFlows);
        }
        final UdpOptions udp = UdpOptions.DEFAULTS
            .withIdleTimeout(udpIdleTimeout)
            .withResponses(udpResponses)
            .withMaxFlows(udpMaxFlows == null ? 0 : udpMaxFlows)
            .withRetries(retries)
            .withReceiveBuffer(udpReceiveBuffer);
        // no --accept-proxy-from: every peer (null); flags cannot give an empty list, which would trust none
        final CidrSet trusted = acceptProxyFrom == null || acceptProxyFrom.isEmpty() ? null : new CidrSet(acceptProxyFrom);
        final AcceptProxy proxy = new AcceptProxy(acceptProxy || trusted != null, trusted,
            proxyHeaderTimeout, proxyHeaderMax);
        final ListenerLimits limits = ListenerLimits.NONE
            .withAccess(new CidrSet(allow == null ? List.of() : allow), new CidrSet(deny == null ? List.of() : deny))
            .withMaxconn(listenerMaxconn)
            .withSourceMaxconn(sourceMaxconn)
            .withSourceRate(sourceRate)
            .withSourceTableSize(sourceTableSize);
        final List<ListenerConfig> listeners = listen.stream()
            .map(endpoint -> new ListenerConfig(null, endpoint.protocol(), endpoint.address(), GROUP, tcp, udp, proxy,
                limits))
            .toList();
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS
            .withChecks(checks == null ? List.of() : checks)
            .withInterval(checkInterval)
            .withTimeout(checkTimeout)
            .withRise(rise)
            .withFall(fall)
            .withMaxFails(maxFails)
            .withSlowStart(slowStart)
            .withDrain(drainTimeout, drainRate)
            .withPanicThreshold(panicThreshold)
            .withCloseOnDown(closeOnDown)
            .withFirstBackupOnly(HealthCheckConfig.firstBackupOnly(backups));
        final List<ServerConfig> byAddress = servers.stream().map(ServerArgument::address)
            .filter(java.util.Objects::nonNull).toList();
        final List<DnsServerSpec> byName = servers.stream().map(ServerArgument::name)
            .filter(java.util.Objects::nonNull).toList();
        return new Config(threadsOf(threads), grace, listeners,
            List.of(new TargetGroupConfig(GROUP, balance, byAddress, health, hashBalanceFactor, byName)),
            resolver == null ? DnsConfig.DEFAULTS : DnsConfig.DEFAULTS.withResolver(resolver.address()), maxconn,
            observability.adminConfig(), observability.accessLog(), observability.logs(), transport,
            shutdownDelay, busyPoll);
    }

    @Override
    public Integer call() throws InterruptedException {
        requireSocketPath("--control-socket", controlSocket);
        requireSocketPath("--takeover", takeoverFrom);
        if (configFile != null) {
            requireNoFlagBesidesConfig();
            final ConfigSource source = new ConfigFile(configFile);
            final Config config = load(source);
            try {
                LoadBalancer.preflight(config);
            } catch (final IOException e) {
                // what check refuses, run refuses as a config it cannot start with: exit 1 restarted the unit every
                // 2 s (black-box testing, session 28)
                throw Failure.configuration(configFile + ": " + e.getMessage());
            }
            return new Foreground(config, source).handover(controlSocket, takeoverFrom)
                .operatorStates(stateFile).run(lb -> { });
        }
        requireListenAndServer();
        refuseOnlyCommas("--allow", allow);
        refuseOnlyCommas("--deny", deny);
        if (takeoverFrom != null && transport == TransportChoice.NIO) {
            throw new ParameterException(spec.commandLine(), "--takeover needs the epoll transport (the JDK cannot "
                + "adopt a socket): drop --transport nio");
        }
        final Config config = validConfig(spec, this::toConfig);
        try {
            LoadBalancer.preflight(config);
            // flags that clash with each other are a usage error (2), as --metrics-address equal to --admin is;
            // from a file the same clash is the config's (78, in Foreground)
            dev.niolb.admin.AdminServer.refuseListenersAddresses(config.admin(), config.listeners());
        } catch (final IOException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return new Foreground(config).handover(controlSocket, takeoverFrom).operatorStates(stateFile).run(lb -> { });
    }

    /**
     * The file's config, or {@code check}'s one line as a {@link Failure#configuration}: exit code 78, which the
     * systemd unit does not restart into (a file that does not read now will not read in two seconds either).
     */
    private static Config load(final ConfigSource source) {
        try {
            return CheckCommand.load(source);
        } catch (final Failure e) {
            throw Failure.configuration(e.getMessage());
        }
    }

    /**
     * A file and flags are one or the other: with flags overriding a file, what runs would be in neither place,
     * and a reload of the file would silently drop or keep them.
     */
    private void requireNoFlagBesidesConfig() {
        final List<String> others = spec.commandLine().getParseResult().matchedOptions().stream()
            .map(OptionSpec::longestName)
            .filter(name -> !List.of("--config", "--control-socket", "--takeover", "--state-file").contains(name))
            .distinct().toList();
        if (!others.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--config takes no other flag but --state-file, "
                + "--control-socket and --takeover, got "
                + String.join(", ", others) + ": set it in the file");
        }
    }

    /**
     * {@code --threads} for the model: auto (null) is the model's auto, a 0 typed is refused as such, as run and
     * demo both take it (demo ran a 0 as two threads; black-box testing, session 31).
     */
    static int threadsOf(final Integer threads) {
        if (threads != null && threads == Config.AUTO_THREADS) {
            throw new IllegalArgumentException("threads must be 1.." + Config.MAX_THREADS + ", got 0");
        }
        return threads == null ? Config.AUTO_THREADS : threads;
    }

    /**
     * A list flag given nothing but commas ({@code --allow ","}, what {@code --allow "$LIST,"} makes of an empty
     * list) is refused: split, it is no block at all, which reads as the flag not given, and everyone was let in
     * (black-box testing, session 27). Picocli drops the empty strings after a last comma before converting them.
     */
    private void refuseOnlyCommas(final String flag, final List<Cidr> given) {
        if (given != null && given.isEmpty()) {
            throw new ParameterException(spec.commandLine(), flag + " names no block (only commas): give at least one "
                + "CIDR, or leave the flag out");
        }
        // an empty block after the last comma is refused as one before it is, and as the config file refuses it
        final OptionSpec option = spec.findOption(flag);
        if (given != null && option != null) {
            for (final String raw : option.originalStringValues()) {
                if (raw.strip().endsWith(",")) {
                    throw new ParameterException(spec.commandLine(), "bad CIDR '' in " + flag + " '" + raw
                        + "': a comma must stand between two blocks");
                }
            }
        }
    }

    /**
     * A Unix socket's path: not empty, at most 107 bytes ({@code sun_path}); a usage error, not what the socket call
     * makes of it ("internal error" for a long {@code --takeover}, black-box testing, session 28).
     */
    private void requireSocketPath(final String flag, final Path path) {
        if (path == null) {
            return;
        }
        final int bytes = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes == 0) {
            throw new ParameterException(spec.commandLine(), flag + " needs a path");
        }
        if (bytes > dev.niolb.cli.log.UnixDatagramSocket.MAX_PATH_BYTES) {
            throw new ParameterException(spec.commandLine(), flag + ": a Unix socket's path is at most "
                + dev.niolb.cli.log.UnixDatagramSocket.MAX_PATH_BYTES + " bytes, "
                + "and " + path + " is " + bytes);
        }
    }

    /** {@code --listen} and {@code --server} are required without {@code --config}; said as picocli says it. */
    private void requireListenAndServer() {
        final List<String> missing = new ArrayList<>();
        if (listen == null || listen.isEmpty()) {
            missing.add("'--listen=HOST:PORT'");
        }
        if (servers == null || servers.isEmpty()) {
            missing.add("'--server=SERVER'");
        }
        if (!missing.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "Missing required option"
                + (missing.size() > 1 ? "s" : "") + ": " + String.join(", ", missing) + " (or --config FILE)");
        }
    }

    /** Builds the config, turning the model's refusal into a usage error (exit code 2) like a bad flag. */
    static Config validConfig(final CommandSpec spec, final Supplier<Config> build) {
        final PastIntFlags pastInt = PastIntFlags.of(spec.commandLine().getParseResult());
        final Config config;
        try {
            config = build.get();
        } catch (final IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), pastInt.said(String.valueOf(e.getMessage())), e);
        }
        final String refusal = pastInt.refusal();
        if (refusal != null) {
            throw new ParameterException(spec.commandLine(), refusal);
        }
        return config;
    }
}
