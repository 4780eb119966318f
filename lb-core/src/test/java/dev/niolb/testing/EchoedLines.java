package dev.niolb.testing;

import dev.niolb.LoadBalancer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sessions through niolb to an {@link EchoServer}, each a line written right after the connect (so that niolb may
 * find it there when it accepts) and a second one after the echo of the first; and the check that the listener
 * counted every byte once, each way.
 */
public final class EchoedLines {
    private EchoedLines() {
    }

    /** {@code sessions} sessions to {@code front}, one after the other: the bytes each way. */
    public static long exchange(final InetSocketAddress front, final int sessions) throws IOException {
        long sent = 0;
        for (int i = 0; i < sessions; i++) {
            try (Socket client = new Socket()) {
                client.connect(front);
                final BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                    StandardCharsets.US_ASCII));
                for (final String line : new String[]{"hello " + i, "again"}) {
                    client.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                    assertThat(in.readLine()).isEqualTo(line);
                    sent += line.length() + 1;
                }
            }
        }
        return sent;
    }

    /** The listener's bytes in and out are each {@code sent}: not fewer, not counted twice. */
    public static void assertCountedOnce(final LoadBalancer lb, final String listener, final long sent)
        throws Exception {
        Await.until(() -> lb.listener(listener).counters().bytesIn() >= sent, 5000);
        assertThat(lb.listener(listener).counters().bytesIn()).as("bytes in").isEqualTo(sent);
        Await.until(() -> lb.listener(listener).counters().bytesOut() >= sent, 5000);
        assertThat(lb.listener(listener).counters().bytesOut()).as("bytes out").isEqualTo(sent);
    }
}
