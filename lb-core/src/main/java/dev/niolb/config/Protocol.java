package dev.niolb.config;

/** The transport a listener or server speaks. */
public enum Protocol {
    TCP, UDP;

    /** The scheme as users write it: {@code tcp} or {@code udp}. */
    public String scheme() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
