package dev.niolb.testing;

import dev.niolb.LoadBalancer;
import dev.niolb.admin.AdminServer;
import dev.niolb.config.Config;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The engine under test, for one test: starts niolb from the test's {@link Config} on the rig's transport, and after
 * the test (passed or failed) stops every niolb it started, then closes what the test gave it to {@link #track},
 * last tracked first. Registered as an instance field, so each test gets its own:
 *
 * <pre>{@code
 * @RegisterExtension
 * final EngineRig rig = new EngineRig();
 * }</pre>
 *
 * <p>A suite that must hold on every transport is marked {@link EveryTransport} and builds its rig with the
 * transport it is given. The rig's stop comes after the class's own {@code @AfterEach} methods, which may still use
 * the engine.
 *
 * <p>Threading: started, stopped and torn down from the test's thread (JUnit runs the callback there too);
 * {@link #track} may also be called from threads the test started.
 */
public final class EngineRig implements AfterEachCallback {
    private final TestedTransport transport;
    private final List<LoadBalancer> started = new ArrayList<>();
    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

    /** A rig on the default transport, for a test of something no transport changes. */
    public EngineRig() {
        this(new TestedTransport(Config.DEFAULT_TRANSPORT, dev.niolb.config.TcpOptions.DEFAULTS.splice()));
    }

    public EngineRig(final TestedTransport transport) {
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** The transport (and splice mode) every niolb of this rig runs on. */
    public TestedTransport transport() {
        return transport;
    }

    /**
     * Starts niolb from {@code config} on this rig's transport (whatever transport the config named), with its
     * admin API when the config has one, as {@code niolb run} composes them; it is stopped after the test.
     */
    public LoadBalancer start(final Config config) throws IOException {
        return start(config, dev.niolb.backend.OperatorStates.NONE);
    }

    /** As {@link #start(Config)}, keeping the servers' operator modes and weights in {@code states}. */
    public LoadBalancer start(final Config config, final dev.niolb.backend.OperatorStates states) throws IOException {
        final LoadBalancer lb = AdminServer.startWithEngine(withTransport(config), states);
        started.add(lb);
        return lb;
    }

    /**
     * {@code config} on this rig's transport and splice mode, as {@link #start} runs it: for a reload, which reports
     * a change of transport as needing a restart, and for comparing with the running config.
     */
    public Config withTransport(final Config config) {
        return transport.applyTo(config);
    }

    /** The niolb started last. */
    public LoadBalancer lb() {
        if (started.isEmpty()) {
            throw new IllegalStateException("no niolb started yet: call start(config) first");
        }
        return started.getLast();
    }

    /** Where the last niolb's listener {@code name} is bound. */
    public InetSocketAddress address(final String listener) {
        return lb().localAddress(listener);
    }

    /** Closes {@code resource} after the test, after the engine stopped; returns it. */
    public <T extends AutoCloseable> T track(final T resource) {
        resources.add(Objects.requireNonNull(resource, "resource"));
        return resource;
    }

    @Override
    public void afterEach(final ExtensionContext context) throws Exception {
        tearDown();
    }

    /**
     * Stops every niolb with no grace, then closes the tracked resources, last first. Each one is stopped or closed
     * even when an earlier one failed; the first failure is thrown, with the others suppressed in it.
     */
    public void tearDown() throws Exception {
        Throwable failure = null;
        for (final LoadBalancer lb : started.reversed()) {
            try {
                lb.stop(Duration.ZERO);
            } catch (final RuntimeException | Error e) {
                failure = add(failure, e);
            }
        }
        started.clear();
        for (final AutoCloseable resource : resources.reversed()) {
            try {
                resource.close();
            } catch (final Exception | Error e) { // a scripted server's close throws what its script threw
                failure = add(failure, e);
            }
        }
        resources.clear();
        switch (failure) {
            case null -> { }
            case Error e -> throw e;
            case Exception e -> throw e;
            default -> throw new AssertionError(failure);
        }
    }

    private static Throwable add(final Throwable first, final Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
