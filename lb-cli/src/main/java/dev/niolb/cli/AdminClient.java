package dev.niolb.cli;

import dev.niolb.admin.AdminProof;
import dev.niolb.config.Endpoint;
import dev.niolb.json.JsonReader;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A client of a running niolb's admin API for the command line ({@code stats}, {@code server}, {@code reload}):
 * one request, its JSON answer, and every way it can fail turned into a one-line {@link Failure} (exit code 1):
 * the API not reachable, or a call it refused, shown with the admin's own message and the HTTP status.
 *
 * <p>Threading: one command's thread; not shared.
 */
final class AdminClient {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private final java.nio.file.Path fromFile;
    private final InetSocketAddress address;
    private final String token;
    private final java.nio.file.Path tokenFile;
    private final InetSocketAddress provenAt;
    private final Duration timeout;
    private final HttpClient http;
    /** Whether the admin API proved it holds the token ({@link #proveToken}). */
    private boolean proven;

    /**
     * The bearer token state changes carry, the file it came from, and the address niolb is to prove it for (the
     * one asked, unless a forward stands between: {@code --admin-forwarded-to}).
     */
    record Token(String value, java.nio.file.Path file, InetSocketAddress provenAt) {
    }

    /**
     * @param token    the token state changes carry; null for none
     * @param timeout  the whole exchange's deadline, the connect's too when shorter than its own 3 s
     * @param fromFile the config file the address was read from, for the hint when nothing answers; null: a flag
     */
    AdminClient(final InetSocketAddress address, final Token token, final Duration timeout, final java.nio.file.Path fromFile) {
        this.fromFile = fromFile;
        this.address = address;
        this.token = token == null ? null : token.value();
        this.tokenFile = token == null ? null : token.file();
        this.provenAt = token == null ? address : token.provenAt();
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
            .connectTimeout(timeout.compareTo(CONNECT_TIMEOUT) < 0 ? timeout : CONNECT_TIMEOUT).build();
    }

    /** {@code HOST:PORT} as the messages name it. */
    String where() {
        return Endpoint.hostPort(address);
    }

    /** {@code GET path}: the body of a 200 answer. */
    String get(final String path) throws InterruptedException {
        return send(request(path).GET(), "GET " + path).body();
    }

