package dev.niolb.health;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.Timeout;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.SplittableRandom;

/**
 * Asks one server's agent for its state and weight every interval and applies each answer at once (no rise
 * or fall: the agent speaks for the server). An agent that cannot be reached changes nothing, as in HAProxy:
 * whether the server is alive is the health check's and passive detection's business; it is logged once
 * when the agent stops answering and once when it answers again.
 *
 * <p>Not threadsafe: owned by the health loop.
 */
final class AgentPoll implements Timeout {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.health");

    private final EventLoop loop;
    private final Server server;
    private final InetSocketAddress agent;
    private final long intervalMs;
    private final long timeoutMs;
    private final SplittableRandom random;
    private final AgentCheck probe = new AgentCheck();
    private final LoopTimer timer;
    private long startedMs;
    private boolean reachable = true;
    private String ignoredWarned; // the word of the last reply whose weight was no weight, said once
    private boolean stopped;

    AgentPoll(final EventLoop loop, final Server server, final int port, final long intervalMs, final long timeoutMs,
              final SplittableRandom random) {
        this.loop = loop;
        this.timer = new LoopTimer(loop, this);
        this.server = server;
        this.agent = new InetSocketAddress(server.address().getAddress(), port);
        this.intervalMs = intervalMs;
        this.timeoutMs = timeoutMs;
        this.random = random;
    }

    /** The first poll at a random point within {@code spreadMs} or the interval, whichever is shorter. */
    void start(final long spreadMs) {
        timer.after(random.nextLong(Math.min(intervalMs, spreadMs) + 1));
    }

    void stop() {
        stopped = true;
        timer.cancel();
    }

    @Override
    public void onTimeout(final long nowMs) {
        if (stopped) {
            return;
        }
        startedMs = nowMs;
        new CheckConnection(loop, probe, agent, timeoutMs, this::onResult).start();
    }

    private void onResult(final CheckResult result) {
        if (stopped) {
            return;
        }
        final AgentReply reply = result.agent();
        if (result.notMade()) {
            // no socket to ask with: niolb's want, not the agent's silence; its last word stands, unremarked
            timer.at(Math.max(startedMs + intervalMs, loop.nowMs() + 1));
            return;
        }
        if (reply == null) {
            if (reachable) {
                reachable = false;
                // no answer, or one it cannot read: "not answering" sent operators to the network for an agent
                // that answered '-5%' (black-box testing, session 28)
                LOG.warn("server {}: no answer niolb can use from its agent at {} ({}); its last word stands",
                    server.label(), dev.niolb.config.Endpoint.hostPort(agent), result.detail());
            }
        } else {
            if (!reachable) {
                reachable = true;
                LOG.info("server {}: its agent answers again: '{}'", server.label(), reply.text());
            }
            if (reply.ignored() != null && !reply.ignored().equals(ignoredWarned)) {
                // up -5%, up 0.5%: the agent meant a weight, and its last one stands (black-box testing, session 30)
                LOG.warn("server {}: its agent's '{}' is no weight (a whole percentage, 0% to {}%): ignored ('{}')",
                    server.label(), reply.ignored(), AgentReply.MAX_PERCENT, reply.text());
            }
            ignoredWarned = reply.ignored();
            final boolean weightChanges = reply.percent() >= 0 && reply.percent() != server.agentPercent();
            final ServerState before = server.state();
            server.agentReport(reply.mode(), reply.percent(), "agent says '" + reply.text() + "'");
            if (weightChanges && server.state() == before) {
                // weight × percent is capped at the largest weight: said when it is (black-box testing, session 28)
                final boolean capped = (long) server.weight() * reply.percent() > (long) AgentReply.MAX_PERCENT;
                LOG.info("server {}: weight {}% of {} from its agent ('{}'{})", server.label(), reply.percent(),
                    server.weight(), reply.text(), capped ? "; capped at the largest weight, "
                        + AgentReply.MAX_PERCENT / 100 : "");
            }
        }
        timer.at(Math.max(startedMs + intervalMs, loop.nowMs() + 1));
    }
}
