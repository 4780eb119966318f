package dev.niolb.testing;

import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Splice;
import dev.niolb.config.TransportChoice;

import java.util.Objects;

/**
 * One way the engine moves bytes that the end-to-end suites hold to NIO's behaviour: a transport, and for TCP
 * whether its bytes move through buffers or by splice. Shown in reports as {@code [nio]} or {@code [epoll+splice]}.
 *
 * @param choice the transport
 * @param splice the splice mode every TCP listener of the suite's configs is given
 */
public record TestedTransport(TransportChoice choice, Splice splice) {
    /** NIO, as the suites' configs say (NIO never splices). */
    public static final TestedTransport NIO = new TestedTransport(TransportChoice.NIO, Splice.AUTO);
    /** epoll, splicing every byte of every TCP session from the first read: the splice path under every suite. */
    public static final TestedTransport EPOLL_SPLICE = new TestedTransport(TransportChoice.EPOLL, Splice.ALWAYS);

    public TestedTransport {
        Objects.requireNonNull(choice, "choice");
        Objects.requireNonNull(splice, "splice");
    }

    /** {@code config} as this way runs it: its transport, and its TCP listeners' splice mode. */
    public Config applyTo(final Config config) {
        return config.withTransport(choice).withListeners(config.listeners().stream()
            .map(l -> l.withTcp(l.tcp().withSplice(splice)))
            .toList());
    }

    @Override
    public String toString() {
        return splice == Splice.ALWAYS ? choice + "+splice" : choice.toString();
    }
}
