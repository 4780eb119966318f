package dev.niolb.cli;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code niolb server …} against a real engine whose admin API listens on port 0 and wants a bearer token: the
 * change is made (read back from the engine), the server is printed, and refusals are one line with exit code 1.
 */
@Timeout(60)
class ServerCommandTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final EngineRig rig = new EngineRig();
    private EchoServer one;
    private EchoServer two;
    private LoadBalancer lb;
    private String admin;
    private Path token;

    @BeforeEach
    void start() throws Exception {
        one = rig.track(new EchoServer("web-1"));
        two = rig.track(new EchoServer("web-2"));
        token = Files.writeString(dir.resolve("admin-token"), "s3cret-token-of-the-cli-tests\n");
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS),
                new TargetGroupConfig("web", Algorithm.ROUNDROBIN, List.of(new ServerConfig("web-1", one.address(), 1),
                    new ServerConfig("web-2", two.address(), 2))))
            .withAdmin(new AdminConfig(new InetSocketAddress("127.0.0.1", 0), token, true)));
        admin = "127.0.0.1:" + lb.adminAddress().getPort();
    }

    private Cli server(final String... args) {
        final String[] all = new String[args.length + 5];
        all[0] = "server";
        System.arraycopy(args, 0, all, 1, args.length);
        System.arraycopy(new String[] {"--admin", admin, "--admin-token-file", token.toString()}, 0, all,
            args.length + 1, 4);
        return Cli.run(all);
    }

    private ServerState state(final String name) {
        return lb.group("web").snapshot().server(name).state();
    }

    @Test
    void drainPutsTheServerInDrainAndPrintsIt() {
        final Cli result = server("drain", "web", "web-2");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(state("web-2")).isEqualTo(ServerState.DRAIN);
        assertThat(result.out()).matches("web/web-2 127\\.0\\.0\\.1:\\d+ DRAIN weight 2, 0 active\n");
    }

    @Test
    void maintThenReadyBringsTheServerBack() {
        assertThat(server("maint", "web", "web-1").exitCode()).isZero();
        assertThat(state("web-1")).isEqualTo(ServerState.MAINT);

        final Cli ready = server("ready", "web", "web-1");

        assertThat(ready.exitCode()).as(ready.err()).isZero();
        assertThat(state("web-1")).isNotEqualTo(ServerState.MAINT).isNotEqualTo(ServerState.DRAIN);
    }

    @Test
    void weightSetsTheServersWeight() {
        final Cli result = server("weight", "web", "web-1", "7");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(lb.group("web").snapshot().server("web-1").weight()).isEqualTo(7);
        assertThat(result.out()).contains("weight 7");
    }

    @Test
    void addThenRemoveChangesTheGroupsMembers() throws Exception {
        try (EchoServer three = new EchoServer("web-3")) {
            final Cli added = server("add", "web", RunProcessTest.hostPort(three) + ",name=web-3,weight=4");

            assertThat(added.exitCode()).as(added.err()).isZero();
            assertThat(added.out()).startsWith("web/web-3 ").contains(" added, ", "weight 4");
            assertThat(lb.group("web").snapshot().server("web-3")).isNotNull();

            final Cli removed = server("remove", "web", "web-3");

            assertThat(removed.exitCode()).as(removed.err()).isZero();
            assertThat(removed.out()).startsWith("web/web-3 ").contains(" removed, ");
            assertThat(lb.group("web").snapshot().server("web-3")).isNull();
        }
    }

    @Test
    void anUnknownServerIsTheAdminsReasonInOneLineAndExitCode1() {
        final Cli result = server("drain", "web", "nope");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.errLines()).containsExactly("niolb: group 'web' has no server named 'nope' (HTTP 404)");
    }

    @Test
    void withoutTheTokenTheChangeIsRefusedWithAHintAndNothingChanges() {
        final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin", admin);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString()
            .startsWith("niolb: this call needs the admin bearer token").contains("(HTTP 401)", "--admin-token-file");
        assertThat(state("web-1")).isNotEqualTo(ServerState.DRAIN);
    }

    /**
     * A process at an admin address answering as niolb would, its proof route with {@code proof}; what every request
     * carried as Authorization goes to {@code authorizations}.
     */
    private static com.sun.net.httpserver.HttpServer squatter(final String proof, final List<String> authorizations)
        throws java.io.IOException {
        final com.sun.net.httpserver.HttpServer squatter = com.sun.net.httpserver.HttpServer.create(
            new InetSocketAddress("127.0.0.1", 0), 0);
        squatter.createContext("/", exchange -> {
            authorizations.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            final byte[] body = (exchange.getRequestURI().getPath().equals("/api/proof") ? proof
                : "{\"group\":\"web\",\"server\":{\"name\":\"web-1\",\"state\":\"drain\"}}").getBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        squatter.start();
        return squatter;
    }

    @Test
    void aProcessHoldingTheAdminAddressInNiolbsSteadIsNeverSentTheToken() throws Exception {
        final List<String> authorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
        final com.sun.net.httpserver.HttpServer squatter = squatter("{\"token\":true,\"proof\":\"00ff\"}", authorizations);
        try {
            final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin",
                "127.0.0.1:" + squatter.getAddress().getPort(), "--admin-token-file", token.toString());

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.errLines()).singleElement().asString()
                .contains("did not prove that it holds the token, which was therefore not sent");
            assertThat(authorizations).containsExactly("GET null"); // the proof was asked, without the token
        } finally {
            squatter.stop(0);
        }
    }

    @Test
    void aProcessThatSaysNoTokenGuardsItIsSentNothingAndTheCommandFails() throws Exception {
        final List<String> authorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
        final com.sun.net.httpserver.HttpServer squatter = squatter("{\"token\":false}", authorizations);
        try {
            final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin",
                "127.0.0.1:" + squatter.getAddress().getPort(), "--admin-token-file", token.toString());

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.out()).isEmpty();
            assertThat(result.errLines()).singleElement().asString().contains("says no token guards it")
                .contains("nothing was sent");
            assertThat(authorizations).containsExactly("GET null");
        } finally {
            squatter.stop(0);
        }
    }

    @Test
    void aTokenTooShortToBeProvenIsNotSentAndTheCommandSaysWhy() throws Exception {
        final Path shortToken = Files.writeString(dir.resolve("short-token"), "letmein\n");

        final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin", admin, "--admin-token-file",
            shortToken.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString().contains("is 7 characters")
            .contains("16 or more").contains("openssl rand -hex 32");
        assertThat(state("web-1")).isNotEqualTo(ServerState.DRAIN);
    }

    @Test
    void throughAForwardTheProofIsCheckedForTheAddressNiolbListensOn() throws Exception {
        try (java.net.ServerSocket forward = new java.net.ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            final Thread relay = Thread.ofVirtual().start(() -> { // a port forward, as docker -p or ssh -L
                while (!forward.isClosed()) {
                    try {
                        final java.net.Socket in = forward.accept();
                        final java.net.Socket out = new java.net.Socket("127.0.0.1", lb.adminAddress().getPort());
                        Thread.ofVirtual().start(() -> pipe(in, out));
                        Thread.ofVirtual().start(() -> pipe(out, in));
                    } catch (final java.io.IOException closed) {
                        return;
                    }
                }
            });
            final String via = "127.0.0.1:" + forward.getLocalPort();

            final Cli refused = Cli.run("server", "drain", "web", "web-1", "--admin", via, "--admin-token-file",
                token.toString());
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.errLines()).singleElement().asString().contains("--admin-forwarded-to");
            assertThat(state("web-1")).isNotEqualTo(ServerState.DRAIN);

            final Cli forwarded = Cli.run("server", "drain", "web", "web-1", "--admin", via, "--admin-forwarded-to",
                admin, "--admin-token-file", token.toString());
            assertThat(forwarded.exitCode()).as(forwarded.err()).isZero();
            assertThat(state("web-1")).isEqualTo(ServerState.DRAIN);
            forward.close();
            relay.join();
        }
    }

    private static void pipe(final java.net.Socket from, final java.net.Socket to) {
        try (from; to) {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (final java.io.IOException ended) {
            // one side closed: the other goes with it
        }
    }

    @Test
    void theAddressAndTokenAreTakenFromTheConfigFile() throws Exception {
        final Path config = Files.writeString(dir.resolve("niolb.yaml"), """
            admin:
              address: %s
              token-file: %s
            listeners:
              - bind: 127.0.0.1:0
            groups:
              - name: default
                servers: [127.0.0.1:9]
            """.formatted(admin, token));

        final Cli result = Cli.run("server", "drain", "web", "web-1", "--config", config.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(state("web-1")).isEqualTo(ServerState.DRAIN);
    }

    @Test
    void aWeightOutOfRangeIsAUsageErrorAndIsNotSent() {
        final Cli result = server("weight", "web", "web-1", "300");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst()).isEqualTo("niolb: weight must be 0..256, got 300");
        assertThat(lb.group("web").snapshot().server("web-1").weight()).isEqualTo(1);
    }

    @Test
    void anAddedServerWhoseSpecCannotBeOneIsAUsageErrorAndIsNotSent() {
        final Cli result = server("add", "web", "127.0.0.1:9,name=s5,weight=999");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst()).startsWith("niolb: ").contains("weight must be 0..256, got 999")
            .doesNotContain("HTTP 400");
        assertThat(lb.group("web").snapshot().servers()).extracting(s -> s.name()).doesNotContain("s5");
    }

    @Test
    void aMissingServerArgumentIsAUsageError() {
        final Cli result = server("drain", "web");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst()).startsWith("niolb: Missing required parameter");
    }

    @Test
    void serverAloneIsAUsageErrorNamingTheSubcommands() {
        final Cli result = Cli.run("server");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst())
            .isEqualTo("niolb: missing command: expected drain, ready, maint, weight, add or remove");
    }

    @Test
    void anAdminApiThatCannotBeReachedIsOneLineAndExitCode1() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin", "127.0.0.1:" + port);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString()
            .startsWith("niolb: cannot reach the admin API at 127.0.0.1:" + port + ": connection refused");
    }

    @Test
    void aMissingTokenFileIsOneLineAndExitCode1() {
        final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin", admin, "--admin-token-file",
            dir.resolve("absent").toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: cannot read admin token file " + dir.resolve("absent")
            + ": no such file");
    }

    @Test
    void aTokenNiolbWouldRefuseIsRefusedBeforeAnyCallIsMade() throws Exception {
        final java.nio.file.Path twoWords = java.nio.file.Files.writeString(dir.resolve("two-words"), "s3cr3t t0ken\n");

        final Cli result = Cli.run("server", "drain", "web", "web-1", "--admin", admin, "--admin-token-file",
            twoWords.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: admin token file " + twoWords
            + ": the token must be one word of printable ASCII");
    }
}
