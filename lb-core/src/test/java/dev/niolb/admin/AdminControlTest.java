package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.file.ConfigFileException;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.LogCapture;
import dev.niolb.backend.ServerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** State-changing admin calls: what they do to real traffic, and who may make them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminControlTest {

    private static List<String> picks(final AdminRig rig, final int n) throws Exception {
        final List<String> picks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            picks.add(rig.nextServer());
        }
        return picks;
    }

    @Test
    void drainAndMaintThroughTheApiTakeNewSessionsAwayWhileExistingOnesGoOn() throws Exception {
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, null)) {
            Socket onS0 = rig.connect();
            if (!AdminRig.greeting(onS0).equals("s0")) {
                onS0 = rig.connect();
                assertThat(AdminRig.greeting(onS0)).isEqualTo("s0");
            }
            final HttpResponse<String> drained = rig.http.post("/api/groups/g/servers/s0", "state=drain");
            assertThat(drained.statusCode()).isEqualTo(200);
            final JsonNode body = AdminRig.JSON.readTree(drained.body());
            assertThat(body.get("group").asText()).isEqualTo("g");
            assertThat(body.get("server").get("name").asText()).isEqualTo("s0");
            assertThat(body.get("server").get("state").asText()).isEqualTo("drain");

            assertThat(picks(rig, 6)).containsOnly("s1");
            onS0.getOutputStream().write("still here\n".getBytes());
            assertThat(AdminRig.greeting(onS0)).isEqualTo("still here"); // the drained server's session goes on
            assertThat(rig.server(rig.stats(), "s0").get("active").asLong()).isEqualTo(1);

            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=ready").statusCode()).isEqualTo(200);
            assertThat(picks(rig, 4)).contains("s0", "s1");

            assertThat(rig.http.json("/api/groups/g/servers/s0", "{\"state\": \"maint\"}").statusCode())
                .isEqualTo(200);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.MAINT);
            assertThat(rig.server(rig.stats(), "s0").get("state").asText()).isEqualTo("maint");
            assertThat(picks(rig, 4)).containsOnly("s1");
        }
    }

    @Test
    void aWeightSetOnARoundrobinGroupIsMadeAndTheAnswerSaysRoundrobinIgnoresIt() throws Exception {
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, null)) {
            final HttpResponse<String> set = rig.http.post("/api/groups/g/servers/s0", "weight=5");

            assertThat(set.statusCode()).isEqualTo(200);
            assertThat(set.body()).contains("balance roundrobin ignores weights: this one applies if the group's "
                + "balance becomes weighted");
            assertThat(rig.server(rig.stats(), "s0").get("weight").asInt()).isEqualTo(5);
            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain").body()).as("no weight, no word")
                .doesNotContain("roundrobin");
        }
    }

    @Test
    void weightThroughTheApiChangesEachServersShare() throws Exception {
        try (AdminRig rig = new AdminRig(2).start(Algorithm.WEIGHTED, 1, null)) {
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=0").statusCode()).isEqualTo(200);
            assertThat(picks(rig, 6)).containsOnly("s1");
            assertThat(rig.server(rig.stats(), "s0").get("weight").asInt()).isZero();

            assertThat(rig.http.json("/api/groups/g/servers/s0", "{\"weight\": 3}").statusCode()).isEqualTo(200);
            final List<String> picks = picks(rig, 8);
            assertThat(picks.stream().filter("s0"::equals).count()).as("s0 at weight 3 of 4: %s", picks)
                .isBetween(5L, 7L);
            assertThat(rig.server(rig.stats(), "s0").get("weight").asInt()).isEqualTo(3);
        }
    }

    @Test
    void stateChangesNeedTheBearerTokenWhenOneIsConfigured(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "s3cr3t-t0ken\n");
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            final HttpResponse<String> none = rig.http.post("/api/groups/g/servers/s0", "state=drain");
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(none.body()).contains("bearer token");
            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain", "Authorization", "Bearer s3cr3t")
                .statusCode()).isEqualTo(401);
            assertThat(rig.http.delete("/api/groups/g/servers/s0").statusCode()).isEqualTo(401);
            assertThat(rig.http.post("/reload", "").statusCode()).isEqualTo(401);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);

            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain", "Authorization", "Bearer s3cr3t-t0ken")
                .statusCode()).isEqualTo(200);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.DRAIN);
            assertThat(rig.http.get("/api/stats").statusCode()).as("reading needs no token").isEqualTo(200);
            assertThat(rig.http.get("/metrics").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theApiProvesItHoldsTheTokenForTheAddressItWasReachedOnWithoutGivingItAway(@TempDir final Path dir)
        throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "s3cr3t-t0ken-long-enough\n");
        final String nonce = "00112233445566778899aabbccddeeff";
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            final HttpResponse<String> answer = rig.http.get(AdminProof.PATH + "?nonce=" + nonce);

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).doesNotContain("s3cr3t");
            final String proof = AdminRig.JSON.readTree(answer.body()).get("proof").asText();
            final byte[] token = "s3cr3t-t0ken-long-enough".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            final InetSocketAddress admin = rig.lb.adminAddress();
            assertThat(AdminProof.proves(token, nonce, admin, proof)).isTrue();
            assertThat(AdminProof.proves(token, nonce, new InetSocketAddress(admin.getAddress(), admin.getPort() + 1),
                proof)).as("an answer relayed from a niolb at another address").isFalse();
            assertThat(AdminProof.proves("another".getBytes(java.nio.charset.StandardCharsets.US_ASCII), nonce, admin,
                proof)).isFalse();
            assertThat(rig.http.get(AdminProof.PATH + "?nonce=xyz").statusCode()).isEqualTo(400);
        }
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            assertThat(AdminRig.JSON.readTree(rig.http.get(AdminProof.PATH + "?nonce=" + nonce).body()).get("token")
                .asBoolean()).as("no token guards this one").isFalse();
        }
    }

    @Test
    void aTokenTooShortIsNotProvenSinceTheProofWouldLetAnyCallerGuessItOffline(@TempDir final Path dir)
        throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "letmein\n");
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            expect(rig.http.get(AdminProof.PATH + "?nonce=00112233445566778899aabbccddeeff"), 409,
                "this niolb does not prove its admin token");
            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain", "Authorization", "Bearer letmein")
                .statusCode()).as("it still guards the API").isEqualTo(200);
        }
    }

    @Test
    void refusedCallsAreLoggedOnceAnIntervalWithACountOfTheRest(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "s3cr3t-t0ken\n");
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, tokenFile);
             LogCapture log = LogCapture.of(RefusalLog.class.getName())) {
            for (int i = 0; i < 3; i++) {
                assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain", "Authorization", "Bearer guess" + i)
                    .statusCode()).isEqualTo(401);
            }

            // the two after it within the interval: counted, not logged (other tests' lines filtered out by their port)
            final java.util.function.Predicate<String> ours = m -> m.contains(" from 127.0.0.1:")
                && m.contains("/api/groups/g/servers/s0") && m.contains("401");
            assertThat(log.messages()).filteredOn(ours).hasSize(1);
            assertThat(log.messages()).filteredOn(ours).first().asString()
                .startsWith("admin: refused POST /api/groups/g/servers/s0 from 127.0.0.1:")
                .contains(": 401 this call needs the admin bearer token").doesNotContain("guess");
            // and said when the interval ends, though no refusal comes after them
            final String summary = "admin: 2 more calls refused on " + Endpoint.hostPort(rig.lb.adminAddress())
                + " since the last one logged, not logged one by one"; // this rig's: others' run beside it
            dev.niolb.testing.Await.until(() -> log.messages().contains(summary), RefusalLog.INTERVAL_MS + 5_000);
        }
    }

    @Test
    void refusalsLeftOutOfTheLogAreSaidWhenTheAdminApiCloses(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "s3cr3t-t0ken-long-enough\n");
        try (LogCapture log = LogCapture.of(RefusalLog.class.getName())) {
            final String summary;
            try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
                for (int i = 0; i < 4; i++) {
                    assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain").statusCode()).isEqualTo(401);
                }
                summary = "admin: 3 more calls refused on " + Endpoint.hostPort(rig.lb.adminAddress())
                    + " since the last one logged, not logged one by one";
                assertThat(log.messages()).doesNotContain(summary);
            } // a stop well within the 10 s

            assertThat(log.messages()).contains(summary);
        }
    }

    @Test
    void aServerAddedByPartsCannotSmuggleOptionsInAPart() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            expect(rig.http.post("/api/groups/g/servers", "address=127.0.0.1:9&name=n9,weight=256,backup"), 400,
                "bad name 'n9,weight=256,backup': one value, without ',' or '='");
            expect(rig.http.post("/api/groups/g/servers", "address=127.0.0.1:9,send-proxy-v2&name=z"), 400,
                "bad address '127.0.0.1:9,send-proxy-v2'");
            expect(rig.http.post("/api/groups/g/servers", "address=127.0.0.1:9&weight=1,backup"), 400, "bad weight");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
        }
    }

    @Test
    void aTokenRotatedInItsFileIsTheOneTheNextChangeNeeds(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "old-token\n");
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=2", "Authorization", "Bearer old-token")
                .statusCode()).isEqualTo(200);

            Files.writeString(tokenFile, "the-new-token\n");

            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=3", "Authorization", "Bearer old-token")
                .statusCode()).as("the leaked token, revoked").isEqualTo(401);
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=4", "Authorization", "Bearer the-new-token")
                .statusCode()).isEqualTo(200);
            assertThat(rig.lb.group("g").snapshot().server("s0").weight()).isEqualTo(4);
        }
    }

    @Test
    void aTokenRotatedWithItsOldSizeAndModificationTimeIsInForceToo(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "token-AAA\n");
        final java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(tokenFile);
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=2", "Authorization", "Bearer token-AAA")
                .statusCode()).isEqualTo(200);

            Files.writeString(tokenFile, "token-BBB\n"); // as cp -p does: same length, the old time put back
            Files.setLastModifiedTime(tokenFile, mtime);

            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=3", "Authorization", "Bearer token-AAA")
                .statusCode()).as("the old one, revoked").isEqualTo(401);
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=3", "Authorization", "Bearer token-BBB")
                .statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTokenFileReplacedByARenameIsReadAgain(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "token-one\n");
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=2", "Authorization", "Bearer token-one")
                .statusCode()).isEqualTo(200);
            final Path next = dir.resolve("token.next");
            Files.writeString(next, "token-two\n"); // as long as the other: a new file, not a new size
            Files.move(next, tokenFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=3", "Authorization", "Bearer token-one")
                .statusCode()).isEqualTo(401);
            assertThat(rig.http.post("/api/groups/g/servers/s0", "weight=3", "Authorization", "Bearer token-two")
                .statusCode()).isEqualTo(200);
        }
    }

    @Test
    void whileTheTokenFileIsGoneEveryChangeIsRefusedAndSaysWhy(@TempDir final Path dir) throws Exception {
        final Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "s3cr3t\n");
        try (AdminRig rig = new AdminRig(2).start(Algorithm.ROUNDROBIN, 1, tokenFile)) {
            Files.delete(tokenFile);

            final HttpResponse<String> refused = rig.http.post("/api/groups/g/servers/s0", "state=drain",
                "Authorization", "Bearer s3cr3t");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).contains("the admin token file gives no token now (niolb's log says why)")
                .as("its path is for the log, not for any caller").doesNotContain(tokenFile.toString());
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);

            Files.writeString(tokenFile, "s3cr3t\n");
            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=drain", "Authorization", "Bearer s3cr3t")
                .statusCode()).as("back").isEqualTo(200);
        }
    }

    @Test
    void aStateChangeFromAnotherOriginIsRefused() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final HttpResponse<String> r = rig.http.post("/api/groups/g/servers/s0", "state=maint",
                "Origin", "http://evil.example");
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);
            final String self = "http://127.0.0.1:" + rig.lb.adminAddress().getPort();
            assertThat(rig.http.post("/api/groups/g/servers/s0", "state=maint", "Origin", self).statusCode())
                .isEqualTo(200);
        }
    }

    @Test
    void aSignedWeightIsRefusedAsTheConfigRefusesIt() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            // a '+' in a form is a space: the server weighed 2 when the text was stripped
            expect(rig.http.post("/api/groups/g/servers/s0", "weight=+2"), 400, "bad weight ' 2'");
            expect(rig.http.post("/api/groups/g/servers/s0", "weight=%2B2"), 400, "bad weight '+2'");
            assertThat(rig.lb.group("g").snapshot().server("s0").weight()).isEqualTo(1);
        }
    }

    @Test
    void badCallsChangeNothingAndSayWhyInOneLine() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            expect(rig.http.post("/api/groups/nope/servers/s0", "state=drain"), 404, "no group named 'nope'");
            expect(rig.http.post("/api/groups/g/servers/nope", "state=drain"), 404, "no server named 'nope'");
            expect(rig.http.post("/api/groups/g/servers/s0", "state=off"), 400, "bad state 'off'");
            expect(rig.http.post("/api/groups/g/servers/s0", "state=drain&weight=999"), 400, "bad weight 999");
            // a fullwidth 5: refused as by --server, the add call and niolb server weight (ASCII digits only)
            expect(rig.http.post("/api/groups/g/servers/s0", "weight=%EF%BC%95"), 400, "bad weight '\uFF15'");
            expect(rig.http.post("/api/groups/g/servers/s0", "colour=red"), 400, "unknown parameter 'colour'");
            expect(rig.http.post("/api/groups/g/servers/s0", ""), 400, "nothing to change");
            expect(rig.http.json("/api/groups/g/servers/s0", "{\"state\": "), 400, "bad JSON");
            expect(rig.http.get("/api/groups/g/servers/s0"), 405, "GET is not allowed");
            expect(rig.http.post("/metrics", ""), 405, "POST is not allowed");
            expect(rig.http.get("/nope"), 404, "no such endpoint");
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);
            assertThat(rig.lb.group("g").snapshot().server("s0").weight()).isEqualTo(1);
        }
    }

    @Test
    void serversAddedAndRemovedThroughTheApiTakeAndLeaveRealTraffic() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null);
             EchoServer extra = new EchoServer("s1")) {
            final String spec = "server=" + Endpoint.hostPort(extra.address()) + ",name=s1,weight=2";
            final HttpResponse<String> added = rig.http.post("/api/groups/g/servers", spec);
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            assertThat(AdminRig.JSON.readTree(added.body()).get("server").get("name").asText()).isEqualTo("s1");
            assertThat(picks(rig, 4)).contains("s0", "s1");
            assertThat(rig.stats().get("groups").get(0).get("servers")).hasSize(2);
            expect(rig.http.post("/api/groups/g/servers", spec), 409, "already has a server named 's1'");

            Socket onS1 = rig.connect();
            for (int i = 0; i < 3 && !AdminRig.greeting(onS1).equals("s1"); i++) {
                onS1 = rig.connect();
            }
            final HttpResponse<String> removed = rig.http.delete("/api/groups/g/servers/s1");
            assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
            assertThat(picks(rig, 4)).containsOnly("s0");
            onS1.getOutputStream().write("still here\n".getBytes());
            assertThat(AdminRig.greeting(onS1)).isEqualTo("still here"); // a removed server's session finishes
            expect(rig.http.delete("/api/groups/g/servers/s1"), 404, "no server named 's1'");
            expect(rig.http.post("/api/groups/g/servers", "server=nowhere"), 400, "bad address 'nowhere'");
            expect(rig.http.post("/api/groups/nope/servers", spec), 404, "no group named 'nope'");
        }
    }

    @Test
    void aServerByDnsNameIsRefusedAndTheAnswerSaysWhereSuchServersAreAdded() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            expect(rig.http.post("/api/groups/g/servers", "server=localhost:9,name=byname"), 400,
                "a server by DNS name (a host name, srv:NAME) follows its records only from the config file");
            expect(rig.http.post("/api/groups/g/servers", "server=srv:_x._tcp.example.test"), 400,
                "follows its records only from the config file");
            expect(rig.http.post("/api/groups/g/servers", "address=localhost:9"), 400, "give its IP address");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
        }
    }

    @Test
    void aReloadThatAddsAListenerAtAServerAddedAtRunTimeIsRefusedAndChangesNothing() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final int port = dev.niolb.testing.Ports.freeForTcpAndUdp();
            final HttpResponse<String> added = rig.http.post("/api/groups/g/servers", "server=127.0.0.1:" + port
                + ",name=later");
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            final Config running = rig.lb.config();
            final Config next = running.withListeners(List.of(running.listeners().getFirst(), new ListenerConfig(
                "self", Protocol.TCP, new InetSocketAddress("127.0.0.1", port), "g", TcpOptions.DEFAULTS)));

            assertThatThrownBy(() -> rig.lb.reload(next)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("'later'").hasMessageContaining("niolb would relay to itself");
            assertThat(rig.lb.config().listeners()).hasSize(1);
        }
    }

    /** {@code running} with its one group's servers {@code servers}. */
    private static Config withServers(final Config running, final List<ServerConfig> servers) {
        final dev.niolb.config.TargetGroupConfig g = running.groups().getFirst();
        return new Config(running.threads(), running.grace(), running.listeners(),
            List.of(new dev.niolb.config.TargetGroupConfig(g.name(), g.balance(), servers, g.health(),
                g.hashBalanceFactor(), g.dnsServers())),
            running.dns(), running.maxconn(), running.admin(), running.accessLog(), running.logs(),
            running.transport(), running.shutdownDelay(), running.busyPoll());
    }

    @Test
    void aReloadThatMovesTheAdminApiInTheFileCannotAddAServerAtTheAddressItRunsAt() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.adminAddress();
            final Config running = rig.lb.config();
            final dev.niolb.config.TargetGroupConfig g = running.groups().getFirst();
            final List<ServerConfig> servers = new java.util.ArrayList<>(g.servers());
            servers.add(new ServerConfig("back-door", admin, 1));
            final Config next = withServers(running, servers)
                .withAdmin(dev.niolb.config.AdminConfig.on(new InetSocketAddress("127.0.0.1", 0)));

            assertThatThrownBy(() -> rig.lb.reload(next)).isInstanceOf(java.io.IOException.class)
                .hasMessage("group 'g': server 'back-door' is at niolb's own admin API (127.0.0.1:" + admin.getPort()
                    + "): the group's clients would reach it");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
        }
    }

    @Test
    void aReloadCannotAddAServerAtTheAddressAListenerOfPortZeroWasBoundTo() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress front = rig.lb.localAddress("front");
            final Config running = rig.lb.config();
            final dev.niolb.config.TargetGroupConfig g = running.groups().getFirst();
            final List<ServerConfig> servers = new java.util.ArrayList<>(g.servers());
            servers.add(new ServerConfig("me", front, 1));

            assertThatThrownBy(() -> rig.lb.reload(withServers(running, servers)))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("niolb would relay to itself");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
        }
    }

    @Test
    void aServerAtNiolbsOwnListenerIsRefusedAsTheConfigRefusesIt() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final int front = rig.lb.localAddress("front").getPort();
            expect(rig.http.post("/api/groups/g/servers", "server=127.0.0.1:" + front + ",name=me"), 400,
                "niolb would relay to itself");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
        }
    }

    @Test
    void aServerAtNiolbsOwnAdminApiIsRefusedItsClientsWouldReachTheApi() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final int admin = rig.adminAddress().getPort();
            expect(rig.http.post("/api/groups/g/servers", "server=127.0.0.1:" + admin + ",name=me"), 400,
                "group 'g': server 'me' is at niolb's own admin API (127.0.0.1:" + admin + "): the group's clients "
                    + "would reach it");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
        }
    }

    @Test
    void backupIsTrueOrFalseAndAnythingElseIsRefused() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            for (final String value : List.of("1", "yes", "on", "")) {
                expect(rig.http.post("/api/groups/g/servers", "address=127.0.0.1:9&name=b&backup=" + value), 400,
                    "bad backup '" + value + "': expected true or false");
            }
            expect(rig.http.json("/api/groups/g/servers", "{\"address\":\"127.0.0.1:9\",\"name\":\"b\",\"backup\":1}"),
                400, "bad backup '1'");
            assertThat(rig.lb.group("g").snapshot().servers()).as("none was added as a primary").hasSize(1);

            final HttpResponse<String> backup = rig.http.json("/api/groups/g/servers",
                "{\"address\":\"127.0.0.1:9\",\"name\":\"b\",\"backup\":true}");
            assertThat(backup.statusCode()).as(backup.body()).isEqualTo(201);
            assertThat(rig.lb.group("g").snapshot().server("b").config().backup()).isTrue();
            final HttpResponse<String> primary = rig.http.post("/api/groups/g/servers",
                "address=127.0.0.1:10&name=p&backup=false");
            assertThat(primary.statusCode()).as(primary.body()).isEqualTo(201);
            assertThat(rig.lb.group("g").snapshot().server("p").config().backup()).isFalse();
        }
    }

    @Test
    void aReloadThatWouldHaveAV1ServerAddedAtRunTimeServeAUdpListenerIsRefusedAndChangesNothing() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            final Config running = rig.lb.config();
            final HttpResponse<String> v1 = rig.http.post("/api/groups/g/servers", "server=127.0.0.1:9,send-proxy,name=v1");
            assertThat(v1.statusCode()).as(v1.body()).isEqualTo(201);
            final List<dev.niolb.config.ListenerConfig> listeners = new ArrayList<>(running.listeners());
            listeners.add(new dev.niolb.config.ListenerConfig("dns", dev.niolb.config.Protocol.UDP,
                new java.net.InetSocketAddress("127.0.0.1", 0), "g", dev.niolb.config.TcpOptions.DEFAULTS));

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> rig.lb.reload(running.withListeners(listeners)))
                .isInstanceOf(java.io.IOException.class).hasMessage("server v1: send-proxy (v1) is TCP only, and group "
                    + "'g' serves a UDP listener: use send-proxy-v2 (it was added through the admin API: remove it first)");
            assertThat(rig.lb.config().listeners()).hasSameSizeAs(running.listeners());
            assertThat(rig.lb.group("g").snapshot().server("v1")).isNotNull();
        }
    }

    @Test
    void aReloadThatPutsAListenerOnTheAdminApisAddressIsRefusedByNameAsAStartIsAndChangesNothing() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            final Config running = rig.lb.config();
            final java.net.InetSocketAddress admin = rig.lb.adminAddress();
            final List<dev.niolb.config.ListenerConfig> listeners = new ArrayList<>(running.listeners());
            listeners.add(new dev.niolb.config.ListenerConfig("l2", dev.niolb.config.Protocol.TCP, admin, "g",
                dev.niolb.config.TcpOptions.DEFAULTS));

            // not the kernel's "address already in use", which sent the operator looking for another process
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> rig.lb.reload(running.withListeners(listeners)))
                .isInstanceOf(java.net.BindException.class).hasMessage("listener l2 cannot listen on "
                    + Endpoint.hostPort(admin) + ": niolb's own admin API listens on " + Endpoint.hostPort(admin));
            assertThat(rig.lb.config().listeners()).hasSameSizeAs(running.listeners());
            assertThat(rig.http.get("/api/stats").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aV1ProxyServerIsRefusedForAGroupThatAUdpListenerSendsToAsTheConfigRefusesIt() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            final Config running = rig.lb.config();
            final List<dev.niolb.config.ListenerConfig> listeners = new ArrayList<>(running.listeners());
            listeners.add(new dev.niolb.config.ListenerConfig("dns", dev.niolb.config.Protocol.UDP,
                new java.net.InetSocketAddress("127.0.0.1", 0), "g", dev.niolb.config.TcpOptions.DEFAULTS));
            rig.lb.reload(running.withListeners(listeners));

            expect(rig.http.post("/api/groups/g/servers", "server=127.0.0.1:9,send-proxy,name=v1"), 400,
                "server v1: send-proxy (v1) is TCP only, and group 'g' serves a UDP listener: use send-proxy-v2");
            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
            final HttpResponse<String> v2 = rig.http.post("/api/groups/g/servers", "server=127.0.0.1:9,send-proxy-v2");
            assertThat(v2.statusCode()).as(v2.body()).isEqualTo(201);
        }
    }

    @Test
    void reloadAnswersWhichWeightSetAtRunTimeTheFilesNewWeightReplaced() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            final Config running = rig.lb.config();
            final TargetGroupConfig group = running.groups().getFirst();
            final ServerConfig s0 = group.servers().getFirst();
            assertThat(rig.http.post("/api/groups/g/servers/" + s0.name(), "weight=5").statusCode()).isEqualTo(200);
            final Config next = new Config(running.threads(), running.grace(), running.listeners(), List.of(
                new TargetGroupConfig("g", group.balance(), List.of(new ServerConfig(s0.name(), s0.address(), 3)))))
                .withAdmin(running.admin());
            rig.lb.configSource(ConfigSource.fixed(next, "test"));

            final HttpResponse<String> reloaded = rig.http.post("/reload", "");

            assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
            final JsonNode body = AdminRig.JSON.readTree(reloaded.body());
            assertThat(body.get("summary").asText()).isEqualTo("group g: " + s0.name() + " weight 1→3");
            assertThat(body.get("replaced")).hasSize(1);
            assertThat(body.get("replaced").get(0).asText()).isEqualTo("group g: " + s0.name() + " weight 5→3");
            assertThat(rig.lb.server("g", s0.name()).weight()).isEqualTo(3);
        }
    }

    @Test
    void reloadReadsTheConfigSourceAgainAndAppliesIt() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null);
             EchoServer extra = new EchoServer("s1")) {
            expect(rig.http.post("/reload", ""), 409, "no config source");

            final Config running = rig.lb.config();
            final TargetGroupConfig group = running.groups().getFirst();
            final List<ServerConfig> servers = new ArrayList<>(group.servers());
            servers.add(new ServerConfig("s1", extra.address(), 1));
            final Config next = new Config(running.threads(), running.grace(), running.listeners(),
                List.of(new TargetGroupConfig("g", group.balance(), servers))).withAdmin(running.admin());
            rig.lb.configSource(ConfigSource.fixed(next, "test"));
            final HttpResponse<String> reloaded = rig.http.post("/reload", "");
            assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
            final JsonNode body = AdminRig.JSON.readTree(reloaded.body());
            assertThat(body.get("source").asText()).isEqualTo("test");
            assertThat(body.get("summary").asText()).contains("+server s1");
            assertThat(body.get("not_applied")).isEmpty();
            assertThat(picks(rig, 4)).contains("s0", "s1");

            rig.lb.configSource(new ConfigSource() {
                @Override
                public Config load() {
                    throw new ConfigFileException("niolb.yaml:3: listeners[0].bind: bad address 'x'");
                }

                @Override
                public String describe() {
                    return "niolb.yaml";
                }
            });
            try (LogCapture log = LogCapture.of("dev.niolb.admin")) {
                expect(rig.http.post("/reload", ""), 422, "reload refused: niolb.yaml:3: listeners[0].bind");
                assertThat(log.messages()).as("in the journal too, as a refused SIGHUP is").containsExactly(
                    "reload refused: niolb.yaml:3: listeners[0].bind: bad address 'x'; the running config stays"
                        + " (POST /reload)");
            }
            assertThat(rig.stats().get("groups").get(0).get("servers")).hasSize(2);
        }
    }

    @Test
    void aReloadAskedWhileStoppingIsRefusedAtOnceNotAfterTheGracePeriod() throws Exception {
        try (AdminRig rig = new AdminRig(1).start(Algorithm.ROUNDROBIN, 1, null)) {
            rig.lb.configSource(ConfigSource.fixed(rig.lb.config(), "test"));
            final java.net.Socket session = rig.connect();
            assertThat(AdminRig.greeting(session)).isEqualTo("s0");
            final Thread stop = Thread.ofPlatform().start(() -> rig.lb.stop(java.time.Duration.ofSeconds(30)));
            dev.niolb.testing.Await.until(rig.lb::stopping, 5000);

            final long start = System.nanoTime();
            expect(rig.http.post("/reload", ""), 409, "reload refused: niolb is stopping");
            assertThat(System.nanoTime() - start).as("answered before the grace period ends")
                .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));

            session.close(); // the stop's last session: it ends now
            stop.join(10_000);
            assertThat(stop.isAlive()).isFalse();
        }
    }

    private static void expect(final HttpResponse<String> r, final int status, final String message) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        final JsonNode body = AdminRig.JSON.readTree(r.body());
        assertThat(body.get("error").asText()).contains(message).doesNotContain("\n");
    }
}
