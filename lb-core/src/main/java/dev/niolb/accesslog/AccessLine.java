package dev.niolb.accesslog;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.Endpoint;
import dev.niolb.json.JsonWriter;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The text of one access log line, in either format. Runs on the access log's thread, never on a loop.
 *
 * <p>Plain, positional like HAProxy's {@code option tcplog} (times in ms with up to three decimals):
 * <pre>
 * 127.0.0.2:40000 [2025-06-01T12:00:00.123Z] tcp web default/s1 0.412/5007.5 212 1024 0 client_close
 * client          accept time (UTC)          proto listener group/server connect/duration in out retries end
 * </pre>
 * {@code -1} for the connect time when no connect succeeded (and for UDP flows), {@code -} for no server.
 *
 * <p>JSON, keys always in this order (a missing connect time or server is {@code null}):
 * <pre>
 * {"time":"2025-06-01T12:00:00.123Z","protocol":"tcp","client":"127.0.0.2:40000","listener":"web",
 *  "group":"default","server":"s1","connect_ms":0.412,"duration_ms":5007.5,"bytes_in":212,"bytes_out":1024,
 *  "retries":0,"termination":"client_close"}
 * </pre>
 */
public final class AccessLine {
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private AccessLine() {
    }

    public static String format(final AccessLogFormat format, final AccessRecord r) {
        return format == AccessLogFormat.JSON ? json(r) : plain(r);
    }

    public static String plain(final AccessRecord r) {
        final StringBuilder line = new StringBuilder(160);
        line.append(Endpoint.hostPort(r.client())).append(" [");
        TIME.formatTo(Instant.ofEpochMilli(r.startEpochMs()), line);
        line.append("] ").append(r.protocol().scheme()).append(' ').append(r.listener()).append(' ')
            .append(r.group()).append('/').append(r.server() == null ? "-" : r.server()).append(' ');
        if (r.connectMicros() < 0) {
            line.append("-1");
        } else {
            JsonWriter.appendDecimal(line, r.connectMicros() / 1e3);
        }
        line.append('/');
        JsonWriter.appendDecimal(line, r.durationMicros() / 1e3);
        line.append(' ').append(r.bytesIn()).append(' ').append(r.bytesOut()).append(' ').append(r.retries())
            .append(' ').append(r.termination());
        return line.toString();
    }

    public static String json(final AccessRecord r) {
        final StringBuilder time = new StringBuilder(24);
        TIME.formatTo(Instant.ofEpochMilli(r.startEpochMs()), time);
        final JsonWriter json = new JsonWriter(new StringBuilder(256)).beginObject()
            .field("time", time.toString())
            .field("protocol", r.protocol().scheme())
            .field("client", Endpoint.hostPort(r.client()))
            .field("listener", r.listener())
            .field("group", r.group())
            .field("server", r.server())
            .name("connect_ms");
        if (r.connectMicros() < 0) {
            json.nullValue();
        } else {
            json.value(r.connectMicros() / 1e3);
        }
        return json.field("duration_ms", r.durationMicros() / 1e3)
            .field("bytes_in", r.bytesIn())
            .field("bytes_out", r.bytesOut())
            .field("retries", r.retries())
            .field("termination", r.termination())
            .endObject().toString();
    }
}
