package dev.niolb.health;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.Await;
import dev.niolb.testing.DnsResponder;
import dev.niolb.testing.Dnsmasq;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code dns:NAME} check: its query and reply handling, against a tiny responder in the test (good replies
 * and replies wrong in one way each), and against real {@code dnsmasq} servers on loopback (those skipped when
 * dnsmasq is not installed).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class DnsCheckTest {
    @RegisterExtension
    final EngineRig rig;
    @TempDir
    Path dir;
    private LoadBalancer lb;

    DnsCheckTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    // ------------------------------------------------------------------------------------------ the messages

    @Test
    void theQueryAsksForTheNamesARecordWithItsIdAndRecursionDesired() {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("www.Example.test.").labels());

        final ByteBuffer q = ByteBuffer.wrap(check.query(0xBEEF));

        assertThat(q.getShort() & 0xffff).as("id").isEqualTo(0xBEEF);
        assertThat(q.getShort() & 0xffff).as("flags: standard query, RD").isEqualTo(0x0100);
        assertThat(q.getShort()).as("QDCOUNT").isEqualTo((short) 1);
        assertThat(new short[]{q.getShort(), q.getShort(), q.getShort()}).as("AN, NS, AR counts").containsOnly(0);
        final byte[] name = new byte["\3www\7Example\4test\0".length()];
        q.get(name);
        assertThat(new String(name, StandardCharsets.US_ASCII)).isEqualTo("\3www\7Example\4test\0");
        assertThat(q.getShort()).as("QTYPE A").isEqualTo((short) 1);
        assertThat(q.getShort()).as("QCLASS IN").isEqualTo((short) 1);
        assertThat(q.hasRemaining()).isFalse();
    }

    @Test
    void aReplyWithTheQueryIdAndQuestionPassesOnNoerrorOrNxdomainAndFailsOnServfailOrRefused() throws Exception {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());

        assertThat(judge(check, 7, withRcode(DnsResponder.correct(query(check, 7)), Rcode.NOERROR)).passed())
            .as("NOERROR").isTrue();
        assertThat(judge(check, 7, withRcode(DnsResponder.correct(query(check, 7)), Rcode.NXDOMAIN)).passed())
            .as("NXDOMAIN").isTrue();
        final CheckResult servfail = judge(check, 7, withRcode(DnsResponder.correct(query(check, 7)), Rcode.SERVFAIL));
        assertThat(servfail.passed()).isFalse();
        assertThat(servfail.detail()).isEqualTo("answered SERVFAIL");
        assertThat(judge(check, 7, withRcode(DnsResponder.correct(query(check, 7)), Rcode.REFUSED)).detail())
            .isEqualTo("answered REFUSED");
        assertThat(judge(check, 7, withRcode(DnsResponder.correct(query(check, 7)), Rcode.NOTIMP)).passed())
            .as("NOTIMP").isFalse();
    }

    @Test
    void aReplyWithTheQueryIdButAnotherQuestionFailsTheCheck() throws Exception {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());
        final Message good = DnsResponder.correct(query(check, 7));

        final CheckResult otherName = judge(check, 7, DnsResponder.anotherQuestion(query(check, 7), "example.other."));
        assertThat(otherName.passed()).isFalse();
        assertThat(otherName.detail()).isEqualTo("the reply's question is not the one asked: example.other. A IN");
        assertThat(judge(check, 7, withQuestion(good, Type.AAAA, DClass.IN)).passed()).as("another type").isFalse();
        assertThat(judge(check, 7, withQuestion(good, Type.A, DClass.CH)).passed()).as("another class").isFalse();
        final Message none = new Message(7);
        none.getHeader().setFlag(Flags.QR);
        assertThat(judge(check, 7, none).detail()).isEqualTo("the reply's question is not the one asked: none");
    }

    @Test
    void theQuestionsNameMatchesWhateverItsCaseAsDnsNamesDo() throws Exception {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());

        final CheckResult upper = judge(check, 9, DnsResponder.anotherQuestion(query(check, 9), "EXAMPLE.Test."));

        assertThat(upper.passed()).as(upper.detail()).isTrue();
    }

    @Test
    void aReplyWithTheQueryIdThatDoesNotParseFailsTheCheck() throws Exception {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());
        final byte[] whole = DnsResponder.correct(query(check, 7)).toWire();

        final CheckResult cut = check.judge(whole, whole.length - 3, 7); // QDCOUNT 1, the question cut short

        assertThat(cut.passed()).isFalse();
        assertThat(cut.detail()).startsWith("malformed reply: ");
    }

    @Test
    void aDatagramThatIsNotTheReplyToThisQueryIsIgnored() throws Exception {
        final DnsCheck check = new DnsCheck(new CheckSpec.Dns("example.test").labels());
        final byte[] reply = DnsResponder.correct(query(check, 7)).toWire();

        assertThat(check.judge(reply, reply.length, 8)).as("another id").isNull();
        final byte[] q = check.query(7);
        assertThat(check.judge(q, q.length, 7)).as("a query, not a response").isNull();
        assertThat(check.judge(reply, 11, 7)).as("shorter than a header").isNull();
    }

    @Test
    void aBadNameIsAOneLineUsageError() {
        for (final String bad : List.of("dns:", "dns:a..b", "dns:bad name", "dns:" + "x".repeat(64) + ".test",
            "dns:é.test")) {
            assertThatThrownBy(() -> CheckSpec.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bad check '" + bad + "': expected dns:NAME").hasMessageNotContaining("\n");
        }
        assertThat(CheckSpec.parse("dns:example.test")).isEqualTo(new CheckSpec.Dns("example.test"))
            .hasToString("dns:example.test");
    }

    private static Message query(final DnsCheck check, final int id) throws IOException {
        return new Message(check.query(id));
    }

    private static CheckResult judge(final DnsCheck check, final int id, final Message reply) {
        final byte[] wire = reply.toWire();
        return check.judge(wire, wire.length, id);
    }

    private static Message withRcode(final Message reply, final int rcode) {
        reply.getHeader().setRcode(rcode);
        return reply;
    }

    private static Message withQuestion(final Message reply, final int type, final int dclass) {
        final Message changed = new Message(reply.getHeader().getID());
        changed.getHeader().setFlag(Flags.QR);
        changed.addRecord(Record.newRecord(reply.getQuestion().getName(), type, dclass), Section.QUESTION);
        return changed;
    }

    // ---------------------------------------------------------------------------------------- real servers

    private void start(final String name, final InetSocketAddress... servers) throws Exception {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            configs.add(new ServerConfig("s" + i, servers[i], 1));
        }
        lb = rig.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS.withResponses(1)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, configs, HealthCheckConfig.DEFAULTS
                .withChecks(List.of(CheckSpec.parse("dns:" + name))).withInterval(Duration.ofMillis(100))
                .withTimeout(Duration.ofMillis(300)).withRise(2).withFall(3).withMaxFails(0))));
    }

    private Server server(final String name) {
        return lb.group("g").snapshot().server(name);
    }

    private Dnsmasq dnsmasq(final String name) throws Exception {
        final Path binary = Dnsmasq.binary().orElse(null);
        assumeTrue(binary != null, "dnsmasq is not installed (apt-get install dnsmasq): skipping the real-DNS checks");
        return Dnsmasq.start(binary, name, dir);
    }

    @Test
    void aDnsmasqThatAnswersStaysUpAndGoesDownAfterFallChecksOnceStopped() throws Exception {
        final Dnsmasq dns = dnsmasq("dns-a");
        rig.track(dns);
        start("example.test", dns.address());
        Thread.sleep(600); // about six checks: three failing in a row would have taken it DOWN
        assertThat(server("s0").state()).as("UP while it answers").isEqualTo(ServerState.UP);

        dns.close(); // SIGTERM by its PID: the port now answers ICMP port unreachable
        final long stoppedAt = System.nanoTime();
        Await.until(() -> server("s0").state() == ServerState.DOWN, 3000);

        // fall 3 checks 100 ms apart: DOWN after about 200-300 ms, and not at the first failure
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt)).isBetween(150L, 2000L);
    }

    @Test
    void aNameTheServerRefusesFailsTheCheck() throws Exception {
        final Dnsmasq dns = dnsmasq("dns-a"); // dnsmasq without upstream servers answers REFUSED for other names
        rig.track(dns);
        start("nowhere.example", dns.address());

        Await.until(() -> server("s0").state() == ServerState.DOWN, 3000);
    }

    @Test
    void aServerAnsweringTheQuestionAskedStaysUpWhileOneAnsweringAnotherWithTheRightIdGoesDown() throws Exception {
        final DnsResponder good = new DnsResponder(DnsResponder::correct);
        rig.track(good);
        final DnsResponder wrong = new DnsResponder(q -> DnsResponder.anotherQuestion(q, "example.other."));
        rig.track(wrong);
        start("example.test", good.address(), wrong.address());

        Await.until(() -> server("s1").state() == ServerState.DOWN, 5000);
        // fall is 3: six good answers, with none failed in between, show the good one is judged and passes
        final int answeredAtDown = good.answered();
        Await.until(() -> good.answered() >= answeredAtDown + 6, 5000);

        assertThat(server("s0").state()).isEqualTo(ServerState.UP);
        assertThat(wrong.answered()).as("the wrong server answered every check").isGreaterThanOrEqualTo(3);
    }

    @Test
    void aServerThatNeverAnswersFailsTheCheckAtTheTimeout() throws Exception {
        final DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)); // reads nothing
        rig.track(silent);
        start("example.test", (InetSocketAddress) silent.getLocalSocketAddress());

        Await.until(() -> server("s0").state() == ServerState.DOWN, 5000);
    }
}
