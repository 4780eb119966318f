package dev.niolb.config;

import java.util.Locale;

/** What the access log writes per closed session: nothing, a line of positional fields, or a JSON object. */
public enum AccessLogFormat {
    OFF,
    /** HAProxy-tcplog-like positional fields, see {@code dev.niolb.accesslog.AccessLine}. */
    PLAIN,
    /** One JSON object per line with a fixed key order, see {@code dev.niolb.accesslog.AccessLine}. */
    JSON;

    /**
     * {@code off}, {@code plain} or {@code json}, any case.
     *
     * @throws IllegalArgumentException naming the bad value and the good ones
     */
    public static AccessLogFormat parse(final String text) {
        if (text != null) {
            for (final AccessLogFormat f : values()) {
                if (f.name().equalsIgnoreCase(text.strip())) {
                    return f;
                }
            }
        }
        throw new IllegalArgumentException("bad access log format '" + text + "': expected off, plain or json");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
