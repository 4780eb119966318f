package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.OperatorChanges;
import dev.niolb.json.JsonWriter;
import dev.niolb.session.SessionInfo;
import dev.niolb.metrics.PrometheusText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin API's routes:
 * <pre>
 * GET    /                                  the stats page (HTML; reads /api/stats every 2 s)
 * GET    /metrics                           Prometheus text format 0.0.4
 * GET    /api/stats                         listeners, groups, servers, latencies (JSON)
 * GET    /api/connections?server=&amp;group=&amp;listener=&amp;limit=   the live connection table, oldest first
 * GET    /ready                             200 when ready for traffic, 503 when not or stopping ({@link Readiness})
 * GET    /api/proof?nonce=N                 that this process holds the token, before a client sends it ({@link AdminProof})
 * POST   /api/groups/{g}/servers/{s}        state=ready|drain|maint and/or weight=N
 * POST   /api/groups/{g}/servers            add a server: server=HOST:PORT[,weight=N][,name=NAME][,backup]
 * DELETE /api/groups/{g}/servers/{s}        remove a server
 * POST   /reload                            read the config file again and apply it (as SIGHUP)
 * </pre>
 * Every GET also answers HEAD (its headers, no body). Every request must name a host the admin API answers to
 * ({@link HostGuard}: 403 otherwise). Parameters come as a form, a JSON object or the query string
 * ({@link RequestParams}). With a token, every POST and DELETE needs {@code Authorization: Bearer TOKEN} (401
 * otherwise); without one, only the listen address guards them. A state change that a browser sends from another
 * origin is refused (403) either way: a page on another site must not drive a loopback admin API through the
 * operator's browser. An error is one line of JSON, {@code {"error": "..."}}, that echoes at most
 * {@link ClientText#MAX_CHARS} characters of any value the client sent.
 *
 * <p>{@link #readOnly} routes, for the metrics-only listener, answer {@code GET /metrics} and {@code GET /ready}
 * (and their HEAD) only: any other method is refused with 405, any other path with 404, whatever it would do on
 * the admin API. They take no token, since nothing there changes anything; the Host guard applies as it does here.
 *
 * <p>Threading: the admin connections' virtual threads; see {@link AdminServer}.
 */
final class AdminRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);
    private static final String JSON = AdminResponse.JSON;
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 100_000;
    private static final String[] READ = {"GET", "HEAD"};

    private final LoadBalancer lb;
    private final BearerToken token;
    private final HostGuard hosts;
    private final ServerCommands commands;
    private final boolean readOnly;
    private final RefusalLog refusals = new RefusalLog();

    AdminRoutes(final LoadBalancer lb, final BearerToken token, final HostGuard hosts) {
        this(lb, token, hosts, false);
    }

    private AdminRoutes(final LoadBalancer lb, final BearerToken token, final HostGuard hosts, final boolean readOnly) {
        this.lb = lb;
        this.token = token;
        this.hosts = hosts;
        this.commands = readOnly ? null : new ServerCommands(lb);
        this.readOnly = readOnly;
    }

    /** The metrics-only listener's routes: {@code GET /metrics} and {@code GET /ready}, nothing else. */
    static AdminRoutes readOnly(final LoadBalancer lb, final HostGuard hosts) {
        return new AdminRoutes(lb, null, hosts, true);
    }

    /** Says the refusals the log left out so far (the listener is closing: a stop would lose them). */
    void flushRefusals() {
        refusals.flush();
    }

    /** The answer to one request; never throws. */
    AdminResponse answer(final AdminRequest x) {
        try {
            final String refusal = hosts.refusal(x.header("host"), x.local());
            if (refusal != null) {
                refusals.note(x, 403, refusal);
                return AdminResponse.error(403, refusal);
            }
            return readOnly ? readOnlyRoute(x) : route(x);
        } catch (final Refused refused) {
            if (refused.status() == 401 || refused.status() == 403) {
                refusals.note(x, refused.status(), refused.getMessage());
            }
            return refused.response();
        } catch (final RuntimeException e) {
            LOG.warn("admin: {} {} failed", x.method(), ClientText.clip(x.rawPath()), e);
            return AdminResponse.error(500, "internal error: " + e);
        }
    }

    private AdminResponse route(final AdminRequest x) {
        final String method = x.method();
        final String path = x.rawPath();
        switch (path) {
            case "/" -> {
                allow(x, READ);
                return AdminResponse.of(200, "text/html; charset=utf-8", StatsPage.html());
            }
            case "/metrics" -> {
                allow(x, READ);
                return metrics(x);
            }
            case "/api/stats" -> {
                allow(x, READ);
                return AdminResponse.page(200, AdminResponse.JSON, SharedPage.of(lb, "/api/stats",
                    sink -> write(sink, StatsJson.stats(EngineStats.take(lb)))).page(), x.header("accept-encoding"));
            }
            case "/api/connections" -> {
                allow(x, READ);
                return connections(x);
            }
            case "/ready" -> {
                allow(x, READ);
                return ready();
            }
            case AdminProof.PATH -> {
                allow(x, READ);
                return proof(x);
            }
            case "/reload" -> {
                allow(x, "POST");
                authorize(x);
                return reply(changed(commands::reload));
            }
            default -> {
                // /api/groups/{g}/servers[/{s}]
            }
        }
        final String[] parts = segments(path);
        if (parts.length >= 4 && parts[0].equals("api") && parts[1].equals("groups") && parts[3].equals("servers")) {
            final String group = decode(parts[2]);
            if (parts.length == 4) {
                allow(x, "POST");
                authorize(x);
                return reply(changed(() -> commands.add(group, params(x))));
            }
            if (parts.length == 5) {
                final String server = decode(parts[4]);
                allow(x, "POST", "DELETE");
                authorize(x);
                return reply(changed(() -> method.equals("DELETE") ? commands.remove(group, server)
                    : commands.set(group, server, params(x))));
            }
        }
        throw new Refused(404, "no such endpoint: " + ClientText.clip(method) + " " + ClientText.clip(path));
    }

    /** The metrics-only listener: reads two endpoints, refuses every write (405) and every other path (404). */
    private AdminResponse readOnlyRoute(final AdminRequest x) {
        allow(x, READ);
        return switch (x.rawPath()) {
            case "/metrics" -> metrics(x);
            case "/ready" -> ready();
            default -> throw new Refused(404, "no such endpoint on the metrics address: " + ClientText.clip(x.method())
                + " " + ClientText.clip(x.rawPath()) + " (it serves GET /metrics and GET /ready)");
        };
    }

    private AdminResponse metrics(final AdminRequest x) {
        return AdminResponse.page(200, PrometheusText.CONTENT_TYPE, SharedPage.of(lb, "/metrics",
            sink -> MetricsPage.render(EngineStats.take(lb), sink)).page(), x.header("accept-encoding"));
    }

    private static void write(final java.io.Writer sink, final String text) {
        try {
            sink.write(text);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private AdminResponse ready() {
        final Readiness ready = Readiness.of(lb);
        return AdminResponse.json(ready.ready() ? 200 : 503, ready.json());
    }

    /** {@code {"token": true, "proof": "…"}}, or {@code {"token": false}} when no token guards the API. */
    private AdminResponse proof(final AdminRequest x) {
        final Map<String, String> q = query(x);
        final String nonce = q.get("nonce");
        if (q.size() != 1 || !AdminProof.wellFormed(nonce)) {
            throw new Refused(400, "expected nonce=N alone, N 32 to 128 lower-case hexadecimal digits");
        }
        final JsonWriter json = new JsonWriter().beginObject().field("token", token != null);
        if (token != null) {
            json.field("proof", token.proof(nonce, x.at()));
        }
        return AdminResponse.json(200, json.endObject().toString());
    }

    /** The query string's parameters; 400 when it does not parse. */
    private static Map<String, String> query(final AdminRequest x) {
        try {
            return RequestParams.parse(x.rawQuery(), null, null);
        } catch (final IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
    }

    private static final java.util.Set<String> CONNECTIONS_PARAMS = java.util.Set.of("server", "group", "listener",
        "limit");

    private AdminResponse connections(final AdminRequest x) {
        final Map<String, String> q = query(x);
        for (final String key : q.keySet()) {
            if (!CONNECTIONS_PARAMS.contains(key)) { // a typo in a filter listed every connection (session 30)
                throw new Refused(400, "unknown parameter '" + ClientText.clip(key)
                    + "': expected server, group, listener and/or limit");
            }
        }
        int limit = DEFAULT_LIMIT;
        if (q.containsKey("limit")) {
            try {
                limit = dev.niolb.config.Numbers.parseInt(q.get("limit")); // ASCII digits, as everywhere
            } catch (final NumberFormatException e) {
                limit = -1;
            }
            if (limit < 0 || limit > MAX_LIMIT) {
                throw new Refused(400, "limit must be 0.." + MAX_LIMIT + ", got '" + ClientText.clip(q.get("limit"))
                    + "'");
            }
        }
        final String server = q.get("server");
        final String group = q.get("group"); // a server's name alone may be one of several groups' (session 34)
        final String listener = q.get("listener");
        final List<SessionInfo> rows = lb.sessions().stream()
            .filter(r -> server == null || server.equals(r.server()))
            .filter(r -> group == null || group.equals(r.group()))
            .filter(r -> listener == null || listener.equals(r.listener()))
            .sorted(Comparator.comparingLong(SessionInfo::startEpochMs).thenComparingLong(SessionInfo::id))
            .toList();
        return AdminResponse.json(200, StatsJson.connections(rows.subList(0, Math.min(limit, rows.size())),
            rows.size(), System.currentTimeMillis()));
    }

    // ------------------------------------------------------------------------------------------------ guards

    /** Refuses (405, with {@code Allow}) a method the endpoint does not take. */
    private static void allow(final AdminRequest x, final String... methods) {
        for (final String m : methods) {
            if (m.equals(x.method())) {
                return;
            }
        }
        throw new Refused(405, ClientText.clip(x.method()) + " is not allowed here; use "
            + String.join(" or ", methods)).withHeader("Allow", String.join(", ", methods));
    }

    /** A change made, or 503 while a successor takes this niolb's sockets over ({@link OperatorChanges}). */
    private ServerCommands.Outcome changed(final Supplier<ServerCommands.Outcome> change) {
        try {
            return lb.operatorChanges().make(change);
        } catch (final OperatorChanges.HandingOver e) {
            throw new Refused(503, e.getMessage()).withHeader("Retry-After", "1");
        }
    }

    /** A state change: from this origin (or no browser at all) and, with a token, carrying it. */
    private void authorize(final AdminRequest x) {
        final String foreign = hosts.originRefusal(x.header("origin"), x.header("host"), x.local());
        if (foreign != null) {
            throw new Refused(403, foreign);
        }
        if ("cross-site".equalsIgnoreCase(x.header("sec-fetch-site"))) {
            throw new Refused(403, "cross-origin state changes are refused (Sec-Fetch-Site: cross-site)");
        }
        if (token != null && !token.accepts(x.header("authorization"))) {
            throw new Refused(401, "this call needs the admin bearer token (Authorization: Bearer TOKEN)")
                .withHeader("WWW-Authenticate", "Bearer realm=\"niolb\"");
        }
    }

    private static Map<String, String> params(final AdminRequest x) {
        try {
            return RequestParams.parse(x.rawQuery(), x.header("content-type"),
                new String(x.body(), StandardCharsets.UTF_8));
        } catch (final IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
    }

    private static AdminResponse reply(final ServerCommands.Outcome outcome) {
        return AdminResponse.json(outcome.status(), outcome.body());
    }

    private static String[] segments(final String path) {
        final String p = path.startsWith("/") ? path.substring(1) : path;
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }

    private static String decode(final String segment) {
        try {
            return java.net.URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (final IllegalArgumentException e) {
            throw new Refused(400, "bad percent-encoding in '" + ClientText.clip(segment) + "'");
        }
    }

    /** A JSON body for a server after a change. */
    static String serverJson(final String group, final EngineStats.ServerStats server) {
        return serverJson(group, server, null);
    }

    /** As {@link #serverJson(String, EngineStats.ServerStats)}, with a {@code warning} when one is given. */
    static String serverJson(final String group, final EngineStats.ServerStats server, final String warning) {
        final JsonWriter json = new JsonWriter().beginObject().field("group", group).name("server");
        StatsJson.server(json, server);
        if (warning != null) {
            json.field("warning", warning);
        }
        return json.endObject().toString();
    }
}
