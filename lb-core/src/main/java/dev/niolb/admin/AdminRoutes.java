package dev.niolb.admin;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.niolb.LoadBalancer;
import dev.niolb.json.JsonWriter;
import dev.niolb.loop.SessionInfo;
import dev.niolb.metrics.PrometheusText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The admin API's routes:
 * <pre>
 * GET    /                                  the stats page (HTML; reads /api/stats every 2 s)
 * GET    /metrics                           Prometheus text format 0.0.4
 * GET    /api/stats                         listeners, groups, servers, latencies (JSON)
 * GET    /api/connections?server=&amp;listener=&amp;limit=   the live connection table, oldest first (JSON)
 * POST   /api/groups/{g}/servers/{s}        state=ready|drain|maint and/or weight=N
 * POST   /api/groups/{g}/servers            add a server: server=HOST:PORT[,weight=N][,name=NAME][,backup]
 * DELETE /api/groups/{g}/servers/{s}        remove a server
 * POST   /reload                            read the config file again and apply it (as SIGHUP)
 * </pre>
 * Parameters come as a form, a JSON object or the query string ({@link RequestParams}). With a token, every
 * POST and DELETE needs {@code Authorization: Bearer TOKEN} (401 otherwise); without one, only the listen
 * address guards them. A state change that a browser sends from another origin is refused (403) either way:
 * a page on another site must not drive a loopback admin API through the operator's browser.
 *
 * <p>Threading: one virtual thread per request; see {@link AdminServer}.
 */
