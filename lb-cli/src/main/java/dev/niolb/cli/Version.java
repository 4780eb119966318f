package dev.niolb.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * niolb's version, from {@code version.properties}, which Maven fills in from the project version at build time.
 */
final class Version implements IVersionProvider {
    private static final String RESOURCE = "version.properties";

    /** The project version, or {@code unknown} when the classes were built without Maven's resource filtering. */
    static String number() {
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            final Properties p = new Properties();
            p.load(in);
            final String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code niolb 0.1.0 (Java 25.0.1, Linux/amd64)}. */
    static String line() {
        return "niolb " + number() + " (Java " + System.getProperty("java.version") + ", "
            + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")";
    }

    /** For {@code --version}, which says the same as {@code niolb version}. */
    @Override
    public String[] getVersion() {
        return new String[] {line()};
    }
}
