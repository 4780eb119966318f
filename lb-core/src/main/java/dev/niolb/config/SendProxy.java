package dev.niolb.config;

import java.util.Objects;

/**
 * Whether niolb writes a PROXY protocol header to a server before the first relayed byte, so that the server
 * sees the client's address (HAProxy's {@code send-proxy} / {@code send-proxy-v2} on a {@code server} line).
 *
 * @param version which header: none, v1 (text, TCP only) or v2 (binary, TCP and UDP)
 * @param udp     for UDP flows (v2 only): the header goes on the first datagram a flow sends to the server, or on
 *                every datagram (so a server that lost the first, or restarted, still knows every sender)
 */
public record SendProxy(Version version, UdpMode udp) {
    public static final SendProxy NONE = new SendProxy(Version.NONE, UdpMode.FIRST);
    public static final SendProxy V1 = new SendProxy(Version.V1, UdpMode.FIRST);
    public static final SendProxy V2 = new SendProxy(Version.V2, UdpMode.FIRST);

    public enum Version { NONE, V1, V2 }

    public enum UdpMode { FIRST, EVERY }

    public SendProxy {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(udp, "udp");
        if (udp == UdpMode.EVERY && version != Version.V2) {
            throw new IllegalArgumentException("proxy-udp needs send-proxy-v2 (v1 is TCP only)");
        }
    }

    public boolean enabled() {
        return version != Version.NONE;
    }

    /** How users write it: {@code send-proxy}, {@code send-proxy-v2,proxy-udp=every}, or nothing. */
    @Override
    public String toString() {
        return switch (version) {
            case NONE -> "";
            case V1 -> "send-proxy";
            case V2 -> udp == UdpMode.EVERY ? "send-proxy-v2,proxy-udp=every" : "send-proxy-v2";
        };
    }
}
