package dev.niolb.config.file;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.scanner.ScannerImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.tokens.Token;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * What a config file may be before it is read into a tree: its size, how deeply it nests, and how much text it
 * stands for once every alias is expanded. A config file is a few kilobytes; these limits are far above any real
 * one and far below what would take the process down.
 *
 * <p>Why: a reload runs inside the live process. SnakeYAML Engine's parser and composer recurse once per level
 * of nesting (2,000 {@code [} overflow the stack), and it bounds aliases of collections but not of scalars: one
 * 200 KB scalar aliased 5,000 times stands for a gigabyte of text. Either used to end niolb in the middle of a
 * SIGHUP reload (issue 17). So the text is checked first, by the two parts of SnakeYAML that do not recurse:
 * <ol>
 *   <li>the scanner's tokens give the nesting depth, before the parser ever sees the text;</li>
 *   <li>the parser's events give, for every anchor, the size of the node it names (scalar lengths added up, an
 *       alias counting as the node it names), so the expanded size of the document is known without building
 *       it, billion laughs included.</li>
 * </ol>
 *
 * <p>Threadsafe: stateless.
 */
final class YamlLimits {
    /**
     * The largest config file read: a real one is a few KiB; what {@code niolb check} prints, every default filled in,
     * is about 200 bytes a server, and must read back (1 MiB refused the effective config of 5,000 servers: black-box
     * testing, session 33).
     */
    static final int MAX_FILE_BYTES = 8 << 20;
    /** Nesting deeper than any config needs (it needs about six levels). */
    static final int MAX_DEPTH = 64;
    /** What the document may stand for once its aliases are expanded, in code points (scalars, keys included). */
    static final long MAX_EXPANDED_CODE_POINTS = 16L << 20;
    /**
     * The longest line: SnakeYAML's reader takes time that grows with the square of a line's length (an 8 MiB
     * comment line took 53 s to read, and a reload as long, at full CPU: black-box testing, session 33); a
     * config's lines are tens of characters, and 1 MiB (a flow list of some 50,000 servers on one line) reads in 2 s.
     */
    static final int MAX_LINE_CHARS = 1 << 20;
    /**
     * Servers a file names, counted as read (an alias of a list of servers counts each time it is used): each takes
     * kilobytes in a running niolb, twice over during a reload, and a 354 KB file of one list of 18,000 servers
     * aliased by 44 groups, or an 8 MiB one of 321,000 servers, ran the heap out (black-box testing, session 33).
     */
    static final int MAX_SERVERS = 50_000;
    /** Aliases of any node, scalars included. */
    static final int MAX_ALIASES = 1000;

    private YamlLimits() {
    }

    /**
     * Checks {@code yaml} against the limits.
     *
     * @throws ConfigFileException with one line naming the file and, where it can, the line
     */
    static void check(final String yaml, final String name, final LoadSettings settings) {
        if (yaml.length() > MAX_FILE_BYTES) {
            throw new ConfigFileException(name + ": larger than " + (MAX_FILE_BYTES >> 20) + " MiB; not read");
        }
        checkLines(yaml, name);
        checkDepth(yaml, name, settings);
        checkExpansion(yaml, name, settings);
    }

    private static void checkLines(final String yaml, final String name) {
        int line = 1;
        int start = 0;
        for (int i = 0; i <= yaml.length(); i++) {
            if (i == yaml.length() || yaml.charAt(i) == '\n') {
                if (i - start > MAX_LINE_CHARS) {
                    throw ConfigFileException.at(name, line, "", "a line longer than " + (MAX_LINE_CHARS >> 20)
                        + " MiB; not read (write a long list of servers one to a line)");
                }
                line++;
                start = i + 1;
            }
        }
    }

    private static void checkDepth(final String yaml, final String name, final LoadSettings settings) {
        final ScannerImpl scanner = new ScannerImpl(settings, new StreamReader(settings, yaml));
        int depth = 0;
        while (scanner.hasNext()) {
            final Token token = scanner.next();
            switch (token.getTokenId()) {
                case BlockMappingStart, BlockSequenceStart, FlowMappingStart, FlowSequenceStart -> {
                    if (++depth > MAX_DEPTH) {
                        throw ConfigFileException.at(name, line(token.getStartMark().orElse(null)), "",
                            "nested deeper than " + MAX_DEPTH + " levels; not read");
                    }
                }
                case BlockEnd, FlowMappingEnd, FlowSequenceEnd -> depth--;
                default -> {
                    // other tokens do not nest
                }
            }
        }
    }

    private static void checkExpansion(final String yaml, final String name, final LoadSettings settings) {
        final Map<String, Long> anchored = new HashMap<>();
        final ArrayDeque<long[]> open = new ArrayDeque<>(); // per open collection: code points so far
        final ArrayDeque<String> openAnchors = new ArrayDeque<>();
        long total = 0;
        int aliases = 0;
        for (final Event event : new Parse(settings).parseString(yaml)) {
            final long size;
            if (event instanceof ScalarEvent scalar) {
                size = scalar.getValue().codePointCount(0, scalar.getValue().length()) + 1L;
                scalar.getAnchor().ifPresent(a -> anchored.put(a.getValue(), size));
            } else if (event instanceof CollectionStartEvent start) {
                open.push(new long[] {1});
                openAnchors.push(start.getAnchor().map(a -> a.getValue()).orElse(""));
                continue;
            } else if (event.getEventId() == Event.ID.SequenceEnd || event.getEventId() == Event.ID.MappingEnd) {
                size = open.pop()[0];
                final String anchor = openAnchors.pop();
                if (!anchor.isEmpty()) {
                    anchored.put(anchor, size);
                }
            } else if (event instanceof AliasEvent alias) {
                if (++aliases > MAX_ALIASES) {
                    throw ConfigFileException.at(name, line(alias), "", "more than " + MAX_ALIASES
                        + " aliases; not read");
                }
                size = anchored.getOrDefault(alias.getAlias().getValue(), 0L); // an unknown one fails later
            } else {
                continue;
            }
            if (open.isEmpty()) {
                total = Math.min(Long.MAX_VALUE / 2, total + size);
            } else {
                open.peek()[0] = Math.min(Long.MAX_VALUE / 2, open.peek()[0] + size);
            }
            if (total > MAX_EXPANDED_CODE_POINTS || (!open.isEmpty() && open.peek()[0] > MAX_EXPANDED_CODE_POINTS)) {
                throw ConfigFileException.at(name, line(event), "", "expands to more than "
                    + (MAX_EXPANDED_CODE_POINTS >> 20) + " Mi characters through its aliases; not read");
            }
        }
    }

    private static int line(final Event event) {
        return line(event.getStartMark().orElse(null));
    }

    private static int line(final Mark mark) {
        return mark == null ? 1 : mark.getLine() + 1;
    }
}
