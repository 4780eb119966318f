import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The skip gate (run as {@code .ci/skip-gate}, a single-file program for any JDK 17+): lists every test the build
 * skipped, with its reason, from the Surefire and Failsafe XML reports under a directory, and in gate mode fails
 * when one is not in the allow-list. JUnit 5's disabled and aborted tests (a failed assumption) both appear there
 * as {@code <skipped>}.
 *
 * <pre>
 * skip-gate [--gate|--report] [--allow FILE] [--since EPOCH_MILLIS] [DIR]
 *   --gate    (default) exit 1 when a skip is not allowed, an allow-list line has no reason, or there is no report
 *   --report  list and count the skips, exit 0 (a developer's machine may skip)
 *   --allow   the allow-list (default: .ci/skips-allowed beside this file); a line is
 *             "package.Class#method  why it cannot run on the CI machine" (Class#* for a class none of whose
 *             tests ran); # starts a comment
 *   --since   only reports written at or after this instant (leaves out those of an earlier build)
 *   DIR       where the modules are (default: the current directory); reads
 *             DIR/&#42;&#42;/target/{surefire,failsafe}-reports/TEST-*.xml
 * </pre>
 *
 * Exit codes: 0 pass, 1 gate failed, 2 usage.
 */
public final class SkipGate {
    private static final Pattern REPORT = Pattern.compile(".*/target/(surefire|failsafe)-reports/TEST-[^/]*\\.xml");

    /** One skipped test: {@code key} is {@code Class#method}, without parameter types or invocation index. */
    record Skip(String key, String shown, String reason) {
    }

    public static void main(final String[] args) throws Exception {
        boolean gate = true;
        Path allow = null;
        long since = 0;
        Path dir = Path.of(".");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gate" -> gate = true;
                case "--report" -> gate = false;
                case "--allow" -> allow = Path.of(value(args, ++i));
                case "--since" -> since = Long.parseLong(value(args, ++i));
                default -> {
                    if (args[i].startsWith("-")) {
                        usage("unknown option " + args[i]);
                    }
                    dir = Path.of(args[i]);
                }
            }
        }
        if (allow == null) {
            allow = Path.of(System.getProperty("skipgate.home", ".ci"), "skips-allowed");
        }
        System.exit(run(gate, allow, since, dir));
    }

    private static String value(final String[] args, final int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(final String message) {
        System.err.println("skip-gate: " + message
            + " (usage: skip-gate [--gate|--report] [--allow FILE] [--since EPOCH_MILLIS] [DIR])");
        System.exit(2);
    }

    static int run(final boolean gate, final Path allowFile, final long since, final Path dir) throws Exception {
        final List<String> problems = new ArrayList<>();
        final Map<String, String> allowed = allowList(allowFile, problems);
        final List<Path> reports = reports(dir, since);
        final List<Skip> skips = new ArrayList<>();
        for (final Path report : reports) {
            skips.addAll(skipsIn(report));
        }
        final List<Skip> unlisted = new ArrayList<>();
        for (final Skip s : skips) {
            final String why = allowed.get(s.key());
            System.out.println((why != null ? "skipped (allowed: " + why + "): " : "skipped: ") + s.shown() + ": "
                + s.reason());
            if (why == null) {
                unlisted.add(s);
            }
        }
        System.out.println(summary(reports.size(), skips, unlisted));
        if (!gate) {
            return 0;
        }
        if (reports.isEmpty()) {
            problems.add("no test report under " + dir.toAbsolutePath().normalize()
                + "/*/target/{surefire,failsafe}-reports: did the build run its tests?");
        }
        for (final Skip s : unlisted) {
            problems.add(s.shown() + " skipped and is not in " + allowFile + " (" + s.reason() + ")");
        }
        for (final String p : problems) {
            System.out.println("skip gate: " + p);
        }
        if (problems.isEmpty()) {
            System.out.println("skip gate: passed");
            return 0;
        }
        System.out.println("skip gate: FAILED (a test that cannot run on the CI machine goes in " + allowFile
            + " with the reason; any other skip is a missing dependency to install)");
        return 1;
    }

    /** Allowed {@code Class#method} → reason; a line without a reason or without {@code #} is a problem. */
    static Map<String, String> allowList(final Path file, final List<String> problems) throws IOException {
        final Map<String, String> allowed = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return allowed;
        }
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 1; n <= lines.size(); n++) {
            final String line = lines.get(n - 1).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            final String[] parts = line.split("\\s+", 2);
            final int hash = parts[0].indexOf('#');
            if (hash <= 0 || hash == parts[0].length() - 1) {
                problems.add(file + ":" + n + ": '" + parts[0] + "' is not package.Class#method");
            } else if (parts.length < 2 || parts[1].isBlank()) {
                problems.add(file + ":" + n + ": " + parts[0] + " has no reason (why can it not run on the CI machine?)");
            } else {
                allowed.put(parts[0], parts[1].strip());
            }
        }
        return allowed;
    }

    private static List<Path> reports(final Path dir, final long since) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir, 6)) {
            return files.filter(p -> REPORT.matcher(p.toString().replace('\\', '/')).matches())
                .filter(p -> since == 0 || p.toFile().lastModified() >= since)
                .sorted().toList();
        }
    }

    static List<Skip> skipsIn(final Path report) throws Exception {
        final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        final Element suite = factory.newDocumentBuilder().parse(report.toFile()).getDocumentElement();
        final NodeList cases = suite.getElementsByTagName("testcase");
        final List<Skip> skips = new ArrayList<>();
        if (cases.getLength() == 0) {
            // JUnit 5 aborted the whole class before any test (an assumption in @BeforeAll): Surefire reports it as
            // zero tests run, with no skip and no reason. Nothing is discovered without a test, so this is a skip.
            final String cls = suite.getAttribute("name");
            skips.add(new Skip(cls + "#*", cls + "#*", "no test of the class ran and the report gives no reason "
                + "(an assumption that failed in @BeforeAll? assume in @BeforeEach so that the reason is reported)"));
        }
        for (int i = 0; i < cases.getLength(); i++) {
            final Element testcase = (Element) cases.item(i);
            final NodeList skipped = testcase.getElementsByTagName("skipped");
            if (skipped.getLength() == 0) {
                continue;
            }
            final String shownClass = testcase.getAttribute("classname");
            final String name = testcase.getAttribute("name");
            // "method(Path)", "method(String)[2]": the allow-list names the method; and a class run once per
            // transport (@ParameterizedClass) is "Class[1]" in some Surefire versions: the allow-list names the class
            final String cls = shownClass.replaceFirst("\\[[^\\]]*]$", "");
            final String method = name.replaceFirst("[(\\[].*$", "");
            skips.add(new Skip(cls + "#" + method, shownClass + "#" + name, reason((Element) skipped.item(0))));
        }
        return skips;
    }

    /** The message attribute, else the first line of the text (the exception), without the exception's name. */
    private static String reason(final Element skipped) {
        String text = skipped.getAttribute("message");
        if (text.isBlank()) {
            text = skipped.getTextContent().strip().lines().findFirst().orElse("");
        }
        text = text.replaceFirst("^org\\.opentest4j\\.TestAbortedException: ", "")
            .replaceFirst("^Assumption failed: ", "").strip();
        return text.isEmpty() ? "(no reason given)" : text;
    }

    private static String summary(final int reports, final List<Skip> skips, final List<Skip> unlisted) {
        if (skips.isEmpty()) {
            return "skips: none, in " + reports + " test reports";
        }
        final Map<String, Integer> byReason = new TreeMap<>();
        skips.forEach(s -> byReason.merge(s.reason(), 1, Integer::sum));
        final StringBuilder out = new StringBuilder("skips: ").append(skips.size())
            .append(skips.size() == 1 ? " test" : " tests").append(" skipped (").append(unlisted.size())
            .append(" not in the allow-list), in ").append(reports).append(" test reports; why:");
        byReason.forEach((reason, count) -> out.append("\n  ").append(count).append(" × ").append(reason));
        return out.toString();
    }
}
