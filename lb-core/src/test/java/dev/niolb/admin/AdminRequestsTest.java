package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.config.Config;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** How the admin API answers: HEAD, errors that echo the client, writes racing a reload. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminRequestsTest {

    @Test
    void headOnEveryGetEndpointAnswersAsGetWithoutABody() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            for (final String path : new String[] {"/", "/metrics", "/api/stats", "/api/connections", "/ready"}) {
                final RawHttp.Answer get = RawHttp.get(admin, path, "127.0.0.1");
                final RawHttp.Answer head = RawHttp.send(admin, "HEAD", path, "127.0.0.1", null);

                assertThat(head.status()).as(path).isEqualTo(200);
                assertThat(head.headers().get("content-type")).as(path).isEqualTo(get.headers().get("content-type"));
                assertThat(Integer.parseInt(head.headers().get("content-length"))).as(path).isPositive();
                assertThat(head.body()).as(path + ": no body bytes after the headers").isEmpty();
            }
            final RawHttp.Answer page = RawHttp.get(admin, "/", "127.0.0.1");
            assertThat(RawHttp.send(admin, "HEAD", "/", "127.0.0.1", null).headers().get("content-length"))
                .isEqualTo(page.headers().get("content-length"));
            final RawHttp.Answer post = RawHttp.send(admin, "POST", "/metrics", "127.0.0.1", "");
            assertThat(post.status()).isEqualTo(405);
            assertThat(post.headers().get("allow")).isEqualTo("GET, HEAD");
        }
    }

    @Test
    void aSecondAuthorizationOrOriginHeaderIsRefusedNotGuessedAt() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final RawHttp.Answer twoTokens = RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", "127.0.0.1",
                "state=drain", "Authorization", "Bearer a", "Authorization", "Bearer b");
            assertThat(twoTokens.status()).isEqualTo(400);
            assertThat(twoTokens.body()).contains("more than one Authorization header");
            final RawHttp.Answer twoOrigins = RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", "127.0.0.1",
                "state=drain", "Origin", "http://127.0.0.1", "Origin", "http://evil.example");
            assertThat(twoOrigins.status()).isEqualTo(400);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(dev.niolb.backend.ServerState.UP);
        }
    }

    @Test
    void errorRepliesCutWhatTheyEchoOfTheClient() throws Exception {
        final String huge = "x".repeat(60_000);
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final Map<String, RawHttp.Answer> answers = Map.of(
                "server name", RawHttp.send(admin, "POST", "/api/groups/g/servers/" + huge.substring(0, 10_000),
                    "127.0.0.1", "state=drain"),
                "group name", RawHttp.send(admin, "DELETE", "/api/groups/" + huge.substring(0, 10_000) + "/servers/s0",
                    "127.0.0.1", null),
                "path", RawHttp.get(admin, "/" + huge.substring(0, 10_000), "127.0.0.1"),
                "state", RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", "127.0.0.1", "state=" + huge),
                "parameter name", RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", "127.0.0.1", huge + "=1"),
                "server spec", RawHttp.send(admin, "POST", "/api/groups/g/servers", "127.0.0.1", "server=" + huge),
                "host", RawHttp.get(admin, "/api/stats", huge.substring(0, 10_000)),
                "connections limit", RawHttp.get(admin, "/api/connections?limit=" + huge.substring(0, 10_000),
                    "127.0.0.1"));
            for (final Map.Entry<String, RawHttp.Answer> e : answers.entrySet()) {
                final RawHttp.Answer a = e.getValue();
                assertThat(a.status()).as(e.getKey()).isBetween(400, 499);
                final String error = AdminRig.JSON.readTree(a.body()).get("error").asText();
                assertThat(error).as(e.getKey()).hasSizeLessThanOrEqualTo(ClientText.MAX_MESSAGE_CHARS + 1)
                    .contains("x".repeat(50)).contains("…").doesNotContain("\n");
            }
            final RawHttp.Answer tooLong = RawHttp.get(admin, "/" + "x".repeat(200_000), "127.0.0.1");
            assertThat(tooLong.status()).isEqualTo(431);
            assertThat(tooLong.body().length()).isLessThan(200);
        }
    }

    @Test
    void aWriteRacingAReloadThatRemovesItsServerIsAnsweredNeverDropped() throws Exception {
        try (AdminRig rig = new AdminRig(2).start()) {
            final Config with = rig.lb.config();
            final TargetGroupConfig g = with.groups().getFirst();
            final List<ServerConfig> onlyS0 = g.servers().stream().filter(s -> s.name().equals("s0")).toList();
            final Config without = new Config(with.threads(), with.grace(), with.listeners(),
                List.of(new TargetGroupConfig("g", g.balance(), onlyS0))).withAdmin(with.admin());
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicReference<Exception> reloadFailure = new AtomicReference<>();
            final Thread reloads = Thread.ofPlatform().start(() -> {
                try {
                    while (!done.get()) {
                        rig.lb.reload(without);
                        rig.lb.reload(with);
                    }
                } catch (final Exception e) {
                    reloadFailure.set(e);
                }
            });
            final Map<Integer, Integer> statuses = new TreeMap<>();
            try {
                for (int i = 0; i < 400; i++) {
                    final HttpResponse<String> r = rig.http.post("/api/groups/g/servers/s1",
                        "weight=" + (1 + i % 7) + "&state=ready");
                    statuses.merge(r.statusCode(), 1, Integer::sum);
                    final JsonNode body = AdminRig.JSON.readTree(r.body());
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
                    if (r.statusCode() == 404) {
                        assertThat(body.get("error").asText()).contains("no server named 's1'");
                    }
                }
            } finally {
                done.set(true);
                reloads.join();
            }
            assertThat(reloadFailure.get()).isNull();
            assertThat(statuses).as("both outcomes happened: %s", statuses).containsKeys(200, 404);
        }
    }
}
