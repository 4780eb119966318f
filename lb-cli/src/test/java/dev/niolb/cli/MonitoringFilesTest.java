package dev.niolb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.niolb.LoadBalancer;
import dev.niolb.admin.AdminServer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.Http;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Grafana dashboard and the Prometheus alert rules the distribution ships in {@code conf/}: every query
 * names only metrics niolb exports (read from a running engine's {@code /metrics}), and with {@code promtool}
 * (Debian's {@code prometheus}, which {@code .ci/install-test-deps} installs) the rules and the dashboard's
 * queries parse and the rules pass their unit tests. The promtool tests skip with a reason where it is missing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MonitoringFilesTest {
    static final Path DASHBOARD = Path.of("src/dist/conf/grafana/niolb-dashboard.json");
    static final Path RULES = Path.of("src/dist/conf/prometheus/niolb-alerts.yml");
    private static final Path RULES_TEST = Path.of("src/test/resources/monitoring/niolb-alerts-test.yml");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern GROUPING =
        Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

    /** Every series name {@code /metrics} can carry: histograms' {@code _bucket}, {@code _sum}, {@code _count}. */
    private static Set<String> exported;

    @TempDir
    Path dir;

    @BeforeAll
    static void readWhatNiolbExports() throws Exception {
        try (EchoServer echo = new EchoServer("s0")) {
            final LoadBalancer lb = AdminServer.startWithEngine(new Config(1, Duration.ofSeconds(1),
                List.of(new ListenerConfig("web", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", echo.address(), 1)))))
                .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
            try {
                exported = new LinkedHashSet<>();
                final Matcher type = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE)
                    .matcher(new Http(lb.adminAddress()).get("/metrics").body());
                while (type.find()) {
                    final String name = type.group(1);
                    switch (type.group(2)) {
                        case "histogram" -> exported.addAll(List.of(name + "_bucket", name + "_sum", name + "_count"));
                        case "summary" -> exported.addAll(List.of(name, name + "_sum", name + "_count"));
                        default -> exported.add(name);
                    }
                }
            } finally {
                lb.stop(Duration.ZERO);
            }
        }
        assertThat(exported).contains("niolb_event_loop_busy_seconds", "niolb_server_connect_seconds_bucket",
            "process_open_fds");
    }

    /** The metric names in a PromQL expression: identifiers that are not functions, keywords or label names. */
    static Set<String> metricNames(final String expr) {
        String e = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
        e = MATCHERS.matcher(e).replaceAll(" ");
        e = GROUPING.matcher(e).replaceAll(" ");
        e = e.replaceAll("\\[[^]]*]", " "); // range and subquery durations
        final Set<String> names = new LinkedHashSet<>();
        final Matcher m = IDENTIFIER.matcher(e);
        while (m.find()) {
            final String word = m.group().strip();
            final boolean number = m.start() > 0 && Character.isDigit(e.charAt(m.start() - 1)); // 5m, 1e3
            if (m.group(1) == null && !number && !KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
                names.add(word);
            }
        }
        return names;
    }

    /** Each panel's title and its queries; the template variables' queries as one more "panel". */
    private static Map<String, List<String>> dashboardQueries() throws IOException {
        final JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        final Map<String, List<String>> queries = new LinkedHashMap<>();
        for (final JsonNode panel : dashboard.get("panels")) {
            if (panel.get("type").asText().equals("row")) {
                continue;
            }
            final List<String> exprs = new ArrayList<>();
            for (final JsonNode target : panel.path("targets")) {
                exprs.add(target.get("expr").asText());
            }
            queries.put(panel.get("title").asText(), exprs);
        }
        final List<String> variables = new ArrayList<>();
        for (final JsonNode v : dashboard.get("templating").get("list")) {
            if (v.get("type").asText().equals("query")) {
                final Matcher m = Pattern.compile("label_values\\((.*),\\s*\\w+\\)").matcher(v.get("definition").asText());
                assertThat(m.matches()).as("variable %s", v.get("name")).isTrue();
                variables.add(m.group(1));
            }
        }
        queries.put("template variables", variables);
        return queries;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> ruleExpressions() throws IOException {
        final Map<String, Object> file = (Map<String, Object>) new Load(LoadSettings.builder().build())
            .loadFromString(Files.readString(RULES));
        final Map<String, String> rules = new LinkedHashMap<>();
        for (final Object group : (List<Object>) file.get("groups")) {
            for (final Object rule : (List<Object>) ((Map<String, Object>) group).get("rules")) {
                final Map<String, Object> r = (Map<String, Object>) rule;
                rules.put((String) r.get("alert"), (String) r.get("expr"));
            }
        }
        return rules;
    }

    @Test
    void theMetricNameReaderFindsNamesAndOnlyNames() {
        assertThat(metricNames("histogram_quantile(0.99, sum by (le, group) (rate(niolb_x_bucket{group=~\"$g\","
            + "le!=\"1\"}[$__rate_interval]))) / on (group) niolb_y > bool 5 and time() - process_start_time_seconds"))
            .containsExactly("niolb_x_bucket", "niolb_y", "process_start_time_seconds");
    }

    @Test
    void everyDashboardPanelQueriesOnlyMetricsNiolbExports() throws Exception {
        final Map<String, List<String>> panels = dashboardQueries();
        assertThat(panels).hasSizeGreaterThan(20);
        for (final Map.Entry<String, List<String>> panel : panels.entrySet()) {
            final Set<String> names = new LinkedHashSet<>();
            for (final String expr : panel.getValue()) {
                names.addAll(metricNames(expr));
            }
            assertThat(names).as("metrics of panel '%s'", panel.getKey()).isNotEmpty();
            assertThat(exported).as("panel '%s' queries %s", panel.getKey(), names).containsAll(names);
        }
    }

    @Test
    void everyAlertRuleNamesOnlyMetricsNiolbExports() throws Exception {
        final Map<String, String> rules = ruleExpressions();
        assertThat(rules).containsKeys("NiolbGroupNoServerUp", "NiolbServerDown", "NiolbReloadRefused",
            "NiolbAcceptErrors", "NiolbListenerNearMaxconn", "NiolbNearMaxconn", "NiolbEventLoopStalled");
        for (final Map.Entry<String, String> rule : rules.entrySet()) {
            final Set<String> names = metricNames(rule.getValue());
            assertThat(names).as("metrics of %s", rule.getKey()).isNotEmpty();
            assertThat(exported).as("%s uses %s", rule.getKey(), names).containsAll(names);
        }
    }

    @Test
    void theAlertRulesPassPromtoolsCheck() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "needs promtool (apt prometheus)");
        final String out = promtool(Path.of("."), "check", "rules", RULES.toString());
        assertThat(out).contains("SUCCESS");
    }

    @Test
    void theAlertRulesPassTheirUnitTests() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "needs promtool (apt prometheus)");
        Files.copy(RULES, dir.resolve("niolb-alerts.yml"));
        Files.copy(RULES_TEST, dir.resolve("niolb-alerts-test.yml"));
        final String out = promtool(dir, "test", "rules", "niolb-alerts-test.yml");
        assertThat(out).contains("SUCCESS");
    }

    /** promtool parses PromQL in rule files only: each panel's query, variables filled in, as a recording rule. */
    @Test
    void everyDashboardQueryIsValidPromql() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "needs promtool (apt prometheus)");
        final StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (final List<String> exprs : dashboardQueries().values()) {
            for (final String expr : exprs) {
                final String filled = expr.replace("$__rate_interval", "5m").replaceAll("\\$\\w+", ".*");
                rules.append("      - record: dashboard:query").append(n++).append("\n        expr: '")
                    .append(filled.replace("'", "''")).append("'\n");
            }
        }
        final Path file = Files.writeString(dir.resolve("queries.yml"), rules);
        final String out = promtool(dir, "check", "rules", file.toString());
        assertThat(out).contains("SUCCESS: " + n + " rules found");
    }

    private static String promtool(final Path workDir, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool %s:\n%s", String.join(" ", args), out).isZero();
        return out;
    }
}
