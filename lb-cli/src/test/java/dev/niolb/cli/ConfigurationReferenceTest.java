package dev.niolb.cli;

import dev.niolb.config.file.ConfigFile;
import dev.niolb.config.file.ConfigWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/CONFIGURATION.md, the reference the README links to, has a row for every {@code niolb run} flag and every
 * config file key: a flag or key added without its row fails here.
 */
class ConfigurationReferenceTest {
    private static final Path REFERENCE = Path.of("../docs/CONFIGURATION.md");
    /** A key of a YAML block, indented (so not one of the top-level sections, defaults, admin, listeners, …). */
    private static final Pattern INDENTED_KEY = Pattern.compile("(?m)^\\s+(?:- )?([a-z][a-z-]*):(?= |$)");
    private static final Pattern TICKED = Pattern.compile("`([^`]+)`");

    @Test
    void everyRunFlagHasARowInTheRunFlagsTable() throws IOException {
        final Set<String> runFlags = Main.commandLine().getSubcommands().get("run").getCommandSpec().options().stream()
            .map(OptionSpec::longestName)
            .filter(name -> !List.of("--help", "--version", "--config").contains(name))
            .collect(Collectors.toCollection(TreeSet::new));

        final Set<String> documented = firstCells(section("## Run flags", "## Config file")).stream()
            .map(cell -> cell.split("[ \\[`]", 2)[0])
            .collect(Collectors.toSet());

        assertThat(runFlags).isNotEmpty();
        assertThat(documented).containsAll(runFlags);
    }

    @Test
    void theReadmesSynopsisNamesEveryFlagOfEveryCommand() throws IOException {
        final String readme = Files.readString(Path.of("../README.md"));
        final int start = readme.indexOf("niolb run --listen HOST:PORT");
        // each command's lines: its own ("niolb demo ...") and those indented under it
        final java.util.Map<String, StringBuilder> usage = new java.util.HashMap<>();
        String command = null;
        for (final String line : readme.substring(start, readme.indexOf("```", start)).split("\n")) {
            if (line.startsWith("niolb ")) {
                command = line.split(" ")[1];
            }
            usage.computeIfAbsent(command, c -> new StringBuilder()).append(' ').append(line.strip()).append(' ');
        }
        final Set<String> missing = new TreeSet<>();
        for (final String c : List.of("run", "demo", "stats", "reload", "check")) {
            final String text = usage.getOrDefault(c, new StringBuilder()).toString();
            Main.commandLine().getSubcommands().get(c).getCommandSpec().options().stream()
                .map(OptionSpec::longestName)
                .filter(name -> !List.of("--help", "--version").contains(name))
                .filter(name -> !text.contains("[" + name + " ") && !text.contains("[" + name + "]")
                    && !text.contains(" " + name + " "))
                .forEach(name -> missing.add(c + " " + name));
        }

        assertThat(usage).containsKeys("run", "demo", "stats", "reload", "check");
        assertThat(missing).isEmpty();
    }

    @Test
    void everyConfigFileKeyHasARowInTheKeyTable() throws IOException {
        // the effective config as check prints it; written here, since check refuses what run would (this file
        // names a token file that is not there and defer-accept on nio: it exercises keys, it does not run)
        final String effective = ConfigWriter.write(ConfigFile.parse(FlagsAndFileTest.SAME_AS_FILE, "every.yaml"));
        final Set<String> keys = new TreeSet<>();
        for (final String yaml : List.of(FlagsAndFileTest.SAME_AS_FILE, effective)) {
            final Matcher m = INDENTED_KEY.matcher(yaml);
            while (m.find()) {
                keys.add(m.group(1));
            }
        }

        final Set<String> documented = firstCells(section("## Config file", null));

        assertThat(keys).contains("idle-timeout", "min-ttl", "proxy-udp");
        assertThat(documented).containsAll(keys);
    }

    private static String section(final String heading, final String next) throws IOException {
        final String text = Files.readString(REFERENCE);
        final int start = text.indexOf("\n" + heading + "\n");
        assertThat(start).as("%s in %s", heading, REFERENCE).isPositive();
        final int end = next == null ? text.length() : text.indexOf("\n" + next + "\n", start);
        return text.substring(start, end);
    }

    /** Every `ticked` word in the first cell of each table row: a row may name several keys. */
    private static Set<String> firstCells(final String section) {
        final Set<String> names = new TreeSet<>();
        section.lines().filter(line -> line.startsWith("| `")).forEach(line -> {
            final Matcher m = TICKED.matcher(line.split("(?<!\\\\)\\|")[1]);
            while (m.find()) {
                names.add(m.group(1));
            }
        });
        return names;
    }
}
