package dev.niolb.cli;

import dev.niolb.config.AdminConfig;
import dev.niolb.config.TokenFile;
import dev.niolb.config.file.ConfigFile;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The flags that say which niolb a client command ({@code stats}, {@code server}, {@code reload}) talks to, and
 * with what token: {@code --admin} and {@code --admin-token-file}, or both read from a config file's
 * {@code admin:} block, as the niolb that runs it reads them.
 *
 * <p>Without {@code --admin} and {@code --config}, {@value #DEFAULT_CONFIG} is read where it exists (the .deb's
 * service), else the default address is asked. A token file given as a flag wins over the file's.
 *
 * <p>Threading: picocli fills it on the main thread, which then uses it.
 */
final class AdminTarget {
    static final String DEFAULT_CONFIG = "/etc/niolb/niolb.yaml";

    /** {@code HOST:PORT} of an admin API, as {@code run --admin} takes it (TCP only; {@code none} means nothing here). */
    static final class Address implements ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(final String text) {
            final InetSocketAddress address;
            try {
                address = AdminConfig.parseAddress(text);
            } catch (final IllegalArgumentException e) {
                throw new Converters.BadValue(e.getMessage().replace(" (or none)", ""));
            }
            if (address == null) {
                throw new Converters.BadValue("'" + text + "': give the HOST:PORT of the admin API to ask");
            }
            return address;
        }
    }

    @Option(names = "--admin", paramLabel = "HOST:PORT", converter = Address.class,
        description = "The admin API of the niolb to ask (default: the config file's admin.address, else "
            + AdminConfig.DEFAULT_ADDRESS + ").")
    private InetSocketAddress admin;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
        description = "The file holding the admin bearer token (default: the config file's admin.token-file).")
    private Path tokenFile;

    /** The address niolb listens on behind a forward: a concrete one, which a proof can name. */
    static final class ListenAddress implements ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(final String text) {
            final InetSocketAddress address = new Address().convert(text);
            if (address.getAddress() != null && address.getAddress().isAnyLocalAddress() || address.getPort() == 0) {
                throw new Converters.BadValue("'" + text + "': give the address and port niolb's admin API listens "
                    + "on, as it sees itself (not a wildcard or port 0)");
            }
            return address;
        }
    }

    @Option(names = "--admin-forwarded-to", paramLabel = "HOST:PORT", converter = ListenAddress.class,
        description = "Where the admin API listens as niolb sees it, when --admin reaches it through a forward "
            + "(docker -p, ssh -L, kubectl port-forward): niolb proves it holds the token for the address it was "
            + "reached on, which a forward changes (default: the --admin address).")
    private InetSocketAddress forwardedTo;

    @Option(names = "--config", paramLabel = "FILE",
        description = "Take the admin address and token file from this niolb config file (default: "
            + DEFAULT_CONFIG + " where it exists and --admin is not given).")
    private Path config;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.Timeout.class,
        description = "How long to wait for the admin API's whole answer, the connect included (default: 10s).")
    private Duration timeout = AdminClient.DEFAULT_TIMEOUT;

    /** The client these flags describe; a {@link Failure} when the config or the token file cannot be read. */
    AdminClient client() {
        return client(true);
    }

    /**
     * As {@link #client()}; for reading alone ({@code changes} false) no token is read, since reading needs none:
     * {@code niolb stats --config FILE} failed on a token file it could not read (black-box testing, session 27).
     */
    AdminClient client(final boolean changes) {
        final AdminConfig fromFile = fileAdmin();
        final InetSocketAddress address;
        if (admin != null) {
            address = reachable(admin); // the address niolb was told to listen on, as with the file's
        } else if (fromFile != null) {
            if (!fromFile.enabled()) {
                throw new Failure(configPath() + " runs niolb without an admin API (admin.address: none)");
            }
            address = reachable(fromFile.address());
        } else {
            address = AdminConfig.DEFAULT.address();
        }
        final Path token = tokenFile != null ? tokenFile : fromFile == null ? null : fromFile.tokenFile();
        return new AdminClient(address, token == null || !changes ? null : new AdminClient.Token(readToken(token), token,
            forwardedTo == null ? address : forwardedTo), timeout, admin == null && fromFile != null ? configPath() : null);
    }

    /** The config file's admin block, or null when no file is named and the default one is absent. */
    private AdminConfig fileAdmin() {
        final Path path = configPath();
        if (path == null) {
            return null;
        }
        return CheckCommand.load(new ConfigFile(path)).admin();
    }

    private Path configPath() {
        if (config != null) {
            return config;
        }
        final Path standard = Path.of(DEFAULT_CONFIG);
        return admin == null && Files.isReadable(standard) ? standard : null;
    }

    /** A wildcard listen address is asked on loopback, of its own family. */
    static InetSocketAddress reachable(final InetSocketAddress listen) {
        if (!listen.getAddress().isAnyLocalAddress()) {
            return listen;
        }
        final InetAddress loopback = InetAddress.ofLiteral(listen.getAddress() instanceof Inet6Address ? "::1"
            : "127.0.0.1");
        return new InetSocketAddress(loopback, listen.getPort());
    }

    private static String readToken(final Path file) {
        try {
            return TokenFile.read(file); // as niolb reads it, so that what one refuses the other does too
        } catch (final IOException e) {
            throw new Failure(e.getMessage());
        }
    }
}
