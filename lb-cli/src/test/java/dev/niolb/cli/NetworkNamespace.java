package dev.niolb.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Used by one test thread; {@link #thread} starts platform threads of its own. A named network namespace
 * ({@code ip netns add}) that a test made and deletes on {@link #close()}, its links and addresses with it.
 * Commands run in it through {@code ip netns exec}; the test's own sockets get into it on a platform thread that
 * has joined it with {@code setns(2)}: a network namespace belongs to a thread, so a socket that thread opens (a
 * client's, a server's listening one) lives there, whichever thread uses it afterwards.
 */
final class NetworkNamespace implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = LINKER.downcallHandle(LIBC.find("setns").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LIBC.find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final String name;

    private NetworkNamespace(final String name) {
        this.name = name;
    }

    /** Makes the namespace {@code name} (a leftover of that name from a killed run is deleted first), lo up. */
    static NetworkNamespace create(final String name) throws IOException, InterruptedException {
        run("ip", "netns", "delete", name); // ours, left by a run that was killed: may not exist
        check("ip", "netns", "add", name);
        final NetworkNamespace ns = new NetworkNamespace(name);
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    /** Why namespaces cannot be made here, or null: a namespace made and deleted, as the test will. */
    static String skipReason() {
        final String probe = "niolb-probe-" + ProcessHandle.current().pid();
        try {
            final Result add = run("ip", "netns", "add", probe);
            if (add.exitCode() != 0) {
                return "cannot create a network namespace (needs root and iproute2): " + add.output().strip();
            }
            run("ip", "netns", "delete", probe);
            return null;
        } catch (final IOException e) {
            return "cannot run ip (package iproute2): " + e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    String name() {
        return name;
    }

    /** Runs {@code command} in the namespace and returns its output; fails the test on a non-zero exit. */
    String exec(final String... command) throws IOException, InterruptedException {
        return check(prefix(command).toArray(String[]::new));
    }

    /** The command line that runs {@code command} in the namespace ({@code ip netns exec} execs it: same PID). */
    List<String> prefix(final String... command) {
        final List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", name));
        line.addAll(List.of(command));
        return line;
    }

    /** A platform thread, started, that runs {@code body} inside the namespace. */
    Thread thread(final String threadName, final Runnable body) {
        return Thread.ofPlatform().name(threadName).daemon().start(() -> {
            enter();
            body.run();
        });
    }

    /** Moves the calling platform thread into the namespace for good. */
    private void enter() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment path = arena.allocateFrom("/var/run/netns/" + name, StandardCharsets.UTF_8);
            final int fd = (int) OPEN.invokeExact(path, O_RDONLY_CLOEXEC);
            if (fd < 0) {
                throw new IllegalStateException("cannot open /var/run/netns/" + name);
            }
            final int rc = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
            final int ignored = (int) CLOSE.invokeExact(fd);
            if (rc != 0) {
                throw new IllegalStateException("setns into " + name + " failed");
            }
        } catch (final RuntimeException | Error e) {
            throw e;
        } catch (final Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("ip", "netns", "delete", name);
    }

    record Result(int exitCode, String output) {
    }

    static String check(final String... command) throws IOException, InterruptedException {
        final Result result = run(command);
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.exitCode() + ": "
                + result.output());
        }
        return result.output();
    }

    /** Runs a short command to its end (at most 20 s), stdout and stderr together. */
    static Result run(final String... command) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final StringBuilder output = new StringBuilder();
        final Thread reader = Thread.ofVirtual().start(() -> {
            try {
                output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (final IOException e) {
                output.append(e.getMessage());
            }
        });
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " still running after 20 s");
        }
        reader.join(5000); // a child it left behind may hold the pipe open: the bound
        return new Result(process.exitValue(), output.toString());
    }
}
