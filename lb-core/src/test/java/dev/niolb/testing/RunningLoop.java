package dev.niolb.testing;

import dev.niolb.loop.EventLoop;
import dev.niolb.transport.nio.NioTransport;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The test thread's; the loop has its own. An event loop started before each test and stopped after it, passed
 * or failed: the loop tests' rig, as {@link EngineRig} is the engine tests'. Register it as an instance field
 * with {@code @RegisterExtension}.
 */
public final class RunningLoop implements BeforeEachCallback, AfterEachCallback {
    private static final long STOP_MS = 5_000;

    private final int index;
    private EventLoop loop;

    /** @param index the loop's index (the stripe it writes in shared counters) */
    public RunningLoop(final int index) {
        this.index = index;
    }

    /** The loop of the test under way. */
    public EventLoop loop() {
        if (loop == null) {
            throw new IllegalStateException("no loop: register RunningLoop with @RegisterExtension");
        }
        return loop;
    }

    @Override
    public void beforeEach(final ExtensionContext context) throws Exception {
        loop = new EventLoop(index, NioTransport.INSTANCE);
        loop.start();
    }

    @Override
    public void afterEach(final ExtensionContext context) throws Exception {
        loop.stop();
        if (!loop.awaitTermination(STOP_MS)) {
            throw new AssertionError("event loop " + index + " did not stop within " + STOP_MS + " ms");
        }
    }
}
