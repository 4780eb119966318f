package dev.niolb.loop;

import dev.niolb.testing.RunningLoop;
import dev.niolb.transport.nio.NioTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 17, item 2: a running.loop() must never lose a wake-up. Closing a listener flushes the selector's cancelled keys
 * with a non-blocking select inside a running.loop() command; that select used to swallow a wake-up another thread had just
 * sent, leaving the running.loop() blocked (no timers pending) while every later {@code execute} skipped its wake-up.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventLoopWakeupTest {
    /** Far longer than a running.loop() needs for one command even on a loaded machine; a lost wake-up never completes. */
    private static final long COMMAND_WAIT_S = 10;
    private static final int SUBMITTERS = 4;
    private static final int LISTENER_CYCLES = 3_000;

    @RegisterExtension
    final RunningLoop running = new RunningLoop(0);

    @Test
    void commandsFromManyThreadsAlwaysRunWhileListenersOpenAndCloseOnTheLoop() throws Exception {
        final AtomicInteger cyclesDone = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch submittersDone = new CountDownLatch(SUBMITTERS);
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < SUBMITTERS; t++) {
            final Thread submitter = new Thread(() -> {
                try {
                    while (cyclesDone.get() < LISTENER_CYCLES && failure.get() == null) {
                        final CompletableFuture<Boolean> ran = running.loop().submit(running.loop()::inLoop);
                        assertThat(ran.get(COMMAND_WAIT_S, TimeUnit.SECONDS)).isTrue();
                    }
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    submittersDone.countDown();
                }
            }, "submitter-" + t);
            threads.add(submitter);
            submitter.start();
        }
        // the listener churn runs as running.loop() commands, as a reload's listener stop and start do
        for (int i = 0; i < LISTENER_CYCLES && failure.get() == null; i++) {
            final CompletableFuture<Boolean> cycle = running.loop().submit(() -> {
                try (ServerSocketChannel listener = ServerSocketChannel.open()) {
                    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    listener.configureBlocking(false);
                    NioTransport.register(running.loop(), listener, Ready.ACCEPT, new IoHandler() {
                        @Override
                        public void onReady(final int readyOps) {
                        }

                        @Override
                        public void onFailure(final Throwable cause) {
                        }
                    });
                } catch (final java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                running.loop().flushClosedChannels();
                return true;
            });
            assertThat(cycle.get(COMMAND_WAIT_S, TimeUnit.SECONDS)).as("listener cycle %d", i).isTrue();
            cyclesDone.incrementAndGet();
        }
        cyclesDone.set(LISTENER_CYCLES);
        assertThat(submittersDone.await(COMMAND_WAIT_S * 2, TimeUnit.SECONDS)).isTrue();
        for (final Thread thread : threads) {
            thread.join();
        }
        assertThat(failure.get()).as("a command never ran: the running.loop() lost its wake-up").isNull();
    }
}
