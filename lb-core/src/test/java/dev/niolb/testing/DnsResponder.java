package dev.niolb.testing;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A tiny DNS server for tests that need no dnsmasq: a blocking {@link DatagramChannel} on loopback, one thread,
 * that answers every query it can parse with what {@code answer} makes of it ({@link #correct} for a proper reply).
 * The replies are built with dnsjava, so a test can hand back a good reply, or one wrong in one chosen way.
 */
public final class DnsResponder implements AutoCloseable {
    private final DatagramChannel channel;
    private final UnaryOperator<Message> answer;
    private final AtomicInteger answered = new AtomicInteger();

    /** @param answer the reply to one parsed query, or null to stay silent */
    public DnsResponder(final UnaryOperator<Message> answer) throws IOException {
        this.answer = answer;
        this.channel = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofPlatform().daemon().name("dns-responder").start(this::serve);
    }

    /** A proper reply to {@code query}: its id and question, QR and RA set, NOERROR, no records. */
    public static Message correct(final Message query) {
        final Message reply = new Message(query.getHeader().getID());
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setFlag(Flags.RD);
        reply.getHeader().setFlag(Flags.RA);
        reply.getHeader().setRcode(Rcode.NOERROR);
        final Record question = query.getQuestion();
        if (question != null) {
            reply.addRecord(question, Section.QUESTION);
        }
        return reply;
    }

    /** A reply to {@code query} with its id, NOERROR, but the question of {@code name}'s A record instead. */
    public static Message anotherQuestion(final Message query, final String name) {
        final Message reply = new Message(query.getHeader().getID());
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setRcode(Rcode.NOERROR);
        reply.addRecord(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN), Section.QUESTION);
        return reply;
    }

    public InetSocketAddress address() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** Replies sent so far. */
    public int answered() {
        return answered.get();
    }

    private void serve() {
        final ByteBuffer in = ByteBuffer.allocate(65_536);
        while (channel.isOpen()) {
            try {
                in.clear();
                final SocketAddress from = channel.receive(in);
                in.flip();
                final Message query;
                try {
                    query = new Message(in);
                } catch (final IOException notDns) {
                    continue;
                }
                final Message reply = answer.apply(query);
                if (reply != null) {
                    channel.send(ByteBuffer.wrap(reply.toWire()), from);
                    answered.incrementAndGet();
                }
            } catch (final ClosedChannelException closed) {
                return;
            } catch (final IOException e) {
                if (!channel.isOpen()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
