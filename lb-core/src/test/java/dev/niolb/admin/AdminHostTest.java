package dev.niolb.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.niolb.backend.ServerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** DNS rebinding: the admin API answers only requests that name a host it answers to, reads included. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminHostTest {

    private static void refused(final RawHttp.Answer a) throws Exception {
        assertThat(a.status()).as(a.body()).isEqualTo(403);
        final JsonNode error = AdminRig.JSON.readTree(a.body());
        assertThat(error.get("error").asText()).contains("is not one the admin API answers to").doesNotContain("\n");
    }

    @Test
    void aPageRebindingItsNameToLoopbackCanNeitherReadNorChangeAnything() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final String evil = "evil.example:" + admin.getPort();
            refused(RawHttp.get(admin, "/api/stats", evil));
            refused(RawHttp.get(admin, "/api/connections", evil));
            refused(RawHttp.get(admin, "/metrics", evil));
            refused(RawHttp.get(admin, "/", evil));
            // the rebound page's requests are same-origin: its Origin names the same host as its Host
            refused(RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", evil, "state=maint",
                "Origin", "http://" + evil));
            refused(RawHttp.send(admin, "DELETE", "/api/groups/g/servers/s0", evil, null, "Origin", "http://" + evil));
            refused(RawHttp.send(admin, "POST", "/api/groups/g/servers", evil, "server=127.0.0.1:9,name=x",
                "Origin", "http://" + evil));

            assertThat(rig.lb.group("g").snapshot().servers()).hasSize(1);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);
        }
    }

    @Test
    void loopbackNamesAndAddressesAreAnsweredWithAndWithoutPort() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final int port = admin.getPort();
            for (final String host : new String[] {"localhost", "localhost:" + port, "LocalHost:" + port,
                "localhost.:" + port, "127.0.0.1", "127.0.0.1:" + port, "127.0.0.2:" + port, "[::1]:" + port,
                "[::1]"}) {
                assertThat(RawHttp.get(admin, "/api/stats", host).status()).as(host).isEqualTo(200);
            }
        }
    }

    @Test
    void whatAClientSentIsEscapedInTheRefusalsLogLineAndAnswer() throws Exception {
        try (AdminRig rig = new AdminRig(1).start();
             dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of(RefusalLog.class.getName())) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final RawHttp.Answer a = RawHttp.send(admin, "POST", "/api/groups/g/servers/s0",
                "127.0.0.1:" + admin.getPort(), "state=drain", "Origin", "http://x\u009b2J\u009d0;title\u009c");

            assertThat(a.status()).isEqualTo(403);
            assertThat(a.body()).doesNotContain("\u009b").contains("\\\\x9b2J"); // in JSON, the backslash escaped
            dev.niolb.testing.Await.until(() -> !log.messages().isEmpty(), 2000);
            assertThat(log.messages().getFirst()).contains("http://x\\x9b2J\\x9d0;title\\x9c")
                .doesNotContain("\u009b", "\u009d", "\u009c");
        }
    }

    @Test
    void aGenuineLocalhostOriginIsNotRefused() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final int port = admin.getPort();
            final RawHttp.Answer a = RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", "localhost:" + port,
                "state=drain", "Origin", "http://localhost:" + port);

            assertThat(a.status()).as(a.body()).isEqualTo(200);
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.DRAIN);
        }
    }

    @Test
    void anOriginOfAnotherApplicationOnThisMachineIsRefused() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final String host = "127.0.0.1:" + admin.getPort();
            for (final String origin : new String[] {"http://localhost:3000", "http://evil.example", "null"}) {
                final RawHttp.Answer a = RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", host,
                    "state=maint", "Origin", origin);
                assertThat(a.status()).as(origin).isEqualTo(403);
                assertThat(a.body()).contains("cross-origin");
            }
            assertThat(rig.lb.group("g").snapshot().server("s0").state()).isEqualTo(ServerState.UP);
        }
    }

    @Test
    void aNameTheOperatorAllowsIsAnsweredAndNoOther() throws Exception {
        try (AdminRig rig = new AdminRig(1).allowHosts("lb.example.com").start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final String allowed = "lb.example.com:" + admin.getPort();
            assertThat(RawHttp.get(admin, "/api/stats", allowed).status()).isEqualTo(200);
            assertThat(RawHttp.send(admin, "POST", "/api/groups/g/servers/s0", allowed, "state=drain",
                "Origin", "http://" + allowed).status()).isEqualTo(200);
            refused(RawHttp.get(admin, "/api/stats", "other.example.com:" + admin.getPort()));
            refused(RawHttp.get(admin, "/api/stats", "lb.example.com.evil.example"));
        }
    }

    @Test
    void aHostHeaderThatIsNoHostIsABadRequestNotARefusal() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            for (final String host : new String[] {"127.0.0.1:abc", "127.0.0.1:99999"}) {
                final RawHttp.Answer a = RawHttp.get(admin, "/ready", host);
                assertThat(a.status()).as(host).isEqualTo(400);
                assertThat(a.body()).contains("bad Host header");
            }
        }
    }

    @Test
    void anAbsoluteFormTargetIsAnsweredAndItsAuthorityIsTheHostJudged() throws Exception {
        try (AdminRig rig = new AdminRig(1).start()) {
            final InetSocketAddress admin = rig.lb.adminAddress();
            final String self = "127.0.0.1:" + admin.getPort();
            final RawHttp.Answer metrics = RawHttp.get(admin, "http://" + self + "/metrics", "ignored.example");
            assertThat(metrics.status()).as(metrics.body()).isEqualTo(200);
            assertThat(metrics.body()).contains("niolb_server_connections_total");
            assertThat(RawHttp.get(admin, "HTTP://" + self, self).status()).isEqualTo(200); // the stats page
            refused(RawHttp.get(admin, "http://evil.example:" + admin.getPort() + "/api/stats", self));
            assertThat(RawHttp.get(admin, "http://user@" + self + "/metrics", self).status()).isEqualTo(400);
        }
    }
}
