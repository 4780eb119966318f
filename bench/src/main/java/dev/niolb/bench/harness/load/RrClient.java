package dev.niolb.bench.harness.load;

import dev.niolb.bench.harness.backend.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.HdrHistogram.Histogram;

/**
 * Request/response ping-pong over persistent connections to an echo: each connection sends
 * {@code messageSize} bytes, reads them back, and goes again, either at once (max rate) or on a fixed
 * schedule with latency taken from the intended send time ({@link IntendedTimeRecorder}). One thread
 * per connection, blocking I/O: one {@code write} and usually one {@code read} per request. A connection
 * that fails counts as an error and is replaced after 10 ms.
 *
 * <p>{@link #latency()} is the corrected histogram; {@link #serviceTime()} the uncorrected one.
 */
public final class RrClient extends LoadThreads {

    /**
     * @param ratePerSecond total intended requests per second over all connections; 0 for max rate
     * @param maxRequestsPerConnection a count bound besides the time bound; 0 for none
     */
    public record Settings(InetSocketAddress target, int connections, int messageSize, double ratePerSecond,
                           long maxRequestsPerConnection) {

        public Settings {
            if (connections < 1 || messageSize < 1 || ratePerSecond < 0 || maxRequestsPerConnection < 0) {
                throw new IllegalArgumentException("bad rr settings: " + connections + " connections, "
                    + messageSize + " bytes, " + ratePerSecond + "/s, " + maxRequestsPerConnection + " requests");
            }
        }
    }

    private static final long RETRY_PAUSE_NANOS = 10_000_000L;

    private final Settings settings;
    private final Histogram serviceTime = Load.newHistogram();

    public RrClient(final Settings settings, final LoadWindow window) {
        super(window);
        this.settings = settings;
        final long interval = settings.ratePerSecond() == 0 ? 0
            : Math.max(1, Math.round(1e9 * settings.connections() / settings.ratePerSecond()));
        for (int i = 0; i < settings.connections(); i++) {
            // stagger the connections' schedules evenly over one interval
            final long first = window.begin() + interval * i / settings.connections();
            spawn("rr-" + i, () -> run(first, interval));
        }
    }

    /** Latency from the actual send time (what a client that waits for each reply would see). */
    public Histogram serviceTime() {
        synchronized (serviceTime) {
            return serviceTime.copy();
        }
    }

    private void run(final long firstIntended, final long interval) {
        if (interval > 0) {
            TimerSlack.set(1); // wake at the intended send time, not up to 50 µs after it
        }
        final Histogram corrected = Load.newHistogram();
        final Histogram uncorrected = Load.newHistogram();
        final IntendedTimeRecorder recorder = new IntendedTimeRecorder(firstIntended, interval, window, corrected, uncorrected);
        final ByteBuffer out = Io.payload(settings.messageSize());
        final ByteBuffer in = ByteBuffer.allocateDirect(settings.messageSize());
        final long max = settings.maxRequestsPerConnection() == 0 ? Long.MAX_VALUE : settings.maxRequestsPerConnection();
        long n = 0;
        try {
            // a connection that fails is counted and replaced, as wrk does, until the window or the count ends
            while (n < max && running()) {
                final SocketChannel channel = closeAtEnd(SocketChannel.open());
                try {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel.connect(settings.target());
                    Io.writeFully(channel, ByteBuffer.wrap(new byte[] {Backend.ECHO}));
                    for (; n < max; n++) {
                        final long sendAt = recorder.nextSendTime(System.nanoTime());
                        if (sendAt >= window.measureEnd() || stopping) {
                            return;
                        }
                        LoadWindow.parkUntil(sendAt);
                        final long sent = System.nanoTime();
                        Io.writeFully(channel, out.clear());
                        Io.readFully(channel, in.clear());
                        final long done = System.nanoTime();
                        if (in.get(0) != out.get(0) || in.get(settings.messageSize() - 1) != out.get(settings.messageSize() - 1)) {
                            throw new IOException("reply differs from request");
                        }
                        recorder.completed(sent, done);
                        completed.increment();
                    }
                } catch (IOException e) {
                    failed(e);
                    LoadWindow.parkUntil(System.nanoTime() + RETRY_PAUSE_NANOS);
                } finally {
                    forget(channel);
                    channel.close();
                }
            }
        } catch (IOException e) {
            failed(e);
        } finally {
            merge(corrected);
            synchronized (serviceTime) {
                serviceTime.add(uncorrected);
            }
        }
    }
}
