package dev.niolb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * One session that streams bytes to an echo server (through a proxy) and reads them back, checked: the SHA-256
 * of what came back is compared with that of the same length of what was sent. A healthy session must come
 * back whole ({@link Result#intact()}); a session whose server failed may end early, but what did come back
 * must be an exact prefix ({@link Result#prefixIntact()}). Its rate is what a fault test compares with a
 * baseline to show that a misbehaving peer did not slow other sessions down.
 *
 * <p>The stream is aperiodic: chunk {@code n} (64 KiB) is a slice of 1 MiB of random bytes at a position
 * that moves with {@code n}, led by {@code n} itself, so a lost, duplicated or reordered chunk changes the
 * digest. Each run uses the calling thread to read and one platform thread to write.
 */
public final class BulkEcho {
    private static final int CHUNK = 64 * 1024;
    /** The client's SO_RCVBUF: room for a few hundred microseconds of a loopback stream, not the 32 MB autotuning reaches. */
    private static final int RECEIVE_BUFFER = 4 << 20;
    /**
     * The most the writer has written and the reader not read back: less than {@link #RECEIVE_BUFFER}, so that
     * what waits for the (slower, hashing) reader waits in the client's own receive buffer, and no socket on the
     * path, niolb's included, sits at a full receive queue. Written flat out, every queue of the path filled (over
     * 100 MB in flight) and the kernel, at a queue held over its size, dropped segments that carried the ACKs of the
     * other direction: the stream sat in retransmission backoff until the read timeout (sessions 28 to 31, with
     * niolb's socket autotuned to 32 MB or fixed at 4 MB alike). A well-behaved bulk client, as the healthy session
     * is meant to be, keeps a window; the kernel's behaviour at a full queue is not what the fault tests judge.
     */
    private static final long IN_FLIGHT = 1 << 20;
    private static final byte[] RANDOM = new byte[1 << 20];
    /**
     * The writer is a platform thread: a measured session must not queue behind thousands of virtual threads
     * that a fault test may have runnable on the same few carriers.
     */
    private static final ThreadFactory PLATFORM = Thread.ofPlatform().name("bulk-echo-writer").daemon().factory();

    static {
        new Random(20_240_601).nextBytes(RANDOM);
    }

    /**
     * What one run did.
     *
     * @param sent         bytes written before the run ended or the connection failed
     * @param received     bytes read back before the end of stream or a failure
     * @param prefixIntact what came back is exactly the first {@code received} bytes of the stream
     * @param failure      how reading ended if not by a clean end of stream (e.g. "Connection reset"); null if clean
     * @param nanos        from the connect to the end of the read side
     */
    public record Result(long sent, long received, boolean prefixIntact, String failure, long nanos) {
        /** Everything sent came back, exactly, and the stream ended cleanly. */
        public boolean intact() {
            return failure == null && sent == received && prefixIntact;
        }

        /** Bytes echoed per second. */
        public double bytesPerSecond() {
            return received * 1e9 / Math.max(1, nanos);
        }

        @Override
        public String toString() {
            return String.format("%d B sent, %d B back (%s), %s, %.0f MB/s", sent, received,
                prefixIntact ? "exact" : "CORRUPT", failure == null ? "clean end" : failure, bytesPerSecond() / 1e6);
        }
    }

    private BulkEcho() {
    }

    /** Streams as fast as it can for {@code duration}, then half-closes and reads to the end of stream. */
    public static Result run(final InetSocketAddress address, final Duration duration) throws IOException {
        return run(address, duration, Duration.ZERO);
    }

    /**
     * Streams for {@code duration} with {@code pause} after each 64 KiB chunk (zero: flat out), then half-closes
     * and reads to the end of stream. A failure of the connection ends the run and is reported, not thrown.
     *
     * @throws IOException only when the connect itself fails
     */
    public static Result run(final InetSocketAddress address, final Duration duration, final Duration pause)
        throws IOException {
        final MessageDigest received = sha256();
        final TcpDrops dropsBefore = TcpDrops.now();
        final long start = System.nanoTime();
        try (Socket s = new Socket(); ExecutorService writerThread = Executors.newThreadPerTaskExecutor(PLATFORM)) {
            // a fixed receive buffer, set before the connect (the window scale is agreed then): autotuned up to a
            // tcp_rmem max of 32 MB, the stream's receive memory ran past it and the kernel dropped every segment
            // while backing its retransmissions off to 13 s (TCPRcvQDrop, BeyondWindow: a stalled baseline in CI)
            s.setReceiveBufferSize(RECEIVE_BUFFER);
            s.connect(address, 5000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(15_000);
            final long stopAt = start + duration.toNanos();
            final Window window = new Window();
            final Future<Long> writer = writerThread.submit(() -> write(s, stopAt, pause.toNanos(), window));
            final long[] count = new long[1];
            final String failure = read(s, received, count, dropsBefore, window);
            window.close();
            final long nanos = System.nanoTime() - start;
            s.close(); // a healthy writer is done by now (the echo ends after our end); a stuck one fails
            long sent;
            try {
                sent = writer.get(15, TimeUnit.SECONDS);
            } catch (final ExecutionException | TimeoutException e) {
                sent = -1;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            final boolean prefix = MessageDigest.isEqual(received.digest(), prefixDigest(count[0]));
            return new Result(sent, count[0], prefix, failure, nanos);
        }
    }

    /** {@link #run(InetSocketAddress, Duration, Duration)} on {@code pool}, for a test that does something else meanwhile. */
    public static Future<Result> start(final ExecutorService pool, final InetSocketAddress address,
                                       final Duration duration, final Duration pause) {
        return pool.submit(() -> run(address, duration, pause));
    }

    /** The SHA-256 of the first {@code length} bytes of the stream. */
    static byte[] prefixDigest(final long length) {
        final MessageDigest digest = sha256();
        final byte[] chunk = new byte[CHUNK];
        long left = length;
        for (long n = 0; left > 0; n++) {
            fill(chunk, n);
            final int take = (int) Math.min(CHUNK, left);
            digest.update(chunk, 0, take);
            left -= take;
        }
        return digest.digest();
    }

    private static void fill(final byte[] chunk, final long n) {
        final int from = (int) ((n * 4099) % (RANDOM.length - CHUNK));
        System.arraycopy(RANDOM, from, chunk, 0, CHUNK);
        ByteBuffer.wrap(chunk).putLong(0, n);
    }

    /** What is written and not read back yet, and a wait for room under {@link #IN_FLIGHT}. */
    private static final class Window {
        private long written;
        private long read;
        private boolean closed;

        synchronized void awaitRoom(final long stopAt) throws InterruptedException {
            while (!closed && written - read >= IN_FLIGHT && System.nanoTime() - stopAt < 0) {
                wait(100); // a read, the reader's end or the stop time wakes it; the bound only guards a lost notify
            }
        }

        synchronized void written(final long n) {
            written += n;
        }

        synchronized void read(final long n) {
            read += n;
            notifyAll();
        }

        synchronized void close() {
            closed = true;
            notifyAll();
        }
    }

    /** Writes chunks until {@code stopAt}, then half-closes; returns the bytes written (throws on failure). */
    private static long write(final Socket s, final long stopAt, final long pauseNanos, final Window window)
        throws IOException, InterruptedException {
        final OutputStream out = s.getOutputStream();
        final byte[] chunk = new byte[CHUNK];
        long sent = 0;
        for (long n = 0; System.nanoTime() - stopAt < 0; n++) {
            window.awaitRoom(stopAt);
            if (System.nanoTime() - stopAt >= 0) {
                break;
            }
            fill(chunk, n);
            out.write(chunk);
            window.written(CHUNK);
            sent += CHUNK;
            if (pauseNanos > 0) {
                LockSupport.parkNanos(pauseNanos);
            }
        }
        s.shutdownOutput();
        return sent;
    }

    /**
     * Reads to the end of stream; returns null then, or what ended it otherwise. A read that times out says
     * where the bytes sat at that moment (the kernel's queues of every socket on the path) and which of the
     * host's TCP drop counters rose since the run began, since a stalled session is gone by the time anyone looks.
     */
    private static String read(final Socket s, final MessageDigest digest, final long[] count,
                               final TcpDrops dropsBefore, final Window window) {
        final byte[] buf = new byte[CHUNK];
        try {
            final InputStream in = s.getInputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                window.read(n);
                digest.update(buf, 0, n);
                count[0] += n;
            }
            return null;
        } catch (final SocketTimeoutException e) {
            return e.getMessage() + "; host's TCP drops meanwhile: " + TcpDrops.now().risenSince(dropsBefore) + "; "
                + QueuedBytes.describe(s.getLocalPort());
        } catch (final IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
