package dev.niolb.bench.harness.soak;

import dev.niolb.bench.harness.proc.JvmMemory;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A bounded soak of niolb: a child niolb in front of five in-process servers (four in its set at a time), under
 * mixed load (long and short TCP sessions, every byte checked; UDP flows, every answer checked) while two of
 * the servers flap (stopped and started on a schedule, health checks on) and, when niolb can, two reloads
 * change the server set. niolb's descriptors, threads, heap after a GC and direct memory are sampled after a
 * warm-up and again after the load stops and a settle period; the soak fails if one did not come back to its
 * start level within a tolerance, if a byte of a healthy session was lost or corrupted, or if a reload did
 * not take.
 *
 * <p>Not threadsafe: one run per instance, from one thread.
 */
public final class Soak {
    /** Servers s0 and s1 never stop; s2 and s3 flap; s4 is only in niolb's set between the two reloads. */
    private static final int SERVERS = 5;
    private static final List<Integer> FLAPPING = List.of(2, 3);
    private static final long SAMPLE_EVERY_MS = 5_000;

    /** How reloads are done. */
    public enum ReloadMode {
        /** SIGHUP when a throwaway niolb started with {@code run --config} survives a SIGHUP, else none. */
        AUTO,
        /** Rewrite the config file and send SIGHUP. */
        SIGHUP,
        /** No reloads. */
        NONE
    }

    /**
     * What to run.
     *
     * @param niolbPrefix the command that starts niolb, without {@code run} and its arguments
     */
    public record Settings(Duration duration, Duration warmup, Duration settle, int threads, int longSessions,
                           Duration longLife, double shortRate, int udpFlows, double udpRate, Duration flapEvery,
                           Duration flapDown, ReloadMode reload, List<String> niolbPrefix, Path out,
                           SoakReport.Tolerances tolerances) {
    }

