package dev.niolb.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for tests of the admin API: plain requests to one base address, answers as text. */
public final class Http {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public Http(final InetSocketAddress address) {
        this.base = "http://" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    public HttpResponse<String> get(final String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /** A POST of {@code body} as a form, with header name/value pairs. */
    public HttpResponse<String> post(final String path, final String body, final String... headers)
        throws IOException, InterruptedException {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body));
        return send(withHeaders(b, headers));
    }

    public HttpResponse<String> json(final String path, final String body, final String... headers)
        throws IOException, InterruptedException {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
        return send(withHeaders(b, headers));
    }

    public HttpResponse<String> delete(final String path, final String... headers)
        throws IOException, InterruptedException {
        return send(withHeaders(HttpRequest.newBuilder(URI.create(base + path)).DELETE(), headers));
    }

    private static HttpRequest.Builder withHeaders(final HttpRequest.Builder b, final String... headers) {
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    private HttpResponse<String> send(final HttpRequest.Builder b) throws IOException, InterruptedException {
        return client.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
