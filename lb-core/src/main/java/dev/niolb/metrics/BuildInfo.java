package dev.niolb.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What this niolb was built from, for {@code niolb_build_info}: the version Maven wrote into
 * {@code build.properties} when it built lb-core.
 *
 * <p>Immutable; any thread.
 */
public final class BuildInfo {
    private static final String VERSION = read();

    private BuildInfo() {
    }

    /** The project version, or {@code unknown} when lb-core was built without Maven's resource filtering. */
    public static String version() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in == null) {
                return "unknown";
            }
            final Properties p = new Properties();
            p.load(in);
            final String v = p.getProperty("version", "");
            return v.isBlank() || v.startsWith("${") ? "unknown" : v.strip();
        } catch (final IOException e) {
            return "unknown";
        }
    }
}
