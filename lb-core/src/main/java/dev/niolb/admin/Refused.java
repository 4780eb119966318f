package dev.niolb.admin;

/**
 * An admin request refused with an HTTP status and a one-line reason: a bad request line or header, a body over
 * its limit, a bad parameter, a server that does not exist. Stackless: it is an answer, not a fault.
 *
 * <p>Threadsafe (immutable).
 */
final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String headerName;
    private final String headerValue;

    Refused(final int status, final String message) {
        this(status, message, null, null);
    }

    private Refused(final int status, final String message, final String headerName, final String headerValue) {
        super(message, null, false, false);
        this.status = status;
        this.headerName = headerName;
        this.headerValue = headerValue;
    }

    /** The same refusal with a header its status calls for ({@code Allow} with 405, {@code WWW-Authenticate}). */
    Refused withHeader(final String name, final String value) {
        return new Refused(status, getMessage(), name, value);
    }

    int status() {
        return status;
    }

    /** The answer: the status and {@code {"error": message}}. */
    AdminResponse response() {
        final AdminResponse r = AdminResponse.error(status, getMessage());
        return headerName == null ? r : r.withHeader(headerName, headerValue);
    }
}
