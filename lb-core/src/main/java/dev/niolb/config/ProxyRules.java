package dev.niolb.config;

import java.util.List;

/** The rules of the PROXY protocol settings that span more than one record of the model. */
public final class ProxyRules {
    private ProxyRules() {
    }

    /** v1 headers are text for TCP only: a server that UDP listeners send to may have v2 or none. */
    static void checkUdpServers(final TargetGroupConfig group, final List<ListenerConfig> listeners) {
        final boolean udp = listeners.stream()
            .anyMatch(l -> l.protocol() == Protocol.UDP && l.group().equals(group.name()));
        if (!udp) {
            return;
        }
        for (final ServerConfig s : group.servers()) {
            refuseV1(group.name(), s);
        }
    }

    /**
     * As {@link #checkUdpServers}, for one server to join {@code group} where {@code listeners} run (the admin
     * API's add: session 21's tester added a v1 server to a group a UDP listener sends to, whose flows then went
     * without a header).
     */
    public static void checkServer(final String group, final ServerConfig server, final List<ListenerConfig> listeners) {
        if (listeners.stream().anyMatch(l -> l.protocol() == Protocol.UDP && l.group().equals(group))) {
            refuseV1(group, server);
        }
    }

    private static void refuseV1(final String group, final ServerConfig s) {
        if (s.sendProxy().version() == SendProxy.Version.V1) {
            throw new IllegalArgumentException("server " + Quoted.escaped(s.name()) + ": send-proxy (v1) is TCP only, and group "
                + Quoted.of(group) + " serves a UDP listener: use send-proxy-v2");
        }
    }
}
