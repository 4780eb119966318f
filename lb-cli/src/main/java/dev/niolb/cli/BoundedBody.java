package dev.niolb.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An answer's body as UTF-8 text, refused past a size: the JDK's {@code ofString} holds whatever a peer sends, and
 * a wrong {@code --admin} address that streamed took {@code niolb stats} to 600 MB before it gave up (black-box
 * testing, session 31). The admin API's largest answer, the stats of thousands of servers, is a few MB.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<String> {
    /** The most an admin answer may be. */
    static final int MAX_BYTES = 64 * 1024 * 1024;

    private final int max;
    private final CompletableFuture<String> body = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    private BoundedBody(final int max) {
        this.max = max;
    }

    /** A handler whose bodies are at most {@code max} bytes. */
    static HttpResponse.BodyHandler<String> handler(final int max) {
        return info -> new BoundedBody(max);
    }

    @Override
    public CompletionStage<String> getBody() {
        return body;
    }

    @Override
    public void onSubscribe(final Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(final List<ByteBuffer> items) {
        if (body.isDone()) {
            return;
        }
        for (final ByteBuffer b : items) {
            if ((long) bytes.size() + b.remaining() > max) {
                subscription.cancel();
                body.completeExceptionally(new IOException("an answer larger than " + (max >> 20) + " MiB"));
                return;
            }
            final byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            bytes.write(chunk, 0, chunk.length);
        }
    }

    @Override
    public void onError(final Throwable t) {
        body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        body.complete(bytes.toString(StandardCharsets.UTF_8));
    }
}
