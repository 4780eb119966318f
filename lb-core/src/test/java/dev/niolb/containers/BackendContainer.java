package dev.niolb.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A backend host as a container: busybox {@code nc} on port 7000 greets each connection with the backend's name,
 * then echoes (a shell per connection: {@code echo NAME; exec cat}). Its port is published on 127.0.0.1 at a
 * port chosen here, so that it is the same after a restart (Docker picks a new one for a port published as 0).
 *
 * <p>The faults are the engine's own: {@link #kill()} (SIGKILL: a crashed host, its port refuses), {@link #pause()}
 * (the cgroup freezer: a hung host; the published port is docker-proxy's and still accepts, and the frozen
 * kernel socket still completes handshakes, so connects succeed and nothing ever answers), {@link #unpause()},
 * {@link #start()} after a kill, and {@link #restart()}.
 *
 * <p>Threading: one test thread.
 */
final class BackendContainer implements AutoCloseable {
    private static final int PAUSE_TRIES = 5;
    /** Imported by {@code .ci/docker-offline start}; never pulled (no registry is reachable). */
    static final String IMAGE = "lb-test/busybox:1";
    private static final int PORT = 7000;
    /** How long a restarted container keeps from serving: docker-proxy accepts meanwhile and closes ungreeted. */
    static final Duration RESTART_DELAY = Duration.ofSeconds(2);

    private final String name;
    private final int hostPort;
    private final GenericContainer<?> container;

    BackendContainer(final String name) throws IOException {
        this.name = name;
        // below the ephemeral range: published again after a restart, and nothing takes it meanwhile
        this.hostPort = dev.niolb.testing.Ports.freeForTcpAndUdp();
        final ExposedPort port = ExposedPort.tcp(PORT);
        this.container = new GenericContainer<>(DockerImageName.parse(IMAGE))
            // a restarted host serves again only after RESTART_DELAY: the time a real service takes to come back,
            // and what lets fall x interval of checks see it gone. Without it the engine may restart the container
            // within one check interval (it did, in CI), and the host is back before any check could fail twice.
            // The marker file is in the container's own filesystem, which a restart keeps.
            .withCommand("sh", "-c", "if [ -e /restarted ]; then sleep " + RESTART_DELAY.toSeconds() + "; fi; "
                + "touch /restarted; exec nc -ll -p " + PORT + " -e /bin/sh -c 'echo " + name + "; exec cat'")
            .withCreateContainerCmdModifier(cmd -> {
                cmd.withExposedPorts(port);
                cmd.getHostConfig()
                    .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), port));
            });
    }

    String name() {
        return name;
    }

    /** Where niolb reaches this backend: docker-proxy on 127.0.0.1. */
    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", hostPort);
    }

    /**
     * Creates and starts the container, or starts it again after {@link #kill()} (serving {@link #RESTART_DELAY}
     * later, as after a restart); returns once it greets.
     */
    void start() throws Exception {
        if (container.getContainerId() == null) {
            container.start();
        } else {
            docker().startContainerCmd(container.getContainerId()).exec();
        }
        awaitGreeting();
    }

    /** SIGKILL: returns once the host port refuses connections (docker-proxy is gone with the container). */
    void kill() throws Exception {
        docker().killContainerCmd(container.getContainerId()).exec();
        awaitRefused();
    }

    /**
     * {@code docker pause}: the cgroup freezer stops every process of the container. On a loaded machine runc may
     * give up freezing ("OCI runtime pause failed: unable to freeze") and leave the container running, as happened
     * in a loaded run of the whole suite: the runtime's hiccup, not what the tests look at, so it is tried again,
     * up to {@value #PAUSE_TRIES} times in all.
     */
    void pause() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                docker().pauseContainerCmd(container.getContainerId()).exec();
                return;
            } catch (final InternalServerErrorException e) {
                if (attempt == PAUSE_TRIES || !String.valueOf(e.getMessage()).contains("unable to freeze")) {
                    throw e;
                }
                Thread.sleep(100); // let whatever kept a task from freezing move on
            }
        }
    }

    void unpause() {
        docker().unpauseContainerCmd(container.getContainerId()).exec();
    }

    /**
     * {@code docker restart -t 0}: killed and started again; returns once it greets, {@link #RESTART_DELAY} after
     * the engine started it again.
     */
    void restart() throws Exception {
        docker().restartContainerCmd(container.getContainerId()).withTimeout(0).exec();
        awaitGreeting();
    }

    private DockerClient docker() {
        return container.getDockerClient();
    }

    private void awaitGreeting() throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(address(), 1000);
                s.setSoTimeout(1000);
                final String line =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                if (name.equals(line)) {
                    return;
                }
                last = new IOException("greeted with " + line);
            } catch (final IOException e) {
                last = e;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("backend " + name + " does not greet on " + address() + " within 20 s", last);
    }

    private void awaitRefused() throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(address(), 500);
            } catch (final IOException refused) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("backend " + name + " still accepts on " + address() + " 10 s after kill");
    }


    /** Removes the container, whatever its state (paused, killed): Testcontainers' stop is a forced remove. */
    @Override
    public void close() {
        if (container.getContainerId() != null) {
            try {
                unpause(); // older engines refuse to remove a paused container
            } catch (final RuntimeException notPaused) {
                // running or exited: nothing to thaw
            }
        }
        container.stop();
    }
}
