package dev.niolb.loop;

import dev.niolb.transport.nio.NioTransport;
import dev.niolb.session.LoopSession;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The connection table of an event loop: a session added at accept and removed at close, with
 * {@code sessions} others already in the table, and the session id drawn from the loop as the engine does.
 * The loop's thread is not started: the benchmark thread plays it (the table is single-writer).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ConnectionTableBenchmark {
    @Param({"100", "10000"})
    int sessions;

    private EventLoop loop;
    private Session[] ring;
    private int next;

    @Setup(Level.Trial)
    public void fill() throws IOException {
        loop = new EventLoop(0, NioTransport.INSTANCE);
        for (int i = 0; i < sessions; i++) {
            loop.add(new Session(loop.nextSessionId()));
        }
        ring = new Session[1024];
        for (int i = 0; i < ring.length; i++) {
            ring[i] = new Session(0);
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        loop.stop();
    }

    /** Accept and close of one session: the table's whole cost per connection. */
    @Benchmark
    public int addThenRemove() {
        final Session s = ring[next++ & (ring.length - 1)];
        s.id = loop.nextSessionId();
        loop.add(s);
        loop.remove(s);
        return loop.sessionCount();
    }

    private static final class Session implements LoopSession {
        long id;

        Session(final long id) {
            this.id = id;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public void close(final Termination reason) {
        }

        @Override
        public SessionInfo info() {
            return null;
        }
    }
}
