package dev.niolb.config;

import java.util.List;

/** The rules of the PROXY protocol settings that span more than one record of the model. */
final class ProxyRules {
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
            if (s.sendProxy().version() == SendProxy.Version.V1) {
                throw new IllegalArgumentException("server " + Quoted.escaped(s.name()) + ": send-proxy (v1) is TCP only, and group "
                    + Quoted.of(group.name()) + " serves a UDP listener: use send-proxy-v2");
            }
        }
    }
}