    private final Settings settings;
    private final PrintStream console;
    private final List<String> events = new ArrayList<>();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());

    public Soak(final Settings settings, final PrintStream console) {
        this.settings = settings;
        this.console = console;
    }

    /** Runs the soak and returns its report (also written to {@code out/soak.md}). */
    public SoakReport run() throws IOException, InterruptedException {
        Files.createDirectories(settings.out());
        final InetAddress host = InetAddress.getByName("127.0.0.1");
        final boolean reloads = reloadsOn();
        try (SoakServers servers = SoakServers.open(SERVERS, host)) {
            final List<SoakServer> initial = servers.all().subList(0, 4);
            final Path config = reloads ? settings.out().resolve("soak.yaml") : null;
            try (SoakNiolb niolb = SoakNiolb.start(settings.niolbPrefix(), settings.out(), host, settings.threads(),
                initial, config)) {
                return soak(servers, niolb, reloads);
            }
        }
    }

    private SoakReport soak(final SoakServers servers, final SoakNiolb niolb, final boolean reloads)
        throws IOException, InterruptedException {
        final long pid = niolb.pid();
        say("niolb pid %d: tcp %s, udp %s; servers %s", pid, niolb.tcp(), niolb.udp(),
            servers.all().stream().map(s -> s.name() + " " + s.address().getPort()).toList());
        JvmMemory.sample(pid); // starts niolb's JMX agent now: its socket and threads are there at both samples
        final Tally tally = new Tally();
        final TcpLoad tcp = new TcpLoad(niolb.tcp(), servers, tally, settings.longSessions(), settings.shortRate(),
            settings.longLife().toMillis());
        final UdpLoad udp = new UdpLoad(niolb.udp(), tally, settings.udpFlows(), settings.udpRate());

        say("warm-up %s, then settle %s", format(settings.warmup()), format(settings.settle()));
        tcp.start();
        udp.start();
        Thread.sleep(settings.warmup().toMillis());
        tcp.stop();
        udp.stop();
        Thread.sleep(settings.settle().toMillis());
        final ResourceSample start = ResourceSample.full(pid);
        say("start: %s", start);

        say("soak %s: flapping %s every %s for %s; reloads %s", format(settings.duration()),
            FLAPPING.stream().map(i -> "s" + i).toList(), format(settings.flapEvery()), format(settings.flapDown()),
            reloads ? "at 1/3 and 2/3 (SIGHUP)" : "off");
        final Flapper flapper = new Flapper(servers);
        final long began = System.nanoTime();
        final long end = began + settings.duration().toNanos();
        tcp.start();
        udp.start();
        if (!settings.flapEvery().isZero()) {
            flapper.start();
        }
        ResourceSample peak = ResourceSample.light(pid);
        int reloadsDone = 0;
        long nextSample = System.nanoTime();
        while (System.nanoTime() - end < 0) {
            if (reloads && reloadsDone < 2 && System.nanoTime() - began >= (reloadsDone + 1) * settings.duration().toNanos() / 3) {
                reload(niolb, servers, ++reloadsDone);
            }
            if (System.nanoTime() - nextSample >= 0) {
                peak = max(peak, ResourceSample.light(pid));
                nextSample += TimeUnit.MILLISECONDS.toNanos(SAMPLE_EVERY_MS);
                if (!niolb.alive()) {
                    failures.add("niolb exited during the soak: " + niolb.logTail());
                    break;
                }
            }
            Thread.sleep(100);
        }
        say("load stops; settle %s", format(settings.settle()));
        tcp.stop();
        udp.stop();
        flapper.stop();
        Thread.sleep(settings.settle().toMillis());
        final ResourceSample last = niolb.alive() ? ResourceSample.full(pid) : new ResourceSample(-1, -1, -1, -1, -1);
        say("end: %s", last);
        if (!niolb.alive()) {
            failures.add("niolb is not running at the end: " + niolb.logTail());
        }
        events.add(String.format(Locale.ROOT, "server stops (flaps): %d; reloads: %s", servers.stops(),
            reloads ? reloadsDone + " (SIGHUP)" : "none (" + whyNoReloads() + ")"));
        final String header = String.format(Locale.ROOT,
            "niolb-bench soak: %s of load (after a %s warm-up, settle %s) on niolb pid %d with %d loops; "
                + "%d long TCP sessions (up to %s each), %.0f short TCP sessions/s, %d UDP flows at %.0f datagrams/s each",
            format(settings.duration()), format(settings.warmup()), format(settings.settle()), pid, settings.threads(),
            settings.longSessions(), format(settings.longLife()), settings.shortRate(), settings.udpFlows(),
            settings.udpRate());
        final SoakReport report = SoakReport.judge(header, tally, start, last, max(peak, max(start, last)),
            settings.tolerances(), events, failures);
        Files.writeString(settings.out().resolve("soak.md"), report.text(), StandardCharsets.UTF_8);
        return report;
    }

    /** Reload 1 swaps s1 out and s4 in; reload 2 swaps them back. Checks that niolb's traffic follows. */
    private void reload(final SoakNiolb niolb, final SoakServers servers, final int n)
        throws IOException, InterruptedException {
        final SoakServer out = servers.get(n == 1 ? 1 : 4);
        final SoakServer in = servers.get(n == 1 ? 4 : 1);
        final List<SoakServer> set = List.of(servers.get(0), in, servers.get(2), servers.get(3));
        final long inBefore = in.accepted();
        final long sent = System.nanoTime();
        niolb.reload(set);
        final long deadline = sent + TimeUnit.SECONDS.toNanos(10);
        while (in.accepted() == inBefore && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        if (in.accepted() == inBefore) {
            failures.add("reload " + n + ": " + in.name() + " got no connection within 10 s of SIGHUP");
            say("reload %d: %s NOT seen within 10 s", n, in.name());
            return;
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        Thread.sleep(1000); // checks and connects already under way to the removed server finish
        final long outBefore = out.accepted();
        Thread.sleep(2000);
        final long outAfter = out.accepted();
        final String line = String.format(Locale.ROOT, "reload %d: %s in (first connection %d ms after SIGHUP), %s out"
            + " (%d new connections in the 2 s after)", n, in.name(), tookMs, out.name(), outAfter - outBefore);
        events.add(line);
        say("%s", line);
        if (outAfter != outBefore) {
            failures.add("reload " + n + ": " + out.name() + " still gets new connections after leaving the set");
        }
    }

    private boolean reloadsOn() {
        return switch (settings.reload()) {
            case NONE -> false;
            case SIGHUP -> true;
            case AUTO -> whyNoReloads() == null;
        };
    }

    private String noReloadReason;
    private boolean probed;

    /** Null when niolb offers config-file reloads; else why not. */
    private String whyNoReloads() {
        if (settings.reload() == ReloadMode.NONE) {
            return "--reload none";
        }
        if (!probed) {
            probed = true;
            noReloadReason = ReloadProbe.whyNot(settings.niolbPrefix(), settings.out());
        }
        return noReloadReason;
    }

    private static ResourceSample max(final ResourceSample a, final ResourceSample b) {
        return new ResourceSample(Math.max(a.fds(), b.fds()), Math.max(a.threads(), b.threads()),
            Math.max(a.rssKiB(), b.rssKiB()), -1, -1);
    }

    private void say(final String format, final Object... args) {
        console.printf(Locale.ROOT, "[soak] " + format + "%n", args);
    }

    static String format(final Duration d) {
        if (d.toMillis() % 60_000 == 0 && !d.isZero()) {
            return d.toMinutes() + "m";
        }
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        return d.toMillis() + "ms";
    }

    /** Stops s2 and s3 in turn: every {@code flapEvery} one goes down for {@code flapDown}, then up again. */
    private final class Flapper {
        private final SoakServers servers;
        private Thread thread;
        private volatile boolean running;

        Flapper(final SoakServers servers) {
            this.servers = servers;
        }

        void start() {
            running = true;
            thread = Thread.ofPlatform().daemon().name("soak-flapper").start(this::run);
        }

        void stop() throws InterruptedException {
            running = false;
            if (thread != null) {
                thread.interrupt();
                thread.join(10_000);
            }
            for (final int id : FLAPPING) {
                bringUp(servers.get(id));
            }
        }

        private void run() {
            int next = 0;
            try {
                while (running) {
                    Thread.sleep(settings.flapEvery().toMillis());
                    final SoakServer victim = servers.get(FLAPPING.get(next++ % FLAPPING.size()));
                    victim.stop();
                    try {
                        Thread.sleep(settings.flapDown().toMillis());
                    } finally {
                        bringUp(victim);
                    }
                }
            } catch (final InterruptedException e) {
                // stopped
            }
        }

        private void bringUp(final SoakServer server) {
            for (int attempt = 0; attempt < 50 && !server.up(); attempt++) {
                try {
                    server.start();
                } catch (final IOException e) {
                    if (attempt == 49) {
                        failures.add(server.name() + " could not bind its port again: " + e.getMessage());
                    }
                    try {
                        Thread.sleep(100);
                    } catch (final InterruptedException stop) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }
}
