package dev.niolb.containers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Clients of niolb, on virtual threads, that record what happened to every session, for the container tests.
 *
 * <ul>
 *   <li>Short sessions: connect, read the greeting (the backend's name), one echo, close; again and again.</li>
 *   <li>Long sessions: connect, read the greeting, then one echo after another (a request waits for its answer,
 *       so a session whose backend hangs sends nothing more: it is idle for niolb). When a session is cut, the
 *       client reconnects at once: that is failover as a client sees it.</li>
 * </ul>
 *
 * <p>Threading: the workers write the queues; the test thread reads them after {@link #stop()}, or while running.
 */
final class Traffic {
    /** A short session: when it started, who served it, or why it failed (null when it was served). */
    record ShortSession(long startNanos, long endNanos, String server, String failure) {
        boolean served() {
            return failure == null;
        }
    }

    /**
     * An event of a long session's client: a session opened on {@code server}, or cut ({@code server} null when it
     * was cut before its greeting). {@code startNanos}: when the client began to connect that session.
     */
    record LongEvent(int client, long startNanos, long atNanos, String server, boolean cut, String why) {
    }

    private static final int READ_TIMEOUT_MS = 10_000;

    private final InetSocketAddress front;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    final Queue<ShortSession> shorts = new ConcurrentLinkedQueue<>();
    final Queue<LongEvent> longs = new ConcurrentLinkedQueue<>();

    Traffic(final InetSocketAddress front) {
        this.front = front;
    }

    /** Starts {@code n} clients that open one short session after another. */
    Traffic shortSessions(final int n) {
        for (int i = 0; i < n; i++) {
            threads.submit(() -> {
                while (running.get()) {
                    shorts.add(oneShortSession());
                }
                return null;
            });
        }
        return this;
    }

    /** One short session now, on the caller's thread, recorded with the others. */
    void shortSessionNow() {
        shorts.add(oneShortSession());
    }

    /** Starts {@code n} clients with one long session each, and returns once every one has its first session. */
    Traffic longSessions(final int n) throws InterruptedException {
        final int before = opened();
        for (int i = 0; i < n; i++) {
            final int client = i;
            threads.submit(() -> {
                int seq = 0;
                while (running.get()) {
                    String server = null;
                    final long start = System.nanoTime();
                    try (Socket s = connect()) {
                        final Echo echo = new Echo(s);
                        server = echo.greeting();
                        longs.add(new LongEvent(client, start, System.nanoTime(), server, false, null));
                        while (running.get()) {
                            echo.roundTrip("ping " + client + " " + seq++);
                            Thread.sleep(20);
                        }
                    } catch (final IOException e) {
                        if (running.get()) {
                            longs.add(new LongEvent(client, start, System.nanoTime(), server, true, e.toString()));
                        }
                    }
                }
                return null;
            });
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (opened() < before + n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return this;
    }

    private int opened() {
        return (int) longs.stream().filter(e -> !e.cut()).count();
    }

    private ShortSession oneShortSession() {
        final long start = System.nanoTime();
        String server = null;
        try (Socket s = connect()) {
            final Echo echo = new Echo(s);
            server = echo.greeting();
            echo.roundTrip("hello " + start);
            return new ShortSession(start, System.nanoTime(), server, null);
        } catch (final IOException e) {
            return new ShortSession(start, System.nanoTime(), server, e.toString());
        }
    }

    private Socket connect() throws IOException {
        final Socket s = new Socket();
        try {
            s.connect(front, 5000);
            s.setSoTimeout(READ_TIMEOUT_MS);
            return s;
        } catch (final IOException e) {
            s.close();
            throw e;
        }
    }

    /** The short sessions that started after {@code nanos} ({@link System#nanoTime()}). */
    List<ShortSession> shortsStartedAfter(final long nanos) {
        return shorts.stream().filter(s -> s.startNanos() > nanos).toList();
    }

    /** The long clients' events in order of time. */
    List<LongEvent> longEvents() {
        return longs.stream().sorted(java.util.Comparator.comparingLong(LongEvent::atNanos)).toList();
    }

    /** The server each long client is on now: the server of its last opened session. */
    String serverOf(final int client) {
        String server = null;
        for (final LongEvent e : longEvents()) {
            if (e.client() == client && !e.cut()) {
                server = e.server();
            }
        }
        return server;
    }

    /** Stops every client and waits for them (a client blocked on a hung backend gives up at its read timeout). */
    void stop() throws InterruptedException {
        running.set(false);
        threads.shutdown();
        if (!threads.awaitTermination(READ_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS)) {
            threads.shutdownNow();
        }
    }

    /** One session's line protocol: the greeting, then lines echoed back. */
    private static final class Echo {
        private final BufferedReader in;
        private final OutputStream out;

        Echo(final Socket s) throws IOException {
            this.in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            this.out = s.getOutputStream();
        }

        String greeting() throws IOException {
            return line();
        }

        void roundTrip(final String text) throws IOException {
            out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            final String back = line();
            if (!back.equals(text)) {
                throw new IOException("sent '" + text + "', got '" + back + "' back");
            }
        }

        private String line() throws IOException {
            final String line = in.readLine();
            if (line == null) {
                throw new IOException("closed by the other side");
            }
            return line;
        }
    }
}
