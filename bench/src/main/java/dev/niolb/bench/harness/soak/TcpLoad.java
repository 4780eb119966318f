package dev.niolb.bench.harness.soak;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The soak's TCP clients, on virtual threads: {@code longSessions} streams kept open at all times, each a paced
 * echo stream of random length (a new one replaces each that ends), and short sessions opened at
 * {@code shortRate} per second (send up to 64 KiB, half-close, read the echo to its end). Every byte that comes
 * back is checked against what was sent ({@link Pattern}); each session is classified in the {@link Tally}.
 *
 * <p>A session that ends before its echo is complete is <em>cut</em> when the server it reached (the first
 * byte of the echo is the server's id) was stopped during its life; otherwise its missing bytes are
 * <em>lost</em>. Threadsafe to start and stop from one controlling thread.
 */
final class TcpLoad {
    private static final int LONG_PACE_MS = 20;
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final InetSocketAddress target;
    private final SoakServers servers;
    private final Tally tally;
    private final int longSessions;
    private final double shortRate;
    private final long longLifeMaxMs;
    private final AtomicLong seeds = new AtomicLong(System.nanoTime());
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    TcpLoad(final InetSocketAddress target, final SoakServers servers, final Tally tally, final int longSessions,
            final double shortRate, final long longLifeMaxMs) {
        this.target = target;
        this.servers = servers;
        this.tally = tally;
        this.longSessions = longSessions;
        this.shortRate = shortRate;
        this.longLifeMaxMs = longLifeMaxMs;
    }

    void start() {
        running = true;
        for (int i = 0; i < longSessions; i++) {
            threads.add(Thread.ofVirtual().name("soak-long-" + i).start(() -> {
                while (running) {
                    longSession();
                }
            }));
        }
        if (shortRate > 0) {
            threads.add(Thread.ofVirtual().name("soak-short").start(this::shortSessions));
        }
    }

    /** Stops opening sessions, lets the open ones finish (long ones end their stream now), and waits for them. */
    void stop() throws InterruptedException {
        running = false;
        for (final Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        threads.clear();
    }

    private void shortSessions() {
        final List<Thread> inFlight = new ArrayList<>();
        final long intervalNanos = (long) (1e9 / shortRate);
        long next = System.nanoTime();
        while (running) {
            next += intervalNanos;
            inFlight.removeIf(t -> !t.isAlive());
            inFlight.add(Thread.ofVirtual().start(this::shortSession));
            final long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime(); // fell behind: no burst to catch up
            }
        }
        for (final Thread t : inFlight) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void shortSession() {
        final long seed = seeds.incrementAndGet();
        final int size = 1 + ThreadLocalRandom.current().nextInt(64 * 1024);
        final Pattern out = new Pattern(seed);
        final long started = System.nanoTime();
        int server = -1;
        long received = 0;
        try (Socket s = new Socket()) {
            s.connect(target, 5000);
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            server = readId(s.getInputStream());
            final OutputStream o = s.getOutputStream();
            for (long n = 0; n * Pattern.CHUNK < size; n++) {
                o.write(out.chunk(n), 0, (int) Math.min(Pattern.CHUNK, size - n * Pattern.CHUNK));
            }
            s.shutdownOutput();
            received = readAndCheck(s.getInputStream(), new Pattern(seed), "short", server);
            if (received == size) {
                tally.shortSessions.ok.increment();
                return;
            }
            if (received > size) {
                corrupt("short", server, size, received - size, "more bytes than sent");
                tally.shortSessions.failed.increment();
                return;
            }
            endedEarly(tally.shortSessions, "short", server, started, size, received, "end of stream");
        } catch (final IOException e) {
            endedEarly(tally.shortSessions, "short", server, started, server < 0 ? 0 : size, received, describe(e));
        }
    }

    private void longSession() {
        final long seed = seeds.incrementAndGet();
        final long lifeNanos = TimeUnit.MILLISECONDS.toNanos(
            ThreadLocalRandom.current().nextLong(longLifeMaxMs / 10, longLifeMaxMs + 1));
        final long started = System.nanoTime();
        final AtomicLong sent = new AtomicLong();
        final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        int server = -1;
        long received = 0;
        try (Socket s = new Socket()) {
            s.connect(target, 5000);
            s.setSoTimeout(15_000);
            s.setTcpNoDelay(true);
            server = readId(s.getInputStream());
            final Thread writer = Thread.ofVirtual().start(() -> {
                final Pattern out = new Pattern(seed);
                try {
                    final OutputStream o = s.getOutputStream();
                    for (long n = 0; running && System.nanoTime() - started < lifeNanos; n++) {
                        o.write(out.chunk(n));
                        sent.addAndGet(Pattern.CHUNK);
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(LONG_PACE_MS));
                    }
                    // before the FIN: the whole echo, and its end, can reach the reader before this thread runs on
                    finished.set(true);
                    s.shutdownOutput();
                } catch (final IOException e) {
                    // the reader sees how the session ended
                }
            });
            final boolean ourEndFirst;
            try {
                received = readAndCheck(s.getInputStream(), new Pattern(seed), "long", server);
                // the echo ends only after our end: an end of stream before it means the server side gave up
                ourEndFirst = finished.get();
            } finally {
                s.close(); // a writer blocked on a dead session fails now
                writer.join();
            }
            if (ourEndFirst && received == sent.get()) {
                tally.longSessions.ok.increment();
                return;
            }
            endedEarly(tally.longSessions, "long", server, started, sent.get(), received,
                ourEndFirst ? "end of stream" : "end of stream before the client's end");
        } catch (final IOException e) {
            endedEarly(tally.longSessions, "long", server, started, sent.get(), received, describe(e));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The server's id, the first byte of every echo. */
    private static int readId(final InputStream in) throws IOException {
        final int id = in.read();
        if (id < 0) {
            throw new EOFException("closed before the server's first byte");
        }
        return id;
    }

    /**
     * Reads to the end of stream, checking every byte; returns the bytes read. Bytes after a mismatch are
     * counted corrupt and the reading stops.
     */
    private long readAndCheck(final InputStream in, final Pattern expected, final String kind, final int server)
        throws IOException {
        final byte[] buf = new byte[64 * 1024];
        long position = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            final long bad = expected.firstMismatch(position, buf, 0, n);
            if (bad >= 0) {
                corrupt(kind, server, bad, position + n - bad, "differs at byte " + bad);
                throw new IOException("corrupt echo");
            }
            position += n;
            tally.bytesChecked.add(n);
        }
        return position;
    }

    private void corrupt(final String kind, final int server, final long at, final long bytes, final String what) {
        tally.corruptBytes.add(bytes);
        tally.incident(kind + " session via s" + server + ": CORRUPT, " + what + " (" + bytes + " bytes)");
    }

    private void endedEarly(final Tally.Sessions sessions, final String kind, final int server, final long started,
                            final long sent, final long received, final String how) {
        final long ended = System.nanoTime();
        final boolean explained = server >= 0
            ? servers.wasDownBetween(server, started, ended + GRACE_NANOS)
            : servers.anyDownBetween(started - GRACE_NANOS, ended + GRACE_NANOS);
        if (explained) {
            sessions.cut.increment();
            return;
        }
        sessions.failed.increment();
        if (sent > received) {
            tally.lostBytes.add(sent - received);
        }
        tally.incident(kind + " session via " + (server < 0 ? "no server" : "s" + server) + " ended early ("
            + how + ") with no server stop to explain it: " + received + " of " + sent + " bytes back");
    }

    private static String describe(final IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
