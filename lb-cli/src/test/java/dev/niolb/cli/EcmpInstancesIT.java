package dev.niolb.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs on JUnit's thread; clients and servers on platform threads inside their namespaces. docs/SCALING.md built
 * for real: two niolb instances behind a Linux router that spreads a VIP over them by ECMP,
 * the VIP announced over BGP by BIRD beside each niolb only while that niolb's {@code GET /ready} says 200.
 *
 * <pre>
 *   niolb-c (clients 10.9.0.10-29) ── niolb-r (router: BIRD, resilient ECMP group to 10.255.0.1) ── niolb-s
 *                                        │ 10.0.1.0/30                 │ 10.0.2.0/30           (s1 10.2.0.11:7000,
 *                                     niolb-lb1                     niolb-lb2                  s2 10.2.0.12:7000)
 *               (VIP 10.255.0.1 on lo, niolb on VIP:8080 --balance source, BIRD, the check from SCALING.md)
 * </pre>
 *
 * Each server greets a connection with its name and the address niolb connected from (so which instance took it),
 * then echoes. The router is a Linux router that keeps an established flow on its next hop (a conntrack mark per
 * next hop, see docs/SCALING.md): that is what lets the open sessions of a withdrawn instance finish; a router
 * that hashes every packet afresh would move them to the other instance, which resets them.
 *
 * <p>BIRD 2.0 cannot program a resilient next-hop group: the router's BIRD installs the BGP routes as a plain
 * multipath route in a table of their own, and the script from docs/SCALING.md beside it keeps a resilient group
 * (L4-hashed) with one member per next hop of that route, and the VIP's route in the main table through it.
 *
 * <p>Needs root (network namespaces), iproute2, bird2, curl, iptables and a kernel with resilient next-hop groups
 * (Linux 5.13); skips with the reason otherwise. The
 * tests share one topology and run in order: the last two stop one instance each. About 15 s in all.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EcmpInstancesIT {
    private static final String VIP = "10.255.0.1";
    private static final int PORT = 8080;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<String> CLIENTS = IntStream.rangeClosed(10, 29).mapToObj(i -> "10.9.0." + i).toList();
    /** The address each instance connects to the servers from, as the servers see it. */
    private static final Map<String, String> INSTANCE_BY_ADDRESS = Map.of("10.0.1.2", "lb1", "10.0.2.2", "lb2");
    private static final List<String> TOOLS = List.of("bird", "birdc", "curl", "iptables");

    /** docs/SCALING.md, whose check script this test runs (failsafe runs in lb-cli). */
    private static final Path SCALING = Path.of("..", "docs", "SCALING.md");
    private static final String HEALTH_CHECK = "niolb-bgp-health";
    private static final String GROUP_SYNC = "niolb-resilient-nhg";
    /** The kernel table the router's BIRD installs the BGP routes in, and the resilient group's id. */
    private static final String BGP_TABLE = "100";
    private static final String GROUP = "10";

    private String skipReason;
    private Path dir;
    private final List<NetworkNamespace> namespaces = new ArrayList<>();
    private final List<Process> daemons = new ArrayList<>();
    private final List<ServerSocket> servers = new ArrayList<>();
    private final NiolbProcess[] niolb = new NiolbProcess[2];
    private NetworkNamespace router;
    private NetworkNamespace client;

    @BeforeAll
    void buildTheNetwork() throws Exception {
        skipReason = NetworkNamespace.skipReason();
        for (final String tool : TOOLS) {
            if (skipReason == null && !onPath(tool)) {
                skipReason = tool + " is not installed (.ci/install-test-deps installs bird2, curl and iptables)";
            }
        }
        if (skipReason != null) {
            LoggerFactory.getLogger(EcmpInstancesIT.class).warn("skipping niolb behind ECMP: {}", skipReason);
            return;
        }
        dir = Files.createTempDirectory("niolb-ecmp");
        router = namespace("niolb-r");
        client = namespace("niolb-c");
        final NetworkNamespace serverSide = namespace("niolb-s");
        final NetworkNamespace[] lbs = {namespace("niolb-lb1"), namespace("niolb-lb2")};

        link("r-c", client, "c-r");
        link("r-s", serverSide, "s-r");
        router.exec("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1");
        router.exec("ip", "addr", "add", "10.9.0.1/24", "dev", "r-c");
        router.exec("ip", "addr", "add", "10.2.0.1/24", "dev", "r-s");
        skipReason = resilientGroupsUnsupported();
        if (skipReason != null) {
            LoggerFactory.getLogger(EcmpInstancesIT.class).warn("skipping niolb behind ECMP: {}", skipReason);
            return;
        }
        for (final String address : CLIENTS) {
            client.exec("ip", "addr", "add", address + "/24", "dev", "c-r");
        }
        client.exec("ip", "route", "add", "default", "via", "10.9.0.1");
        serverSide.exec("ip", "addr", "add", "10.2.0.11/24", "dev", "s-r");
        serverSide.exec("ip", "addr", "add", "10.2.0.12/24", "dev", "s-r");
        serverSide.exec("ip", "route", "add", "default", "via", "10.2.0.1");
        servers.add(identityServer(serverSide, "s1", "10.2.0.11"));
        servers.add(identityServer(serverSide, "s2", "10.2.0.12"));
        Files.writeString(dir.resolve("router.conf"), routerBird());
        daemons.add(daemon(router, "bird-r", "bird", "-f", "-c", dir.resolve("router.conf").toString(),
            "-s", socket("r")));
        daemons.add(daemon(router, "group-sync", "bash", script(GROUP_SYNC).toString(), VIP + "/32", BGP_TABLE,
            GROUP));

        for (int k = 1; k <= 2; k++) {
            final NetworkNamespace lb = lbs[k - 1];
            link("r-lb" + k, lb, "lb" + k + "-r");
            router.exec("ip", "addr", "add", "10.0." + k + ".1/30", "dev", "r-lb" + k);
            lb.exec("ip", "addr", "add", "10.0." + k + ".2/30", "dev", "lb" + k + "-r");
            lb.exec("ip", "addr", "add", VIP + "/32", "dev", "lo");
            lb.exec("ip", "route", "add", "default", "via", "10.0." + k + ".1");
            keepFlowsOnTheirNextHop(k);
            niolb[k - 1] = NiolbProcess.start(lb.prefix(), "run", "--listen", VIP + ":" + PORT,
                "--server", "10.2.0.11:7000,name=s1", "--server", "10.2.0.12:7000,name=s2", "--balance", "source",
                "--threads", "1", "--admin", "none", "--metrics-address", "127.0.0.1:9901",
                "--shutdown-delay", "3s", "--grace", "20s");
            Files.writeString(dir.resolve("lb" + k + ".conf"), instanceBird(k));
            daemons.add(daemon(lb, "bird-lb" + k, "bird", "-f", "-c", dir.resolve("lb" + k + ".conf").toString(),
                "-s", socket("lb" + k)));
        }
        for (int k = 1; k <= 2; k++) {
            niolb[k - 1].awaitOut("listening on tcp://10\\.255\\.0\\.1:" + PORT, WAIT);
            daemons.add(daemon(lbs[k - 1], "health-lb" + k, "bash", script(HEALTH_CHECK).toString(),
                "http://127.0.0.1:9901/ready", socket("lb" + k)));
        }
        awaitRoute(route -> route.contains("via 10.0.1.2") && route.contains("via 10.0.2.2"),
            "the VIP by both instances");
    }

    @BeforeEach
    void namespacesCanBeMade() {
        assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    void tearDown() throws Exception {
        for (final NiolbProcess process : niolb) {
            if (process != null) {
                process.close();
            }
        }
        for (final Process daemon : daemons) {
            daemon.destroy(); // SIGTERM: bird removes its control socket
            if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        }
        for (final ServerSocket server : servers) {
            server.close();
        }
        for (final NetworkNamespace ns : namespaces) {
            ns.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void theRouterForwardsToTheVipThroughAResilientGroupOfBothInstances() throws Exception {
        assertThat(router.exec("ip", "route", "show", VIP)).as("the VIP's route").contains("nhid " + GROUP);
        assertThat(router.exec("ip", "-d", "nexthop", "show", "id", GROUP)).as("its next-hop group")
            .contains("type resilient");
        assertThat(groupMembers()).containsExactlyInAnyOrder("10.0.1.2", "10.0.2.2");
    }

    @Test
    @Order(2)
    void newConnectionsFromManyClientPortsSpreadOverBothInstances() throws Exception {
        final List<Greeting> greetings = inClient(() -> {
            final List<Greeting> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                all.add(connect(CLIENTS.get(i % CLIENTS.size())).greetAndClose());
            }
            return all;
        });

        final Map<String, Integer> byInstance = new HashMap<>();
        greetings.forEach(g -> byInstance.merge(g.instance(), 1, Integer::sum));
        // an even spread would be 100 each; 50 is seven standard deviations below it
        assertThat(byInstance).as("connections per instance").containsOnlyKeys("lb1", "lb2");
        assertThat(byInstance.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(50));
    }

    @Test
    @Order(3)
    void eachClientAddressReachesTheSameServerThroughEitherInstance() throws Exception {
        final Map<String, Set<String>> serversByClient = new HashMap<>();
        final Map<String, Set<String>> instancesByClient = new HashMap<>();
        inClient(() -> {
            for (final String address : CLIENTS) {
                final Set<String> instances = instancesByClient.computeIfAbsent(address, a -> new HashSet<>());
                // each new source port is hashed afresh by the router: both instances within a few tries
                for (int i = 0; i < 64 && instances.size() < 2; i++) {
                    final Greeting greeting = connect(address).greetAndClose();
                    instances.add(greeting.instance());
                    serversByClient.computeIfAbsent(address, a -> new HashSet<>()).add(greeting.server());
                }
            }
            return null;
        });

        assertThat(instancesByClient).as("every client address went through both instances")
            .allSatisfy((address, instances) -> assertThat(instances).containsExactlyInAnyOrder("lb1", "lb2"));
        assertThat(serversByClient).as("and reached one server through either")
            .allSatisfy((address, names) -> assertThat(names).hasSize(1));
        assertThat(serversByClient.values().stream().flatMap(Set::stream).distinct())
            .as("the clients are spread over both servers").containsExactlyInAnyOrder("s1", "s2");
    }

    @Test
    @Order(4)
    void aPlannedStopWithdrawsTheRouteFailsNoNewConnectionAndLetsOpenSessionsFinish() throws Exception {
        final Connection open = inClient(() -> {
            for (int i = 0; i < 64; i++) {
                final Connection connection = connect(CLIENTS.get(i % CLIENTS.size()));
                if (connection.greeting().instance().equals("lb1")) {
                    return connection;
                }
                connection.close();
            }
            throw new AssertionError("no connection reached lb1 in 64 tries");
        });
        final AtomicBoolean going = new AtomicBoolean(true);
        final AtomicBoolean withdrawn = new AtomicBoolean();
        final AtomicInteger served = new AtomicInteger();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final List<String> instancesAfterWithdrawal = Collections.synchronizedList(new ArrayList<>());
        final Thread stream = client.thread("new-connections", () -> {
            for (int i = 0; going.get(); i++) { // one after another, as fast as they are served
                final boolean after = withdrawn.get();
                try {
                    final Greeting greeting = connect(CLIENTS.get(i % CLIENTS.size())).greetAndClose();
                    served.incrementAndGet();
                    if (after) {
                        instancesAfterWithdrawal.add(greeting.instance());
                    }
                } catch (final IOException e) {
                    failures.add(CLIENTS.get(i % CLIENTS.size()) + ": " + e);
                }
            }
        });
        try {
            awaitServed(served, 20);

            niolb[0].signal("TERM");

            niolb[0].awaitOut("shutting down in 3s \\(SIGTERM\\): GET /ready says 503", WAIT);
            awaitRoute(route -> !route.contains("10.0.1.2") && route.contains("via 10.0.2.2"),
                "the VIP by lb2 only");
            withdrawn.set(true);
            assertThat(groupMembers()).as("the resilient group after the withdrawal").containsExactly("10.0.2.2");
            niolb[0].awaitOut("stopping: \\d+ sessions?, grace 20s", WAIT); // lb1 no longer accepts
            awaitServed(served, served.get() + 50);
            try (open) {
                // the session through lb1 goes on after lb1 stopped accepting: the router keeps its flow there
                open.send("still here");
                assertThat(open.readLine()).isEqualTo("still here");
            }
            assertThat(niolb[0].awaitExit(WAIT)).isZero();
            assertThat(niolb[0].out()).anyMatch(line -> line.endsWith(" stopped"));
        } finally {
            going.set(false);
            stream.join(10_000);
        }
        assertThat(failures).as("new connections that failed during the stop").isEmpty();
        assertThat(instancesAfterWithdrawal).as("connections begun after the route was withdrawn").isNotEmpty()
            .containsOnly("lb2");
    }

    /**
     * The check's other branch: no answer at all (a crash, or a restart whose listeners wait in systemd's store)
     * withdraws only after 25 misses 0.2 s apart, so that a restart of a second or two keeps the route.
     */
    @Test
    @Order(5)
    void anInstanceThatDiesIsWithdrawnOnlyAfterItsCheckHasHadNoAnswerForFiveSeconds() throws Exception {
        awaitRoute(route -> route.contains("via 10.0.2.2"), "the VIP by lb2");
        final long killed = System.nanoTime();

        niolb[1].signal("KILL");

        awaitRoute(route -> !route.contains("10.0.2.2"), "the VIP without lb2");
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("from the kill to the withdrawal")
            .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
    }

    // --- the network ---

    private NetworkNamespace namespace(final String name) throws IOException, InterruptedException {
        final NetworkNamespace ns = NetworkNamespace.create(name);
        namespaces.add(ns);
        return ns;
    }

    /** A veth pair: {@code routerSide} in the router, {@code otherSide} in {@code other}, both up. */
    private void link(final String routerSide, final NetworkNamespace other, final String otherSide)
        throws IOException, InterruptedException {
        router.exec("ip", "link", "add", routerSide, "type", "veth", "peer", "name", otherSide, "netns", other.name());
        router.exec("ip", "link", "set", routerSide, "up");
        other.exec("ip", "link", "set", otherSide, "up");
    }

    /**
     * A flow keeps the next hop its first packet was routed to, as long as that link is up: the next hop is
     * written into the flow's conntrack mark, and later packets of the flow are routed by a table of that mark
     * alone, whatever BGP has done to the VIP's route meanwhile. The resilient group does not do this: when a next
     * hop leaves the group, its buckets, and so its open flows, go to the others at once.
     */
    private void keepFlowsOnTheirNextHop(final int k) throws IOException, InterruptedException {
        if (k == 1) {
            router.exec("iptables", "-t", "mangle", "-A", "PREROUTING", "-d", VIP, "-j", "CONNMARK",
                "--restore-mark");
        }
        router.exec("iptables", "-t", "mangle", "-A", "FORWARD", "-d", VIP, "-o", "r-lb" + k, "-m", "conntrack",
            "--ctstate", "NEW", "-j", "CONNMARK", "--set-mark", Integer.toString(k));
        router.exec("ip", "rule", "add", "fwmark", Integer.toString(k), "table", Integer.toString(100 + k));
        router.exec("ip", "route", "add", VIP, "via", "10.0." + k + ".2", "table", Integer.toString(100 + k));
    }

    private static String routerBird() {
        return """
            router id 10.0.0.1;
            protocol device { }
            # both instances' routes become one multipath route, in the table niolb-resilient-nhg follows
            protocol kernel { kernel table 100; ipv4 { import none; export all; }; merge paths yes; }
            template bgp niolb {
              local as 65000;
              hold time 3; keepalive time 1; connect delay time 0; connect retry time 1; error wait time 1, 5;
              ipv4 { import all; export none; };
            }
            protocol bgp lb1 from niolb { neighbor 10.0.1.2 as 65001; }
            protocol bgp lb2 from niolb { neighbor 10.0.2.2 as 65002; }
            """;
    }

    /** BIRD beside niolb {@code k}: the VIP route, disabled until the health loop sees /ready at 200. */
    private static String instanceBird(final int k) {
        return """
            router id 10.0.%1$d.2;
            protocol device { }
            protocol static vip { disabled; ipv4; route 10.255.0.1/32 unreachable; }
            protocol bgp uplink {
              local as 6500%1$d; neighbor 10.0.%1$d.1 as 65000;
              hold time 3; keepalive time 1; connect delay time 0; connect retry time 1; error wait time 1, 5;
              ipv4 { import none; export where proto = "vip"; next hop self; };
            }
            """.formatted(k);
    }

    /**
     * A script of docs/SCALING.md, the one whose first comment line begins with {@code name}: the check beside each
     * niolb (the VIP's static route in BIRD, and so its BGP announcement, is enabled while niolb's /ready answers
     * 200 and disabled at once on a 503), and the router's script that keeps the resilient group in step with BGP.
     */
    private Path script(final String name) throws IOException {
        final String doc = Files.readString(SCALING);
        final int start = doc.indexOf("```sh\n#!/bin/bash\n# " + name + " ");
        assertThat(start).as("the script " + name + " in " + SCALING).isNotNegative();
        final String text = doc.substring(start + "```sh\n".length(), doc.indexOf("\n```", start) + 1);
        final Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            Files.writeString(file, text);
        }
        return file;
    }

    /**
     * Why the router cannot have a resilient next-hop group, or null: a group of one next hop is made and removed
     * again. An iproute2 or kernel older than 5.13 refuses {@code type resilient}.
     */
    private String resilientGroupsUnsupported() throws IOException, InterruptedException {
        final NetworkNamespace.Result made = NetworkNamespace.run(router.prefix("sh", "-c",
            "ip nexthop add id 1 via 10.2.0.2 dev r-s && ip nexthop add id 2 group 1 type resilient buckets 8")
            .toArray(String[]::new));
        NetworkNamespace.run(router.prefix("ip", "nexthop", "flush").toArray(String[]::new));
        return made.exitCode() == 0 ? null
            : "the kernel or iproute2 has no resilient next-hop groups (Linux 5.13): " + made.output().strip();
    }

    private String socket(final String name) {
        return dir.resolve(name + ".ctl").toString();
    }

    /** A long-running process in {@code ns}, its output in a file of the test's directory. */
    private Process daemon(final NetworkNamespace ns, final String name, final String... command) throws IOException {
        return new ProcessBuilder(ns.prefix(command)).redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    private void awaitRoute(final Predicate<String> wanted, final String what) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        String route = "";
        while (System.nanoTime() - deadline < 0) {
            route = router.exec("ip", "route", "show", VIP);
            if (wanted.test(route)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no route to " + what + " within " + WAIT + "; the router has: " + route
            + "\nin table " + BGP_TABLE + ": " + router.exec("ip", "route", "show", "table", BGP_TABLE)
            + "\nnext hops: " + router.exec("ip", "-d", "nexthop", "show")
            + "\n" + NetworkNamespace.run("birdc", "-s", socket("r"), "show", "protocols").output() + logs());
    }

    /** The addresses of the next hops in the router's resilient group, read from the kernel's next-hop objects. */
    private List<String> groupMembers() throws IOException, InterruptedException {
        final String group = router.exec("ip", "-d", "nexthop", "show", "id", GROUP);
        assertThat(group).as("the router's next-hop group").contains("type resilient");
        final Matcher members = Pattern.compile(" group (\\S+) ").matcher(group);
        assertThat(members.find()).as("the members of " + group).isTrue();
        final List<String> addresses = new ArrayList<>();
        for (final String member : members.group(1).split("/")) {
            final String id = member.split(",")[0]; // ID,WEIGHT when the weight is not 1
            final Matcher via = Pattern.compile(" via (\\S+) ").matcher(router.exec("ip", "nexthop", "show", "id", id));
            assertThat(via.find()).as("next hop " + id).isTrue();
            addresses.add(via.group(1));
        }
        return addresses;
    }

    /** What the daemons wrote, for a failure's message. */
    private String logs() throws IOException {
        final StringBuilder all = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (final Path log : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                all.append("\n--- ").append(log.getFileName()).append(" ---\n").append(Files.readString(log));
            }
        }
        return all.toString();
    }

    private static void awaitServed(final AtomicInteger served, final int count) throws InterruptedException {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (served.get() < count) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(served.get() + " connections served, not " + count + ", within " + WAIT);
            }
            Thread.sleep(10);
        }
    }

    private static boolean onPath(final String tool) {
        for (final String directory : (System.getenv("PATH") + ":/usr/sbin:/sbin").split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, tool))) {
                return true;
            }
        }
        return false;
    }

    // --- the clients and the servers ---

    /** Runs {@code body} on a thread in the clients' namespace, whose sockets are the clients'. */
    private <T> T inClient(final Callable<T> body) throws Exception {
        final CompletableFuture<T> result = new CompletableFuture<>();
        client.thread("client", () -> {
            try {
                result.complete(body.call());
            } catch (final Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(60, TimeUnit.SECONDS);
    }

    /** A connection to the VIP from {@code address}: on a thread in the clients' namespace. */
    private static Connection connect(final String address) throws IOException {
        final Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(address, 0));
            socket.connect(new InetSocketAddress(VIP, PORT), 3000);
            socket.setSoTimeout(5000);
            final String[] line = RunProcessTest.readLine(socket).split(" ");
            if (line.length != 2 || !INSTANCE_BY_ADDRESS.containsKey(line[1])) {
                throw new IOException("unexpected greeting " + String.join(" ", line));
            }
            return new Connection(socket, new Greeting(line[0], INSTANCE_BY_ADDRESS.get(line[1])));
        } catch (final IOException e) {
            socket.close();
            throw e;
        }
    }

    /** What a server said: its name, and the instance that connected to it. */
    record Greeting(String server, String instance) {
    }

    record Connection(Socket socket, Greeting greeting) implements AutoCloseable {
        Greeting greetAndClose() throws IOException {
            close();
            return greeting;
        }

        void send(final String line) throws IOException {
            final OutputStream out = socket.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        String readLine() throws IOException {
            return RunProcessTest.readLine(socket);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * A server in {@code ns} on {@code address}:7000 that greets each connection with {@code name} and the address
     * it came from (an instance's own), then echoes lines; its listening socket is made on a thread in {@code ns}.
     */
    private static ServerSocket identityServer(final NetworkNamespace ns, final String name, final String address)
        throws Exception {
        final CompletableFuture<ServerSocket> bound = new CompletableFuture<>();
        ns.thread("server-" + name, () -> {
            try {
                final ServerSocket listening = new ServerSocket();
                listening.setReuseAddress(true);
                listening.bind(new InetSocketAddress(address, 7000), 1024);
                bound.complete(listening);
                while (!listening.isClosed()) {
                    final Socket accepted = listening.accept();
                    Thread.ofVirtual().start(() -> serve(accepted, name));
                }
            } catch (final IOException e) {
                bound.completeExceptionally(e); // no-op once bound: accept ends when the test closes it
            }
        });
        return bound.get(10, TimeUnit.SECONDS);
    }

    private static void serve(final Socket socket, final String name) {
        try (socket) {
            final OutputStream out = socket.getOutputStream();
            out.write((name + " " + socket.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            final byte[] buffer = new byte[4096];
            int n;
            while ((n = socket.getInputStream().read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (final IOException e) {
            // the client went away
        }
    }
}
