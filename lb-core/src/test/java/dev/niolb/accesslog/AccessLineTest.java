package dev.niolb.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.niolb.config.Protocol;
import dev.niolb.session.Termination;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLineTest {
    private static final long START = Instant.parse("2025-06-01T12:00:00.120Z").toEpochMilli();
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.2", 40000);

    private static AccessRecord record(final String server, final long connectMicros, final Termination how) {
        return new AccessRecord(START, Protocol.TCP, CLIENT, "web", "default", server, connectMicros, 5_007_500,
            212, 1024, 0, how);
    }

    @Test
    void plainLineHasHaproxyLikePositionalFields() {
        assertThat(AccessLine.plain(record("s1", 412, Termination.CLIENT_CLOSE)))
            .isEqualTo("127.0.0.2:40000 [2025-06-01T12:00:00.120Z] tcp web default/s1 0.412/5007.5 212 1024 0 client_close");
    }

    @Test
    void plainLineMarksNoConnectAndNoServer() {
        assertThat(AccessLine.plain(record(null, -1, Termination.NO_SERVER)))
            .endsWith(" default/- -1/5007.5 212 1024 0 no_server");
    }

    @Test
    void failedConnectsAreConnectFailureNotNoServer() {
        assertThat(AccessLine.plain(record("s1", -1, Termination.CONNECT_FAILURE)))
            .endsWith(" default/s1 -1/5007.5 212 1024 0 connect_failure");
    }

    @Test
    void jsonLineHasEveryFieldInAFixedOrder() throws Exception {
        final String line = AccessLine.json(record("s1", 412, Termination.IDLE_TIMEOUT));
        assertThat(line).isEqualTo("{\"time\":\"2025-06-01T12:00:00.120Z\",\"protocol\":\"tcp\","
            + "\"client\":\"127.0.0.2:40000\",\"listener\":\"web\",\"group\":\"default\",\"server\":\"s1\","
            + "\"connect_ms\":0.412,\"duration_ms\":5007.5,\"bytes_in\":212,\"bytes_out\":1024,\"retries\":0,"
            + "\"termination\":\"idle_timeout\"}");
        final JsonNode node = new ObjectMapper().readTree(line);
        final List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("time", "protocol", "client", "listener", "group", "server", "connect_ms",
            "duration_ms", "bytes_in", "bytes_out", "retries", "termination");
    }

    @Test
    void jsonLineWritesMissingValuesAsNullAndEscapesNames() throws Exception {
        final AccessRecord r = new AccessRecord(START, Protocol.UDP, CLIENT, "dns \"a\"", "g", null, -1, 1000, 1, 2, 0,
            Termination.RESPONSES);
        final JsonNode node = new ObjectMapper().readTree(AccessLine.json(r));
        assertThat(node.get("server").isNull()).isTrue();
        assertThat(node.get("connect_ms").isNull()).isTrue();
        assertThat(node.get("listener").asText()).isEqualTo("dns \"a\"");
        assertThat(node.get("protocol").asText()).isEqualTo("udp");
    }
}
