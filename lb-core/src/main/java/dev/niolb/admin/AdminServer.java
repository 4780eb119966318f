package dev.niolb.admin;

import com.sun.net.httpserver.HttpServer;
import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The admin HTTP API and stats page: the JDK's {@code com.sun.net.httpserver} with one virtual thread per
 * request, never on a relay loop.
 *
 * <p>Threading: the server's dispatcher thread accepts and parses; handlers run on virtual threads and only read
 * the engine (striped counters, snapshots, latency recorders), ask loops for copies of their tables through their
 * command queues, or change servers through their group's serialised setters. Nothing here can hold a loop up.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int BACKLOG = 64;

    private final HttpServer http;
    private final ExecutorService executor;
    private final InetSocketAddress address;

    private AdminServer(final HttpServer http, final ExecutorService executor) {
        this.http = http;
        this.executor = executor;
        this.address = http.getAddress();
    }

    /**
     * Starts the admin API for {@code lb} as {@code config} says.
     *
     * @return the running server, or null when the config has none, or when its address is busy and not required
     * @throws BindException when a required address cannot be bound
     * @throws IOException   when the token file cannot be read
     */
    public static AdminServer start(final LoadBalancer lb, final AdminConfig config) throws IOException {
        if (!config.enabled()) {
            return null;
        }
        final BearerToken token = config.tokenFile() == null ? null : BearerToken.read(config.tokenFile());
        final HttpServer http;
        try {
            http = HttpServer.create(config.address(), BACKLOG);
        } catch (final BindException e) {
            final String why = "cannot listen on admin address " + Endpoint.hostPort(config.address()) + ": "
                + (e.getMessage() == null ? "cannot bind" : e.getMessage().toLowerCase(Locale.ROOT));
            if (config.required()) {
                final BindException failure = new BindException(why);
                failure.initCause(e);
                throw failure;
            }
            LOG.warn("{}; running without the admin API (give --admin ADDR or --admin none)", why);
            return null;
        }
        final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", new AdminRoutes(lb, token));
        http.start();
        return new AdminServer(http, executor); // the caller says where it listens (niolb run: after its start-up line)
    }

    /** Where it listens (a port 0 resolved). */
    public InetSocketAddress address() {
        return address;
    }

    /** Stops accepting and ends the exchanges in progress. */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