final class AdminRoutes implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);
    private static final String JSON = "application/json; charset=utf-8";
    private static final int MAX_BODY = 64 * 1024;
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 100_000;

    private final LoadBalancer lb;
    private final BearerToken token;
    private final ServerCommands commands;

    AdminRoutes(final LoadBalancer lb, final BearerToken token) {
        this.lb = lb;
        this.token = token;
        this.commands = new ServerCommands(lb);
    }

    @Override
    public void handle(final HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (final ServerCommands.Refused refused) {
                send(exchange, refused.status(), JSON, StatsJson.error(refused.getMessage()));
            }
        } catch (final UncheckedIOException | IOException e) {
            LOG.debug("admin: {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
        } catch (final RuntimeException e) {
            LOG.warn("admin: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            send(exchange, 500, JSON, StatsJson.error("internal error: " + e));
        }
    }

    private void route(final HttpExchange x) throws IOException {
        final String method = x.getRequestMethod();
        final URI uri = x.getRequestURI();
        final String path = uri.getRawPath();
        final String[] parts = segments(path);
        switch (path) {
            case "/" -> {
                if (allow(x, "GET")) {
                    send(x, 200, "text/html; charset=utf-8", StatsPage.html());
                }
                return;
            }
            case "/metrics" -> {
                if (allow(x, "GET")) {
                    send(x, 200, PrometheusText.CONTENT_TYPE, MetricsPage.render(EngineStats.take(lb)));
                }
                return;
            }
            case "/api/stats" -> {
                if (allow(x, "GET")) {
                    send(x, 200, JSON, StatsJson.stats(EngineStats.take(lb)));
                }
                return;
            }
            case "/api/connections" -> {
                if (allow(x, "GET")) {
                    connections(x);
                }
                return;
            }
            case "/reload" -> {
                if (allow(x, "POST") && authorized(x)) {
                    reply(x, commands.reload());
                }
                return;
            }
            default -> {
                // /api/groups/{g}/servers[/{s}]
            }
        }
        if (parts.length >= 4 && parts[0].equals("api") && parts[1].equals("groups") && parts[3].equals("servers")) {
            final String group = decode(parts[2]);
            if (parts.length == 4) {
                if (allow(x, "POST") && authorized(x)) {
                    reply(x, commands.add(group, params(x)));
                }
                return;
            }
            if (parts.length == 5) {
                final String server = decode(parts[4]);
                if (method.equals("DELETE")) {
                    if (authorized(x)) {
                        reply(x, commands.remove(group, server));
                    }
                } else if (allow(x, "POST", "DELETE") && authorized(x)) {
                    reply(x, commands.set(group, server, params(x)));
                }
                return;
            }
        }
        send(x, 404, JSON, StatsJson.error("no such endpoint: " + method + " " + path));
    }

    private void connections(final HttpExchange x) throws IOException {
        final Map<String, String> q;
        try {
            q = RequestParams.parse(x.getRequestURI().getRawQuery(), null, null);
        } catch (final IllegalArgumentException e) {
            send(x, 400, JSON, StatsJson.error(e.getMessage()));
            return;
        }
        int limit = DEFAULT_LIMIT;
        if (q.containsKey("limit")) {
            try {
                limit = Integer.parseInt(q.get("limit"));
            } catch (final NumberFormatException e) {
                limit = -1;
            }
            if (limit < 0 || limit > MAX_LIMIT) {
                send(x, 400, JSON, StatsJson.error("limit must be 0.." + MAX_LIMIT + ", got '" + q.get("limit") + "'"));
                return;
            }
        }
        final String server = q.get("server");
        final String listener = q.get("listener");
        final List<SessionInfo> rows = lb.sessions().stream()
            .filter(r -> server == null || server.equals(r.server()))
            .filter(r -> listener == null || listener.equals(r.listener()))
            .sorted(Comparator.comparingLong(SessionInfo::startEpochMs).thenComparingLong(SessionInfo::id))
            .toList();
        send(x, 200, JSON, StatsJson.connections(rows.subList(0, Math.min(limit, rows.size())), rows.size(),
            System.currentTimeMillis()));
    }

    // ------------------------------------------------------------------------------------------------ guards

    private static boolean allow(final HttpExchange x, final String... methods) throws IOException {
        for (final String m : methods) {
            if (m.equals(x.getRequestMethod())) {
                return true;
            }
        }
        x.getResponseHeaders().set("Allow", String.join(", ", methods));
        send(x, 405, JSON, StatsJson.error(x.getRequestMethod() + " is not allowed here; use " + String.join(" or ", methods)));
        return false;
    }

    /** A state change: from this origin (or no browser at all) and, with a token, carrying it. */
    private boolean authorized(final HttpExchange x) throws IOException {
        final Headers h = x.getRequestHeaders();
        final String origin = h.getFirst("Origin"); // browsers send it with a POST; curl and scripts do not
        final String host = h.getFirst("Host");
        final boolean foreign = origin != null && (host == null || !origin.equalsIgnoreCase("http://" + host));
        if (foreign || "cross-site".equalsIgnoreCase(h.getFirst("Sec-Fetch-Site"))) {
            send(x, 403, JSON, StatsJson.error("cross-origin state changes are refused"));
            return false;
        }
        if (token != null && !token.accepts(h.getFirst("Authorization"))) {
            x.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"niolb\"");
            send(x, 401, JSON, StatsJson.error("this call needs the admin bearer token (Authorization: Bearer TOKEN)"));
            return false;
        }
        return true;
    }

    private static Map<String, String> params(final HttpExchange x) throws IOException {
        final byte[] body;
        try (InputStream in = x.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            throw new ServerCommands.Refused(413, "request body over " + MAX_BODY + " bytes");
        }
        try {
            return RequestParams.parse(x.getRequestURI().getRawQuery(), x.getRequestHeaders().getFirst("Content-Type"),
                new String(body, StandardCharsets.UTF_8));
        } catch (final IllegalArgumentException e) {
            throw new ServerCommands.Refused(400, e.getMessage());
        }
    }

    /** Runs a command's outcome to a response: 200 with its JSON, or the status and message it was refused with. */
    private static void reply(final HttpExchange x, final ServerCommands.Outcome outcome) throws IOException {
        send(x, outcome.status(), JSON, outcome.body());
    }

    // ------------------------------------------------------------------------------------------------- I/O

    static void send(final HttpExchange x, final int status, final String type, final String body) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String[] segments(final String path) {
        final String p = path.startsWith("/") ? path.substring(1) : path;
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }

    private static String decode(final String segment) {
        return java.net.URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** A JSON body for a server after a change. */
    static String serverJson(final String group, final EngineStats.ServerStats server) {
        final JsonWriter json = new JsonWriter().beginObject().field("group", group).name("server");
        StatsJson.server(json, server);
        return json.endObject().toString();
    }
}
