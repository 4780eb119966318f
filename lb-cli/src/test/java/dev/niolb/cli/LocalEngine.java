package dev.niolb.cli;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the container tests of lb-cli ({@link ContainerImageIT}, {@link BootedDebian}) share: the private Docker
 * engine of {@code .ci/docker-offline}, the Debian images {@code .ci/debian-images} makes on it from the host's
 * apt sources (nothing is pulled: no registry is reachable), the {@code .deb} that {@code mvn package} built, and
 * why the tests skip when one of them is missing.
 *
 * <p>Threading: test threads; holds no state.
 */
final class LocalEngine {
    /** debootstrap --variant=minbase: the BASE the Dockerfile is built on. */
    static final String DEBIAN = "lb-test/debian:base";
    /** The same with systemd: a container that boots /sbin/init. */
    static final String DEBIAN_SYSTEMD = "lb-test/debian:systemd";
    /** busybox-static, imported by .ci/docker-offline start: the servers behind niolb. */
    static final String BUSYBOX = "lb-test/busybox:1";

    private LocalEngine() {
    }

    /**
     * Null when an engine with every one of {@code images} is reachable and the .deb is built, else why the tests
     * skip, in one line.
     */
    static String skipReason(final String... images) {
        if (Boolean.getBoolean("niolb.deb.skip")) {
            return "-Dniolb.deb.skip=true: no .deb built";
        }
        if (deb() == null) {
            return "no niolb_*.deb in " + debDir() + " (mvn package builds it where dpkg-deb is installed)";
        }
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            return "no Docker engine reachable (run .ci/docker-offline start, eval \"$(.ci/docker-offline env)\", "
                + ".ci/debian-images before mvn; .ci/run does all three)";
        }
        for (final String image : images) {
            try {
                docker().inspectImageCmd(image).exec();
            } catch (final NotFoundException e) {
                return "the Docker engine has no image " + image + " (.ci/debian-images makes the Debian ones, "
                    + ".ci/docker-offline start the busybox one; nothing is pulled)";
            }
        }
        return null;
    }

    static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    /** The one .deb of {@code mvn package}, or null. */
    static Path deb() {
        try (Stream<Path> files = Files.list(debDir())) {
            final List<Path> debs = files.filter(p -> p.getFileName().toString().matches("niolb_.*\\.deb")).toList();
            return debs.size() == 1 ? debs.getFirst() : null;
        } catch (final IOException e) {
            return null;
        }
    }

    private static Path debDir() {
        return Path.of(System.getProperty("niolb.deb.dir", "target"));
    }

    /** {@code sh -c script} in the container; asserts exit 0 and gives stdout. */
    static String sh(final GenericContainer<?> container, final String script) throws Exception {
        final ExecResult r = container.execInContainer("sh", "-c", script);
        assertThat(r.getExitCode()).as(script + "\n--- stdout ---\n" + r.getStdout() + "--- stderr ---\n"
            + r.getStderr()).isZero();
        return r.getStdout();
    }

    /** A port free on 127.0.0.1 now, for a fixed port binding (Docker picks a new one for a port published as 0). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** Writes {@code size} random bytes on {@code client} and asserts that the same bytes come back. */
    static void assertEchoes(final Socket client, final int size) throws Exception {
        final byte[] payload = new byte[size];
        new Random(size).nextBytes(payload);
        final Thread writer = Thread.ofVirtual().start(() -> {
            try {
                client.getOutputStream().write(payload);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        final byte[] echoed = client.getInputStream().readNBytes(size);
        writer.join();
        assertThat(Arrays.equals(echoed, payload)).as("%d bytes echoed through niolb unchanged", size).isTrue();
    }
}
