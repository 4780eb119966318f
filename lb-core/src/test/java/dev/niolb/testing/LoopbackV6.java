package dev.niolb.testing;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * IPv6 on loopback for tests: whether {@code ::1} works, and extra client addresses on {@code lo} so that a test can
 * connect from distinct IPv6 sources, several in one /64 and others in another. The addresses are in a unique-local
 * prefix of this process ({@code fd00:15:PID::/48}, one /64 per {@link #address net}), added as /128s with
 * {@code ip -6 addr add … dev lo nodad} (no duplicate address detection, so usable at once), and removed by
 * {@link #close}. Adding needs root and iproute2: {@link #why} says why not when they are missing.
 */
public final class LoopbackV6 implements AutoCloseable {
    private final String prefix = String.format("fd00:15:%x", ProcessHandle.current().pid() & 0xffff);
    private final List<String> added = new ArrayList<>();
    private final String why;

    private LoopbackV6(final String why) {
        this.why = why;
    }

    /** Null when {@code ::1} works here (a socket binds it), else why not. */
    public static String whyNoLoopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("::1", 0));
            return null;
        } catch (final IOException e) {
            return "IPv6 loopback ::1 is not usable here (" + e.getMessage() + "; is net.ipv6.conf.lo.disable_ipv6 1?)";
        }
    }

    /** Ready to add addresses, or not (see {@link #why}). */
    public static LoopbackV6 open() {
        final String noLoopback = whyNoLoopback();
        if (noLoopback != null) {
            return new LoopbackV6(noLoopback);
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return new LoopbackV6("adding IPv6 addresses to lo needs root (ip -6 addr add … dev lo)");
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))
            && !Files.isExecutable(Path.of("/usr/bin/ip")) && !Files.isExecutable(Path.of("/bin/ip"))) {
            return new LoopbackV6("the ip command (iproute2) is not installed");
        }
        return new LoopbackV6(null);
    }

    /** Null when addresses can be added, else why not. */
    public String why() {
        return why;
    }

    /** {@code fd00:15:PID:NET::HOST}, added to lo the first time it is asked for. */
    public InetAddress address(final int net, final int host) throws IOException {
        if (why != null) {
            throw new IllegalStateException(why);
        }
        final String text = String.format("%s:%x::%x", prefix, net, host);
        if (!added.contains(text)) {
            ip("add", text);
            added.add(text);
        }
        return Inet6Address.getByName(text);
    }

    /** The /64 of {@code net}, as CIDR text. */
    public String net(final int net) {
        return String.format("%s:%x::/64", prefix, net);
    }

    private static void ip(final String verb, final String address) throws IOException {
        final Process p = new ProcessBuilder("ip", "-6", "addr", verb, address + "/128", "dev", "lo", "nodad")
            .redirectErrorStream(true).start();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("ip -6 addr " + verb + " " + address + " hangs");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) {
            throw new IOException("ip -6 addr " + verb + " " + address + " failed: " + out);
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (final String a : added.reversed()) {
            try {
                ip("del", a);
            } catch (final IOException e) {
                first = first == null ? e : first;
            }
        }
        added.clear();
        if (first != null) {
            throw first;
        }
    }
}
