package dev.niolb.config.file;

import dev.niolb.config.Config;
import dev.niolb.config.OperatorFile;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A niolb config file (YAML): what {@code niolb run --config} and {@code niolb check} read, and what a reload
 * reads again. The keys are described in docs/CONFIGURATION.md ("Config file") and read by {@link ConfigReader}.
 *
 * <p>Errors are one line naming the file as given, the line and the key:
 * {@code niolb.yaml:14: groups[0].servers[2].weight: must be 0..256, got 900}.
 *
 * <p>YAML is read with SnakeYAML Engine into a node tree (YAML 1.2, every node marked with its line, no objects
 * made by reflection), and the tree is read by hand: unknown keys are errors, not ignored.
 *
 * <p>Threadsafe: immutable; each {@link #load()} reads the file anew.
 */
public record ConfigFile(Path path) implements ConfigSource {
    private static final Pattern UNQUOTED_IPV6 = Pattern.compile("(:|-)\\s+\\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\\]:\\d");

    public ConfigFile {
        Objects.requireNonNull(path, "path");
    }

    @Override
    public Config load() {
        return read(true);
    }

    /** As {@link #load}, but a named pipe is refused: opening one waits for a writer for ever (session 20). */
    @Override
    public Config reload() {
        return read(false);
    }

    private Config read(final boolean pipeToo) {
        if (path.toString().isEmpty()) {
            // Path.of("") is the working directory: "cannot read : Is a directory" would puzzle (session 20)
            throw new ConfigFileException("cannot read the config file: its path is empty");
        }
        final String text;
        try {
            // a strict decoder: a file that is not UTF-8 is refused rather than read with replacement characters
            text = StandardCharsets.UTF_8.newDecoder()
                .decode(ByteBuffer.wrap(OperatorFile.read(path, YamlLimits.MAX_FILE_BYTES, pipeToo))).toString();
        } catch (final CharacterCodingException e) {
            throw new ConfigFileException("cannot read " + path + ": not UTF-8 text");
        } catch (final IOException e) {
            throw new ConfigFileException("cannot read " + path + ": " + e.getMessage());
        }
        return parse(text, path.toString());
    }

    @Override
    public String describe() {
        return path.toString();
    }

    /**
     * Reads a config from YAML text.
     *
     * @param name the file's name for error messages
     * @throws ConfigFileException with a one-line report
     */
    public static Config parse(final String yaml, final String name) {
        return ConfigReader.read(document(yaml, name));
    }

    /** The document's root map, not yet read. */
    static YamlMap document(final String yaml, final String name) {
        return new YamlValue(name, "", compose(yaml, name)).map();
    }

    /** Reads a config as {@link #parse} does, and logs in {@code keys} which keys each map was asked for. */
    static Config parse(final String yaml, final String name, final KeyLog keys) {
        return ConfigReader.read(new YamlValue(name, "", compose(yaml, name), keys).map());
    }

    private static Node compose(final String yaml, final String name) {
        // SnakeYAML's own cap (3 Mi code points) below ours would refuse in its words what ours lets through
        final LoadSettings settings = LoadSettings.builder().setLabel(name)
            .setCodePointLimit(YamlLimits.MAX_FILE_BYTES).build();
        final Optional<Node> node;
        try {
            YamlLimits.check(yaml, name, settings); // before the recursive parser and composer see it
            node = new Compose(settings).composeString(yaml);
        } catch (final MarkedYamlEngineException e) {
            final int line = e.getProblemMark().or(e::getContextMark).map(Mark::getLine).orElse(0) + 1;
            throw ConfigFileException.at(name, line, "", "not valid YAML: " + firstLine(e.getProblem())
                + (e.getContext() == null ? "" : " (" + firstLine(e.getContext()) + ")") + hint(yaml, line));
        } catch (final YamlEngineException e) {
            throw new ConfigFileException(name + ": not valid YAML: " + firstLine(e.getMessage()));
        } catch (final IllegalArgumentException e) {
            // SnakeYAML refuses some tags with this, not its own exception: '!%0' (a tag that decodes to a space)
            // escaped as a stack trace (fuzzing, session 34)
            throw new ConfigFileException(name + ": not valid YAML: " + firstLine(e.getMessage()));
        }
        return node.orElseThrow(() -> new ConfigFileException(name + ":1: empty: expected listeners and groups"));
    }

    /** An unquoted IPv6 address in brackets reads as the start of a YAML list: say so. */
    private static String hint(final String yaml, final int line) {
        final String text = yaml.lines().skip(line - 1L).findFirst().orElse("");
        return UNQUOTED_IPV6.matcher(text).find() ? "; write an IPv6 address in quotes: \"[::1]:80\"" : "";
    }

    private static String firstLine(final String text) {
        final String s = String.valueOf(text).strip();
        final int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).strip();
    }
}
