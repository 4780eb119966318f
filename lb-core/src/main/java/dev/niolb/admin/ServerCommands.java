package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.Numbers;
import dev.niolb.config.ProxyRules;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.Quoted;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.file.ConfigFileException;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.json.JsonWriter;
import dev.niolb.reload.ReloadResult;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
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

    private final LoadBalancer lb;

    ServerCommands(final LoadBalancer lb) {
        this.lb = lb;
    }

    /**
     * {@code state=ready|drain|maint} and/or {@code weight=0..256} for one server. The server is looked up once
     * and changed as that object: when a reload or a DELETE takes it away meanwhile, the change lands on the
     * server on its way out, and a server already gone is a 404, never an error.
     */
    Outcome set(final String groupName, final String serverName, final Map<String, String> params) {
        final Server server = member(groupName, serverName);
        for (final String key : params.keySet()) {
            if (!SET_PARAMS.contains(key)) {
                throw new Refused(400, "unknown parameter '" + ClientText.clip(key)
                    + "': expected state and/or weight");
            }
        }
        if (params.isEmpty()) {
            throw new Refused(400, "nothing to change: give state=ready|drain|maint and/or weight=N");
        }
        final ServerState mode = params.containsKey("state") ? mode(params.get("state")) : null;
        final Integer weight = params.containsKey("weight") ? weight(params.get("weight")) : null;
        if (weight != null) {
            server.weight(weight);
        }
        if (mode != null) {
            server.operatorMode(mode, "set by operator");
        }
        lb.saveOperatorStates();
        final ServerState agent = server.agentMode();
        // what holds the server in another state than the one asked: said in the log and, to whoever asked, in the
        // answer (black-box testing, session 34: a ready answered MAINT with no reason)
        final String agentHolds = mode == ServerState.UP && agent != ServerState.UP ? "its agent still reports "
            + agent + ", which holds until the agent says ready or its check is removed" : null;
        final String heldBy = agentHolds != null ? agentHolds
            : mode == ServerState.UP && !server.healthy() ? "its checks say DOWN: it takes sessions once they pass"
            : null;
        LOG.info("admin: server {}/{}{}{}{}", groupName, server.name(),
            mode == null ? "" : " state " + params.get("state").strip().toLowerCase(Locale.ROOT),
            weight == null ? "" : " weight " + weight,
            agentHolds == null ? "" : "; " + agentHolds); // the checks' DOWN has its own state line
        // made, but kept only until a restart: said in the answer, as the start-up warning alone was (black-box
        // testing, session 34: every later change answered 200 with no sign of it)
        final String notSaved = lb.operatorStatesNotSaved();
        final List<String> warnings = new java.util.ArrayList<>(3);
        if (heldBy != null) {
            warnings.add(heldBy);
        }
        final String ignored = weight == null ? null
            : dev.niolb.config.IgnoredWeights.ofWeightChange(lb.group(groupName).snapshot().balance());
        if (ignored != null) {
            warnings.add(ignored);
        }
        if (notSaved != null) {
            warnings.add(notSaved + "; this change will not outlive a restart");
        }
        final String warning = warnings.isEmpty() ? null : String.join("; ", warnings);
        return new Outcome(200, AdminRoutes.serverJson(groupName, EngineStats.server(server), warning));
    }

    /** Adds a server to a group at runtime: 201 with its row; 409 when the group already has that name. */
    Outcome add(final String groupName, final Map<String, String> params) {
        group(groupName);
        final ServerConfig config = spec(params);
        try {
            ProxyRules.checkServer(groupName, config, lb.config().listeners()); // as run and check refuse it
        } catch (final IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
        final dev.niolb.config.ListenerConfig own = dev.niolb.config.Config.listenerAt(
            dev.niolb.config.Config.ownEndpoints(lb.boundListeners(), lb.adminAddress(), lb.metricsAddress()),
            groupName, config.address(), dev.niolb.transport.LocalAddresses.HOST::isLocal);
        if (own != null) { // as run and check refuse it: one client would loop through niolb until maxconn
            throw new Refused(400, dev.niolb.config.Config.relaysToItself(groupName, config.name(), own));
        }
        final Server server;
        try {
            server = lb.addServer(groupName, config);
        } catch (final IllegalArgumentException e) {
            group(groupName); // a reload took the group away meanwhile: 404
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
        member(groupName, serverName);
        final Server server;
        try {
            server = lb.removeServer(groupName, serverName);
        } catch (final IllegalArgumentException e) {
            throw noServer(groupName, serverName); // removed by a reload or another call in between
        }
        LOG.info("admin: server {}/{} removed{}", groupName, serverName,
            server.active() > 0 ? "; its sessions finish" : ""); // "finish" said of none contradicted the line before
        // its line in the state file stays when the file cannot be written: a restart would bring its mode back
        final String notSaved = lb.operatorStatesNotSaved();
        return new Outcome(200, AdminRoutes.serverJson(groupName, EngineStats.server(server), notSaved == null ? null
            : notSaved + "; what it holds for this server stays there for the next start"));
    }

    /** A refused reload is logged as SIGHUP's is, so that the journal shows it whoever asked. */
    private static Refused refused(final int status, final String message) {
        LOG.error("{} (POST /reload)", message);
        return new Refused(status, message);
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
            next = source.reload();
        } catch (final ConfigFileException e) {
            lb.reloads().refused();
            throw refused(422, "reload refused: " + e.getMessage() + "; the running config stays");
        }
        final ReloadResult result;
        try {
            result = lb.reload(next); // logs "reload: <what changed>"
        } catch (final IOException e) {
            throw refused(409, "reload refused: " + e.getMessage() + "; nothing changed");
        } catch (final IllegalStateException stopped) { // while stopping: not a refusal worth a line (SIGHUP's too)
            throw new Refused(409, "reload refused: " + stopped.getMessage());
        }
        final JsonWriter json = new JsonWriter().beginObject()
            .field("source", source.describe())
            .field("summary", result.diff().summary());
        json.name("replaced").beginArray();
        for (final String s : result.replaced()) {
            json.value(s);
        }
        json.endArray().name("not_applied").beginArray();
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
                throw new Refused(400, "unknown parameter '" + ClientText.clip(key)
                    + "': expected server=HOST:PORT[,weight=N]"
                    + "[,name=NAME][,backup], or address, name, weight, backup");
            }
        }
        String spec = params.get("server");
        if (spec == null) {
            final String address = params.get("address");
            if (address == null || address.isBlank()) {
                throw new Refused(400, "give server=HOST:PORT[,weight=N][,name=NAME][,backup] or address=HOST:PORT");
            }
            // each part is one value: a comma or '=' in it would be read as more options of the spec pasted
            // together here (name=n9,weight=256,backup gave a backup of weight 256; black-box testing, session 32)
            for (final String part : List.of("address", "name", "weight")) {
                final String value = params.get(part);
                if (value != null && (value.indexOf(',') >= 0 || value.indexOf('=') >= 0)) {
                    throw new Refused(400, "bad " + part + " " + Quoted.of(ClientText.clip(value)) + ": one value, "
                        + "without ',' or '=' (for options, give server=HOST:PORT,OPTION=VALUE,...)");
                }
            }
            final StringBuilder b = new StringBuilder(address.strip());
            if (params.get("weight") != null) {
                b.append(",weight=").append(params.get("weight").strip());
            }
            if (params.get("name") != null) {
                b.append(",name=").append(params.get("name").strip());
            }
            if (backup(params.get("backup"))) {
                b.append(",backup");
            }
            spec = b.toString();
        } else if (params.size() > 1) {
            throw new Refused(400, "give either server=SPEC or its parts (address, name, weight, backup), not both");
        }
        if (DnsServerSpec.isNameSpec(spec)) {
            // the config's servers by name follow their DNS records; one added here would be resolved once and
            // pinned to that address under the same words (black-box testing, session 27)
            throw new Refused(400, "server " + Quoted.of(ClientText.clip(spec)) + ": a server by DNS name (a host name, "
                + "srv:NAME) follows its records only from the config file (add it there, then reload); here, give "
                + "its IP address");
        }
        try {
            return ServerConfig.parse(spec);
        } catch (final IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
    }

    /** {@code backup=true} or {@code false} (JSON's booleans too), as in a config file; absent is false. */
    private static boolean backup(final String text) {
        if (text == null || text.equals("false")) {
            return false;
        }
        if (text.equals("true")) {
            return true;
        }
        throw new Refused(400, "bad backup " + Quoted.of(ClientText.clip(text)) + ": expected true or false");
    }

    private TargetGroup group(final String name) {
        try {
            return lb.group(name);
        } catch (final IllegalArgumentException e) {
            throw new Refused(404, "no group named '" + ClientText.clip(name) + "'");
        }
    }

    /** A member of a group now (not a retiring one); 404 when the group or the server is not there. */
    private Server member(final String groupName, final String serverName) {
        final Server server = group(groupName).snapshot().server(serverName);
        if (server == null) {
            throw noServer(groupName, serverName);
        }
        return server;
    }

    private static Refused noServer(final String groupName, final String serverName) {
        return new Refused(404, "group '" + ClientText.clip(groupName) + "' has no server named '"
            + ClientText.clip(serverName) + "'");
    }

    private static ServerState mode(final String text) {
        return switch (text == null ? "" : text.strip().toLowerCase(Locale.ROOT)) {
            case "ready" -> ServerState.UP;
            case "drain" -> ServerState.DRAIN;
            case "maint" -> ServerState.MAINT;
            default -> throw new Refused(400, "bad state '" + ClientText.clip(text)
                + "': expected ready, drain or maint");
        };
    }

    private static int weight(final String text) {
        final int w;
        try {
            // ASCII digits, as everywhere else, and not stripped: weight=+2 in a form is " 2" (a '+' is a space
            // there), which the config refuses as it refuses +2
            w = Numbers.parseInt(text == null ? "" : text);
        } catch (final NumberFormatException e) {
            throw new Refused(400, "bad weight '" + ClientText.clip(text) + "': expected a number 0.."
                + ServerConfig.MAX_WEIGHT);
        }
        if (w < 0 || w > ServerConfig.MAX_WEIGHT) {
            throw new Refused(400, "bad weight " + w + ": expected 0.." + ServerConfig.MAX_WEIGHT);
        }
        return w;
    }
}
