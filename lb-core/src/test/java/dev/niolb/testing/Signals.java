package dev.niolb.testing;

import java.io.IOException;

/** Signals by name to a process a test started, with kill(1): the JDK sends only TERM and KILL itself. */
public final class Signals {
    private Signals() {
    }

    /** Sends {@code name} ({@code HUP}, {@code STOP}, {@code CONT}, {@code INT} …) to {@code pid}. */
    public static void send(final long pid, final String name) throws IOException, InterruptedException {
        final Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + pid + " failed");
        }
    }
}
