package dev.niolb.config.file;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.config.Config;
import dev.niolb.testing.OneLineErrors;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link ConfigFile#parse}, the YAML config reader: any text is a config or one line of error that names the file
 * (and the line, when there is one in the text), and a config reads back from its written form as an equal one.
 * Host names resolve from the fuzz run's hosts file only (see lb-core's pom).
 */
class ConfigFileFuzzTest {
    private static final String NAME = "fuzz.yaml";
    private static final Pattern REPORT = Pattern.compile("fuzz\\.yaml(?::(\\d+))?: .+");

    @FuzzTest(maxDuration = "2s")
    @DictionaryEntries({"defaults:", "listeners:", "groups:", "servers:", "checks:", "- name: ", "bind: ", "group: ",
        "address: ", "protocol: ", "balance: ", "weight: ", "backup: ", "check-port: ", "threads: ", "grace: ",
        "connect-timeout: ", "idle-timeout: ", "retries: ", "check-interval: ", "check-timeout: ", "rise: ", "fall: ",
        "udp-responses: ", "udp-idle-timeout: ", "udp-max-flows: ", "buffer-size: ", "max-connection-age: ",
        "slowstart: ", "drain-timeout: ", "drain-rate: ", "max-fails: ", "hash-balance-factor: ", "keepalive: ",
        "nodelay: ", "backlog: ", "tcp", "udp", "auto", "127.0.0.1:80", "udp://127.0.0.1:53", "\"[::1]:80\"",
        "http:/health", "send:PING,expect:+PONG", "roundrobin", "source", "leastconn", "  - ", "    "})
    void anyTextIsAConfigOrOneLineNamingTheFileAndAConfigReadsBackFromItsWrittenForm(final byte[] input) {
        final String yaml = OneLineErrors.text(input);
        final Config config;
        try {
            config = ConfigFile.parse(yaml, NAME);
        } catch (final ConfigFileException e) {
            final String report = e.getMessage();
            final Matcher m = REPORT.matcher(report == null ? "" : report);
            if (!m.matches() || report.chars().anyMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)) {
                throw new AssertionError("not one line naming the file: " + OneLineErrors.quoted(String.valueOf(report)), e);
            }
            final long lines = yaml.lines().count();
            if (m.group(1) != null && (Long.parseLong(m.group(1)) < 1 || Long.parseLong(m.group(1)) > lines + 1)) {
                throw new AssertionError("line out of the text's " + lines + " lines: " + OneLineErrors.quoted(report), e);
            }
            return;
        }
        if (config == null) {
            throw new AssertionError("null config for " + OneLineErrors.quoted(yaml));
        }
        final String written = ConfigWriter.write(config);
        final Config back = ConfigFile.parse(written, "effective.yaml");
        if (!back.equals(config)) {
            throw new AssertionError("written as\n" + written + "\nreads back as " + back + "\nnot " + config);
        }
    }
}
