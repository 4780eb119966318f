package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.file.ConfigFileException;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.json.JsonWriter;
import dev.niolb.reload.ReloadResult;
import dev.niolb.target.Server;
import dev.niolb.target.ServerState;
import dev.niolb.target.TargetGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the admin API's state-changing calls do to the engine: a server's operator state and weight, runtime
 * membership (add, remove) and reload, each through {@link LoadBalancer}'s own operations. Every input is checked
 * before anything changes, so a bad call changes nothing.
 *
 * <p>Threading: admin virtual threads; the engine serialises changes (a group's monitor, reloads under the
 * engine's lock).
 */
final class ServerCommands {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.admin");
    private static final Set<String> SET_PARAMS = Set.of("state", "weight");

    /** A response: its status and JSON body. */
    record Outcome(int status, String body) {
    }

    /** A call refused with an HTTP status and a one-line reason. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        Refused(final int status, final String message) {
            super(message, null, false, false);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    private final LoadBalancer lb;

    ServerCommands(final LoadBalancer lb) {
        this.lb = lb;
    }

    /** {@code state=ready|drain|maint} and/or {@code weight=0..256} for one server. */
    Outcome set(final String groupName, final String serverName, final Map<String, String> params) {
        final TargetGroup group = group(groupName);
        final Server server = group.snapshot().server(serverName);
        if (server == null) {
            throw new Refused(404, "group '" + groupName + "' has no server named '" + serverName + "'");
        }
        for (final String key : params.keySet()) {
            if (!SET_PARAMS.contains(key)) {
                throw new Refused(400, "unknown parameter '" + key + "': expected state and/or weight");
            }
        }
        if (params.isEmpty()) {
            throw new Refused(400, "nothing to change: give state=ready|drain|maint and/or weight=N");
        }
        final ServerState mode = params.containsKey("state") ? mode(params.get("state")) : null;
        final Integer weight = params.containsKey("weight") ? weight(params.get("weight")) : null;
        if (weight != null) {
            lb.setWeight(groupName, serverName, weight);
        }
        if (mode != null) {
            lb.setState(groupName, serverName, mode);
        }
        LOG.info("admin: server {}/{}{}{}", groupName, serverName,
            mode == null ? "" : " state " + params.get("state").strip().toLowerCase(Locale.ROOT),
            weight == null ? "" : " weight " + weight);
        return new Outcome(200, AdminRoutes.serverJson(groupName, EngineStats.server(server)));
    }

    /** Adds a server to a group at runtime: 201 with its row; 409 when the group already has that name. */
    Outcome add(final String groupName, final Map<String, String> params) {
        group(groupName);
        final ServerConfig config = spec(params);
        final Server server;
        try {
            server = lb.addServer(groupName, config);
        } catch (final IllegalArgumentException e) {
            throw new Refused(409, e.getMessage());
        }
        LOG.info("admin: server {}/{} added ({})", groupName, server.name(), Endpoint.hostPort(server.address()));
        return new Outcome(201, AdminRoutes.serverJson(groupName, EngineStats.server(server)));
    }

    /**
     * Removes a server from a group at runtime: it takes no new session, its sessions finish (the group's drain
     * timeout applies) and it is forgotten when it has none. 200 with its last row.
     */
    Outcome remove(final String groupName, final String serverName) {
        final TargetGroup group = group(groupName);
        if (group.snapshot().server(serverName) == null) {
            throw new Refused(404, "group '" + groupName + "' has no server named '" + serverName + "'");
        }
        final Server server;
        try {
            server = lb.removeServer(groupName, serverName);
        } catch (final IllegalArgumentException e) {
            throw new Refused(404, e.getMessage()); // removed by someone else in between
        }
        LOG.info("admin: server {}/{} removed; its sessions finish", groupName, serverName);
        return new Outcome(200, AdminRoutes.serverJson(groupName, EngineStats.server(server)));
    }

    /**
     * Reads the config again from where the engine was started from ({@code niolb run --config}: the file) and
     * applies it as SIGHUP does. 200 with what changed; 422 when the file does not read or validate, 409 when it
     * cannot be applied (a new listener's address in use): either way nothing changed.
     */
    Outcome reload() {
        final ConfigSource source = lb.configSource();
        if (source == null) {
            throw new Refused(409, "this niolb has no config source to read again");
        }
        final Config next;
        try {
            next = source.load();
        } catch (final ConfigFileException e) {
            lb.reloads().refused();
            throw new Refused(422, "reload refused: " + e.getMessage() + "; the running config stays");
        }
        final ReloadResult result;
        try {
            result = lb.reload(next); // logs "reload: <what changed>"
        } catch (final IOException e) {
            throw new Refused(409, "reload refused: " + e.getMessage() + "; nothing changed");
        } catch (final IllegalStateException e) {
            throw new Refused(409, "reload refused: " + e.getMessage());
        }
        final JsonWriter json = new JsonWriter().beginObject()
            .field("source", source.describe())
            .field("summary", result.diff().summary());
        json.name("not_applied").beginArray();
        for (final String s : result.notApplied()) {
            json.value(s);
        }
        return new Outcome(200, json.endArray().endObject().toString());
    }

    /**
     * The server a {@code POST /api/groups/{g}/servers} describes: {@code server=HOST:PORT[,weight=N][,name=NAME]
     * [,backup][,check-port=N]} (the {@code --server} form), or the parts as {@code address}, {@code name},
     * {@code weight}, {@code backup}.
     */
    static ServerConfig spec(final Map<String, String> params) {
        for (final String key : params.keySet()) {
            if (!Set.of("server", "address", "name", "weight", "backup").contains(key)) {
                throw new Refused(400, "unknown parameter '" + key + "': expected server=HOST:PORT[,weight=N]"
                    + "[,name=NAME][,backup], or address, name, weight, backup");
            }
        }
        String spec = params.get("server");
        if (spec == null) {
            final String address = params.get("address");
            if (address == null || address.isBlank()) {
                throw new Refused(400, "give server=HOST:PORT[,weight=N][,name=NAME][,backup] or address=HOST:PORT");
            }
            final StringBuilder b = new StringBuilder(address.strip());
            if (params.get("weight") != null) {
                b.append(",weight=").append(params.get("weight").strip());
            }
            if (params.get("name") != null) {
                b.append(",name=").append(params.get("name").strip());
            }
            if (Boolean.parseBoolean(params.get("backup"))) {
                b.append(",backup");
            }
            spec = b.toString();
        } else if (params.size() > 1) {
            throw new Refused(400, "give either server=SPEC or its parts (address, name, weight, backup), not both");
        }
        try {
            return ServerConfig.parse(spec);
        } catch (final IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
    }

    private TargetGroup group(final String name) {
        try {
            return lb.group(name);
        } catch (final IllegalArgumentException e) {
            throw new Refused(404, "no group named '" + name + "'");
        }
    }

    private static ServerState mode(final String text) {
        return switch (text == null ? "" : text.strip().toLowerCase(Locale.ROOT)) {
            case "ready" -> ServerState.UP;
            case "drain" -> ServerState.DRAIN;
            case "maint" -> ServerState.MAINT;
            default -> throw new Refused(400, "bad state '" + text + "': expected ready, drain or maint");
        };
    }

    private static int weight(final String text) {
        final int w;
        try {
            w = Integer.parseInt(text == null ? "" : text.strip());
        } catch (final NumberFormatException e) {
            throw new Refused(400, "bad weight '" + text + "': expected a number 0.." + ServerConfig.MAX_WEIGHT);
        }
        if (w < 0 || w > ServerConfig.MAX_WEIGHT) {
            throw new Refused(400, "bad weight " + w + ": expected 0.." + ServerConfig.MAX_WEIGHT);
        }
        return w;
    }
}
