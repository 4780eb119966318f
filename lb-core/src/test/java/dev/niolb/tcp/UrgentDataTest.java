package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.Splice;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.TcpServers;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TCP urgent data (MSG_OOB) in a relayed stream: niolb relays none (as HAProxy and nginx do not), so the urgent byte
 * is dropped and every other byte arrives, on every transport and splice mode. A splice stops at the urgent mark
 * (it spun a loop, or ended the stream there); a read stops short at it too, and a short read after the FIN was
 * taken for the last (the stream was cut with a clean end: black-box testing, session 29).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "[{0}]")
@MethodSource("transports")
class UrgentDataTest {
    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    UrgentDataTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    static List<TestedTransport> transports() {
        return List.of(TestedTransport.NIO, TestedTransport.EPOLL_SPLICE,
            new TestedTransport(TransportChoice.EPOLL, Splice.NEVER), new TestedTransport(TransportChoice.EPOLL, Splice.AUTO));
    }

    private void start(final InetSocketAddress server) throws IOException {
        lb = rig.start(Config.single(1, Duration.ofSeconds(5),
            new ListenerConfig("front", dev.niolb.config.Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server, 1)))));
    }

    /** A server that reads to the client's FIN, then sends all of it back and ends. */
    private TcpServers.Scripted echoingAtTheEnd() throws IOException {
        return rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getOutputStream().write(s.getInputStream().readAllBytes());
                s.shutdownOutput();
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
    }

    private Socket connect() throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** 300,000 then 100,000 random bytes: the two sides of an urgent byte, more than one relay buffer each. */
    private static byte[][] aroundUrgentByte() {
        final Random random = new Random(29);
        final byte[] before = new byte[300_000];
        final byte[] after = new byte[100_000];
        random.nextBytes(before);
        random.nextBytes(after);
        return new byte[][] {before, after};
    }

    /** The first part, one urgent byte (MSG_OOB), the second part. */
    private static void writeAroundUrgentByte(final Socket s, final byte[][] parts) throws IOException {
        s.getOutputStream().write(parts[0]);
        s.sendUrgentData('!');
        s.getOutputStream().write(parts[1]);
    }

    private static byte[] joined(final byte[][] parts) {
        final byte[] all = Arrays.copyOf(parts[0], parts[0].length + parts[1].length);
        System.arraycopy(parts[1], 0, all, parts[0].length, parts[1].length);
        return all;
    }

    @Test
    void anUrgentByteFromTheClientIsDroppedAndTheBytesAfterItStillReachTheServer() throws Exception {
        // a splice stops at the urgent mark and says EAGAIN while the socket stays readable: the loop spun at
        // 100 % and nothing after the mark was relayed (black-box testing, session 29)
        final byte[][] parts = aroundUrgentByte();
        final TcpServers.Scripted server = echoingAtTheEnd();
        start(server.address());
        try (Socket s = connect()) {
            writeAroundUrgentByte(s, parts);
            s.shutdownOutput();
            final byte[] got = s.getInputStream().readAllBytes();
            assertThat(got.length).as("bytes echoed").isEqualTo(400_000);
            assertThat(got).as("echoed: all but the urgent byte").isEqualTo(joined(parts));
        }
        Await.until(() -> lb.activeSessions() == 0, 5000);
        assertThat(lb.listener("front").counters().terminated(Termination.CLIENT_CLOSE)).isEqualTo(1);
    }

    @Test
    void anUrgentByteInAnOpenStreamDoesNotStallTheBytesAfterIt() throws Exception {
        // no FIN behind it: the splice said EAGAIN at the mark, the socket stayed readable, the loop spun at 100 %
        final byte[][] parts = aroundUrgentByte();
        final TcpServers.Scripted server = rig.track(new TcpServers.Scripted(s -> {
            try {
                s.getInputStream().transferTo(s.getOutputStream()); // echoes as it reads
                s.shutdownOutput();
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        start(server.address());
        try (Socket s = connect()) {
            writeAroundUrgentByte(s, parts);
            final byte[] got = s.getInputStream().readNBytes(400_000); // before the client's FIN
            assertThat(got).as("echoed: all but the urgent byte").isEqualTo(joined(parts));
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).as("then the end").isEqualTo(-1);
        }
    }

    @Test
    void anUrgentByteFromTheServerIsDroppedAndTheBytesAfterItStillReachTheClient() throws Exception {
        // the client got the bytes before the mark and a clean end: a cut-off stream taken for a whole one
        final byte[][] parts = aroundUrgentByte();
        final TcpServers.Scripted server = rig.track(new TcpServers.Scripted(s -> {
            try {
                writeAroundUrgentByte(s, parts);
                s.shutdownOutput();
                s.getInputStream().readAllBytes(); // until the client's FIN
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        start(server.address());
        try (Socket s = connect()) {
            final byte[] got = s.getInputStream().readAllBytes();
            assertThat(got.length).as("bytes received").isEqualTo(400_000);
            assertThat(got).as("all but the urgent byte").isEqualTo(joined(parts));
            s.shutdownOutput();
        }
        Await.until(() -> lb.activeSessions() == 0, 5000);
    }

    @Test
    void aShortTailAfterAnUrgentByteJustBeforeTheFinStillArrives() throws Exception {
        // the FIN already in when the read stops at the mark: the short read was taken for the last
        final byte[] head = new byte[100_000];
        final byte[] tail = new byte[100];
        Arrays.fill(head, (byte) 'a');
        Arrays.fill(tail, (byte) 'b');
        final TcpServers.Scripted server = echoingAtTheEnd();
        start(server.address());
        try (Socket s = connect()) {
            writeAroundUrgentByte(s, new byte[][] {head, tail});
            s.shutdownOutput();
            assertThat(s.getInputStream().readAllBytes()).as("all but the urgent byte")
                .isEqualTo(joined(new byte[][] {head, tail}));
        }
        Await.until(() -> lb.activeSessions() == 0, 5000);
        assertThat(lb.listener("front").counters().terminated(Termination.CLIENT_CLOSE)).isEqualTo(1);
    }
}