    /**
     * {@code POST path} with the parameters as a form (in the order given): the answer's JSON object.
     */
    Map<String, Object> post(final String path, final Map<String, String> form) throws InterruptedException {
        proveToken();
        final String body = form.entrySet().stream()
            .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
        return json(send(request(path).header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body)), "POST " + path));
    }

    /** {@code DELETE path}: the answer's JSON object. */
    Map<String, Object> delete(final String path) throws InterruptedException {
        proveToken();
        return json(send(request(path).DELETE(), "DELETE " + path));
    }

    /** A path segment: a group or server name, which may hold any character ({@code api:8080#10.0.0.1}). */
    static String segment(final String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(final String path) {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + where() + path))
            .timeout(timeout);
        if (token != null && proven) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    /**
     * Before the token is first sent: asks the admin API to prove that it holds it ({@link AdminProof}), so that a
     * process listening at the address in niolb's stead is never sent it (black-box testing, session 32). An API
     * that says no token guards it is sent nothing.
     *
     * @throws Failure when the answer proves nothing: the token is not sent
     */
    private void proveToken() throws InterruptedException {
        if (token == null || proven) {
            return;
        }
        if (token.length() < dev.niolb.config.TokenFile.MIN_PROVEN_LENGTH) {
            throw new Failure(dev.niolb.config.TokenFile.tooShortToProve(tokenFile, token.length()) + "; nothing was sent");
        }
        final String nonce = AdminProof.nonce();
        final String unproven = "the admin API at " + where() + " did not prove that it holds the token, which was "
            + "therefore not sent: ";
        final String what = "GET " + AdminProof.PATH;
        final HttpResponse<String> answer = exchange(request(AdminProof.PATH + "?nonce=" + nonce).GET());
        if (answer.statusCode() == 404) {
            throw new Failure(unproven + "it has no " + AdminProof.PATH + " (not niolb, or a niolb older than this "
                + "command: is another process listening there?)");
        }
        if (answer.statusCode() != 200) {
            throw new Failure(refusal(answer.body(), answer.statusCode(), what));
        }
        final Map<String, Object> proof = json(answer);
        if (Boolean.FALSE.equals(proof.get("token"))) {
            // a niolb that takes changes without the token, or a process that says so to be sent them: the change
            // is not made either way, rather than reported made by whoever answered (black-box testing, session 32)
            throw new Failure("the admin API at " + where() + " says no token guards it, though this command was "
                + "given one: nothing was sent (another process listening there, or niolb run without its token file?)");
        } else if (!(proof.get("proof") instanceof String p) || !provesAtAnyAddress(nonce, p)) {
            throw new Failure(unproven + "its proof does not match this token for " + Endpoint.hostPort(provenAt)
                + " (another process listening there, a niolb with another token file, or a forward to niolb: then "
                + "give --admin-forwarded-to with the address niolb listens on)");
        }
        proven = true;
    }

    private boolean provesAtAnyAddress(final String nonce, final String answer) {
        final byte[] key = token.getBytes(StandardCharsets.US_ASCII);
        if (!provenAt.isUnresolved()) {
            return AdminProof.proves(key, nonce, provenAt, answer);
        }
        try { // a name: the API answers for the address the connection came in on, one of the name's
            for (final java.net.InetAddress a : java.net.InetAddress.getAllByName(provenAt.getHostString())) {
                if (AdminProof.proves(key, nonce, new InetSocketAddress(a, provenAt.getPort()), answer)) {
                    return true;
                }
            }
        } catch (final java.net.UnknownHostException e) {
            return false;
        }
        return false;
    }

    private HttpResponse<String> send(final HttpRequest.Builder request, final String what)
        throws InterruptedException {
        final HttpResponse<String> response = exchange(request);
        final int status = response.statusCode();
        if (status / 100 != 2) {
            throw new Failure(refusal(response.body(), status, what));
        }
        return response;
    }

    /** The answer, whatever its status; a {@link Failure} when there is none. */
    private HttpResponse<String> exchange(final HttpRequest.Builder request) throws InterruptedException {
        final HttpResponse<String> response;
        // one deadline for the whole answer: the request's own timeout ends at the headers, and a peer that sends
        // them and then stalls in the body would hold the command for ever
        final CompletableFuture<HttpResponse<String>> pending = http.sendAsync(request.build(),
            BoundedBody.handler(BoundedBody.MAX_BYTES));
        try {
            try {
                response = pending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (final TimeoutException e) {
                pending.cancel(true);
                throw new HttpTimeoutException("timed out");
            } catch (final ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        } catch (final ConnectException e) {
            // the file may have been edited since niolb started: niolb reload --config FILE after changing its
            // admin address asked the new one (black-box testing, session 29)
            throw new Failure("cannot reach the admin API at " + where() + ": connection refused (" + (fromFile == null
                ? "is niolb running with --admin " + where() + "?)"
                : "the admin.address of " + fromFile + "; is niolb running? if that file's address changed since it "
                    + "started, give --admin with the one it listens on)"));
        } catch (final HttpTimeoutException e) {
            throw new Failure("no whole answer from the admin API at " + where() + " within "
                + dev.niolb.config.Durations.format(timeout) + " (--timeout)");
        } catch (final IOException e) {
            throw new Failure("the admin API at " + where() + " " + brokenAnswer(e));
        }
        return response;
    }

    /**
     * What went wrong after the connection was made, in words: the JDK client's own ("http/1.1 header parser
     * received no bytes") said neither what happened nor that the connection had been made at all, and they
     * came after "cannot reach" (black-box testing, session 27).
     */
    private static String brokenAnswer(final IOException e) {
        final String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        if (message.contains("received no bytes")) {
            return "closed the connection without an answer (at its limit of connections, or stopping: try again)";
        }
        if (message.contains("bytes received") || message.contains("eof reached")
            || message.contains("parsing http/1.1 header") || message.contains("chunked transfer encoding")) {
            return "closed the connection before its answer was whole";
        }
        // the JDK's own words, cased as it wrote them: what they quote is the server's answer, as it came
        return "gave no answer this command can read: "
            + (message.isEmpty() ? e.getClass().getSimpleName() : dev.niolb.config.Quoted.line(e.getMessage()));
    }

    /** The admin's {@code {"error": "..."}} as one line, the status after it; a hint where the token is missing. */
    private String refusal(final String body, final int status, final String what) {
        String message;
        try {
            final Object error = JsonReader.parseObject(body).get("error");
            message = error == null ? null : UsageErrorHandler.firstLine(error.toString());
        } catch (final IllegalArgumentException e) {
            message = null;
        }
        if (message == null) {
            message = "the admin API at " + where() + " answered " + what + " with HTTP " + status;
        } else {
            message = message + " (HTTP " + status + ")";
        }
        if (status == 401) {
            message += token == null ? "; give --admin-token-file FILE or --config FILE with admin.token-file"
                : "; the token given is not the one niolb reads";
        }
        return message;
    }

    private Map<String, Object> json(final HttpResponse<String> response) {
        try {
            return JsonReader.parseObject(response.body());
        } catch (final IllegalArgumentException e) {
            throw new Failure("the admin API at " + where() + " did not answer with JSON: " + e.getMessage());
        }
    }

    /** An ordered form of name and value pairs. */
    static Map<String, String> form(final String... nameValue) {
        final Map<String, String> form = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            form.put(nameValue[i], nameValue[i + 1]);
        }
        return form;
    }
}
