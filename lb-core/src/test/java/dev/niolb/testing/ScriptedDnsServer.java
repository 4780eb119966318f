package dev.niolb.testing;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * A DNS server on a loopback UDP port that answers every name with the addresses it is given: A with the IPv4
 * ones, AAAA with the IPv6 ones, or REFUSED for a type it is told to refuse (as dnsmasq without an upstream
 * refuses AAAA). What it answers can change while it runs.
 */
public final class ScriptedDnsServer implements AutoCloseable {
    private final DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    private final Thread thread = Thread.ofVirtual().start(this::serve);
    private volatile InetAddress[] addresses = new InetAddress[0];
    private volatile boolean refuseA;
    private volatile boolean refuseAaaa;

    public ScriptedDnsServer() throws IOException {
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Answers with these addresses from now on. */
    public ScriptedDnsServer answer(final String... ips) throws IOException {
        final InetAddress[] next = new InetAddress[ips.length];
        for (int i = 0; i < ips.length; i++) {
            next[i] = InetAddress.getByName(ips[i]);
        }
        addresses = next;
        return this;
    }

    /** Refuses A queries ({@code a}) and/or AAAA queries ({@code aaaa}) from now on. */
    public ScriptedDnsServer refuse(final boolean a, final boolean aaaa) {
        refuseA = a;
        refuseAaaa = aaaa;
        return this;
    }

    private void serve() {
        final byte[] buffer = new byte[512];
        try {
            while (!socket.isClosed()) {
                final DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                socket.receive(p);
                final Message query = new Message(Arrays.copyOf(p.getData(), p.getLength()));
                final Record question = query.getQuestion();
                final Message reply = new Message(query.getHeader().getID());
                reply.getHeader().setFlag(Flags.QR);
                reply.addRecord(question, Section.QUESTION);
                final boolean a = question.getType() == Type.A;
                if (a ? refuseA : refuseAaaa) {
                    reply.getHeader().setRcode(Rcode.REFUSED);
                } else {
                    for (final InetAddress address : addresses) {
                        if (a == address instanceof Inet4Address) {
                            reply.addRecord(a ? new ARecord(question.getName(), DClass.IN, 1, address)
                                : new AAAARecord(question.getName(), DClass.IN, 1, address), Section.ANSWER);
                        }
                    }
                }
                final byte[] wire = reply.toWire();
                socket.send(new DatagramPacket(wire, wire.length, p.getSocketAddress()));
            }
        } catch (final IOException closed) {
            // the test is over
        }
    }

    @Override
    public void close() {
        socket.close();
        thread.interrupt();
    }
}
