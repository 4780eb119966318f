package dev.niolb.cli;

import dev.niolb.json.JsonReader;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StatsTablesTest {
    private static final String STATS = """
        {"uptime_ms":3723000,"loops":2,"sessions":3,"maxconn":9858,"maxconn_open":3,"buffers_in_use":1,"direct_memory_bytes":1572864,
         "listeners":[{"name":"front","protocol":"tcp","address":"127.0.0.1:8080","group":"web","accepted":1234,
           "active":3,"bytes_in":2048,"bytes_out":5242880,"connect_failures":2,
           "ended":{"client_close":1000,"no_server":1,"connect_failure":2,"full":1,"client_reset":1,"server_reset":2},"dropped":{},
           "session_ms":{"count":1231,"sum":9000,"p50":3.1,"p90":20,"p99":250.5,"max":1200}}],
         "groups":[{"name":"web","balance":"weighted","servers_up":1,"backups_active":false,"servers":[
           {"name":"web-1","address":"10.0.0.1:80","state":"up","weight":3,"effective_weight":1.5,"backup":false,
            "active":2,"total":800,"connect_failures":0,"bytes_in":1024,"bytes_out":4194304,
            "connect_ms":{"count":800,"sum":80,"p50":0.1,"p99":0.9,"max":1},
            "session_ms":{"count":798,"sum":1,"p50":3,"p99":2500,"max":3000}},
           {"name":"web-2","address":"10.0.0.2:80","state":"drain","weight":1,"effective_weight":0,"backup":true,
            "active":1,"total":434,"connect_failures":2,"bytes_in":1024,"bytes_out":1048576,
            "connect_ms":{"count":0,"sum":0,"p50":null,"p99":null,"max":null},
            "session_ms":{"count":0,"sum":0,"p50":null,"p99":null,"max":null}}]}]}
        """;

    @Test
    void statsBecomeAlignedTablesOfListenersAndServers() {
        assertThat(StatsTables.render(JsonReader.parseObject(STATS))).isEqualTo("""
            niolb  uptime 1h 2m 3s  sessions 3  maxconn 3/9,858  loops 2  buffers in use 1  direct memory 1.5 MiB

            LISTENER  PROTO  ADDRESS         GROUP  ACTIVE  TOTAL       IN      OUT  CONN ERR  REFUSED  RESETS     P50       P99
            front     tcp    127.0.0.1:8080  web         3  1,234  2.0 KiB  5.0 MiB         2        4       3  3.1 ms  250.5 ms

            GROUP web  1/2 up  balance weighted
            SERVER          ADDRESS      STATE    WEIGHT  ACTIVE  TOTAL  CONN ERR       IN      OUT  CONNECT P50       P99  SESSION P50     P99
            web-1           10.0.0.1:80  UP     3 (1.50)       2    800         0  1.0 KiB  4.0 MiB     0.100 ms  0.900 ms       3.0 ms  2.50 s
            web-2 (backup)  10.0.0.2:80  DRAIN     1 (0)       1    434         2  1.0 KiB  1.0 MiB            -         -            -       -
            """);
    }

    @Test
    void aUdpFlowEndedForWantOfAServerIsRefusedOnceNotAlsoAsItsDroppedDatagram() {
        final String udp = """
            {"listeners":[{"name":"dns","protocol":"udp","ended":{"no_server":4},"dropped":{"no_server":4}}]}
            """;
        assertThat(StatsTables.render(JsonReader.parseObject(udp)))
            .contains("dns       udp    -        -           -      -   -    -         -        4       0    -    -");
    }

    @Test
    void escapesAndLineBreaksInNamesAreShownNotActedOn() {
        final String stats = """
            {"groups":[{"name":"web\\u001b[2J\\u001b]0;pwned\\u0007","servers":[{"name":"a\\r\\nfake-row\\u202e"}]}]}
            """;
        final String table = StatsTables.render(JsonReader.parseObject(stats));

        assertThat(table).contains("GROUP web\\x1b[2J\\x1b]0;pwned\\x07").contains("a\\r\\nfake-row\\u202e")
            .doesNotContain("\u001b", "\r", "\u0007", "\u202e");
        assertThat(table.lines()).noneMatch(l -> l.startsWith("fake-row"));
    }

    @Test
    void missingFieldsShowAsDashes() {
        assertThat(StatsTables.render(JsonReader.parseObject("{\"listeners\":[{\"name\":\"x\"}]}")))
            .startsWith("niolb  uptime -  sessions -  maxconn -/-")
            .contains("x         -      -        -           -      -   -    -         -        0       0    -    -");
    }

    @Test
    void aDrainOrMaintenanceSetOnADownServerShowsBesideItsState() {
        final String stats = """
            {"groups":[{"name":"web","servers_up":0,"servers":[
              {"name":"a","address":"10.0.0.1:80","state":"down","operator_mode":"drain","health":"down"},
              {"name":"b","address":"10.0.0.2:80","state":"maint","operator_mode":"maint","health":"down"},
              {"name":"c","address":"10.0.0.3:80","state":"down","operator_mode":"up","health":"down"}]}]}
            """;
        assertThat(StatsTables.render(JsonReader.parseObject(stats)))
            .containsPattern("a +10\\.0\\.0\\.1:80 +DOWN \\(drain\\) ")
            .containsPattern("b +10\\.0\\.0\\.2:80 +MAINT ")
            .containsPattern("c +10\\.0\\.0\\.3:80 +DOWN ");
    }

    @Test
    void aRemovedServerWithSessionsOpenIsAServerRowMarkedRemoved() {
        final String stats = """
            {"groups":[{"name":"web","servers_up":1,"servers":[{"name":"web-1","state":"up"}],
              "retiring":[{"name":"web-0","address":"10.0.0.9:80","state":"drain","active":7}]}]}
            """;
        assertThat(StatsTables.render(JsonReader.parseObject(stats)))
            .contains("GROUP web  1/1 up")
            .containsPattern("web-0 \\(removed\\) +10\\.0\\.0\\.9:80 +DRAIN +- +7 ");
    }

    @Test
    void aListenerRemovedWithSessionsOpenIsAListenerRowMarkedRemoved() {
        final String stats = """
            {"listeners":[{"name":"back","protocol":"tcp","active":0}],
             "retiring_listeners":[{"name":"front","protocol":"tcp","address":"127.0.0.1:8080","active":2}]}
            """;
        assertThat(StatsTables.render(JsonReader.parseObject(stats)))
            .containsPattern("\\nback +tcp ")
            .containsPattern("front \\(removed\\) +tcp +127\\.0\\.0\\.1:8080 +- +2 ");
    }

    @Test
    void aGroupRemovedWithSessionsOpenIsAGroupMarkedRemovedWithItsServersAsRemovedRows() {
        final String stats = """
            {"groups":[{"name":"h","servers_up":1,"servers":[{"name":"t0","state":"up"}],"retiring":[]}],
             "retiring_groups":[{"name":"g","servers_up":0,"servers":[],
               "retiring":[{"name":"s0","address":"10.0.0.9:80","state":"drain","active":1}]}]}
            """;
        assertThat(StatsTables.render(JsonReader.parseObject(stats)))
            .contains("GROUP h  1/1 up", "GROUP g (removed)  0/0 up")
            .containsPattern("s0 \\(removed\\) +10\\.0\\.0\\.9:80 +DRAIN +- +1 ");
    }

    @Test
    void namesInWideScriptsKeepTheColumnsAligned() {
        final String stats = """
            {"groups":[{"name":"web","servers_up":2,"servers":[{"name":"服务器-一","address":"10.0.0.1:80","state":"up",
              "weight":1,"active":3},{"name":"web-2","address":"10.0.0.2:80","state":"up","weight":1,"active":4}]}]}
            """;
        final java.util.List<String> rows = StatsTables.render(JsonReader.parseObject(stats)).lines()
            .filter(l -> l.contains("10.0.0.")).toList();

        assertThat(rows).hasSize(2);
        assertThat(StatsTables.width(rows.get(0).substring(0, rows.get(0).indexOf("10.0.0.1"))))
            .as("the address column starts in the same cell").isEqualTo(rows.get(1).indexOf("10.0.0.2"));
        assertThat(StatsTables.width("服务器-一")).isEqualTo(9);
        assertThat(StatsTables.width("we\u0301b")).as("a combining accent takes no cell").isEqualTo(3);
    }
}
