package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code .ci/skip-gate}, the script CI runs after the build, on fabricated Surefire and Failsafe reports: a skip it
 * does not know fails the build, one the allow-list names with a reason passes, an allow-list line without a reason
 * fails.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SkipGateScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("user.dir")).getParent().resolve(".ci/skip-gate");

    @TempDir
    Path dir;

    private record Run(int exit, String out) {
    }

    private Run gate(final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    /** A Surefire-style report: one test that ran, one aborted by an assumption (JUnit 5's form of a skip). */
    private Path report(final String module, final String plugin, final String cls, final String skippedName,
                        final String reason) throws IOException {
        final Path file = dir.resolve(module).resolve("target").resolve(plugin + "-reports")
            .resolve("TEST-" + cls + ".xml");
        Files.createDirectories(file.getParent());
        return Files.writeString(file, """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="%1$s" time="0.2" tests="2" errors="0" skipped="1" failures="0">
              <testcase name="runsHere" classname="%1$s" time="0.1"/>
              <testcase name="%2$s" classname="%1$s" time="0.0">
                <skipped type="org.opentest4j.TestAbortedException"><![CDATA[org.opentest4j.TestAbortedException: \
            Assumption failed: %3$s
                at org.junit.jupiter.api.Assumptions.throwAssumptionFailed(Assumptions.java:340)
            ]]></skipped>
              </testcase>
            </testsuite>
            """.formatted(cls, skippedName, reason), StandardCharsets.UTF_8);
    }

    private Path allowList(final String... lines) throws IOException {
        return Files.writeString(dir.resolve("skips-allowed"), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    @Test
    void aSkipThatIsNotInTheAllowListFailsTheGateNamingTheTestAndItsReason() throws Exception {
        report("lb-core", "surefire", "dev.niolb.x.DnsTest", "resolvesThroughDnsmasq", "dnsmasq is not installed");
        final Path allow = allowList("dev.niolb.x.OtherTest#ipv6  no IPv6 on loopback");

        final Run run = gate("--allow", allow.toString(), dir.toString());

        assertThat(run.exit()).as(run.out()).isEqualTo(1);
        assertThat(run.out()).contains("dev.niolb.x.DnsTest#resolvesThroughDnsmasq skipped and is not in",
            "(dnsmasq is not installed)", "skip gate: FAILED");
    }

    @Test
    void aSkipTheAllowListNamesWithAReasonPassesTheGate() throws Exception {
        report("lb-core", "surefire", "dev.niolb.x.UdpTest", "ipv6ListenerRelays(Path)[1]", "no IPv6 loopback here");
        report("lb-cli", "failsafe", "dev.niolb.x.PackageIT", "lintianIsClean", "lintian is not installed");
        final Path allow = allowList("# comment", "", "dev.niolb.x.UdpTest#ipv6ListenerRelays  no IPv6 on loopback in CI",
            "dev.niolb.x.PackageIT#lintianIsClean\tno lintian for this distribution");

        final Run run = gate("--allow", allow.toString(), dir.toString());

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains(
            "skipped (allowed: no IPv6 on loopback in CI): dev.niolb.x.UdpTest#ipv6ListenerRelays(Path)[1]: "
                + "no IPv6 loopback here",
            "2 tests skipped (0 not in the allow-list), in 2 test reports", "skip gate: passed");
    }

    @Test
    void aSkipInAClassRunOncePerTransportIsAllowedByItsClassAndMethod() throws Exception {
        // Surefire 3.5.4 names a @ParameterizedClass's run "Class[1]"; 3.6 names the test "method()[1]"
        report("lb-core", "surefire", "dev.niolb.x.UdpTest[1]", "ipv6ListenerRelays", "no IPv6 loopback here");
        report("lb-core", "surefire", "dev.niolb.x.TcpTest", "ipv6ListenerRelays()[2]", "no IPv6 loopback here");
        final Path allow = allowList("dev.niolb.x.UdpTest#ipv6ListenerRelays  no IPv6 on loopback in CI",
            "dev.niolb.x.TcpTest#ipv6ListenerRelays  no IPv6 on loopback in CI");

        final Run run = gate("--allow", allow.toString(), dir.toString());

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains(
            "skipped (allowed: no IPv6 on loopback in CI): dev.niolb.x.UdpTest[1]#ipv6ListenerRelays: "
                + "no IPv6 loopback here",
            "2 tests skipped (0 not in the allow-list), in 2 test reports", "skip gate: passed");
    }

    @Test
    void anAllowListLineWithoutAReasonFailsTheGateEvenWhenEverySkipIsListed() throws Exception {
        report("lb-core", "surefire", "dev.niolb.x.UdpTest", "ipv6ListenerRelays", "no IPv6 loopback here");
        final Path allow = allowList("dev.niolb.x.UdpTest#ipv6ListenerRelays   ");

        final Run run = gate("--allow", allow.toString(), dir.toString());

        assertThat(run.exit()).as(run.out()).isEqualTo(1);
        assertThat(run.out()).contains("skips-allowed:1: dev.niolb.x.UdpTest#ipv6ListenerRelays has no reason");
    }

    @Test
    void withNoReportAtAllTheGateFailsRatherThanPassOnNothing() throws Exception {
        final Run run = gate("--allow", allowList("# nothing").toString(), dir.toString());

        assertThat(run.exit()).as(run.out()).isEqualTo(1);
        assertThat(run.out()).contains("no test report under");
    }

    @Test
    void theReportModeListsAndCountsTheSkipsByReasonAndPasses() throws Exception {
        report("lb-core", "surefire", "dev.niolb.x.DnsTest", "resolves", "dnsmasq is not installed");
        report("lb-core", "surefire", "dev.niolb.x.DnsCheckTest", "checks", "dnsmasq is not installed");
        final Path old = report("bench", "surefire", "dev.niolb.x.OldTest", "fromAnEarlierBuild", "stale");
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));

        final Run run = gate("--report", "--allow", allowList("# none").toString(), "--since",
            Long.toString(System.currentTimeMillis() - 60_000), dir.toString());

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("2 tests skipped (2 not in the allow-list), in 2 test reports",
            "2 × dnsmasq is not installed").doesNotContain("OldTest");
    }

    @Test
    void aClassNoneOfWhoseTestsRanCountsAsASkipThoughItsReportShowsNone() throws Exception {
        // what Surefire writes when an assumption fails in @BeforeAll: zero tests, zero skipped
        final Path file = dir.resolve("lb-cli/target/failsafe-reports/TEST-dev.niolb.x.PackageIT.xml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="dev.niolb.x.PackageIT" time="0.1" tests="0" errors="0" skipped="0" failures="0">
              <properties/>
            </testsuite>
            """, StandardCharsets.UTF_8);

        final Run failed = gate("--allow", allowList("# none").toString(), dir.toString());
        assertThat(failed.exit()).as(failed.out()).isEqualTo(1);
        assertThat(failed.out()).contains("dev.niolb.x.PackageIT#* skipped and is not in", "@BeforeAll");

        final Run allowed = gate("--allow", allowList("dev.niolb.x.PackageIT#*  no dpkg on this CI").toString(),
            dir.toString());
        assertThat(allowed.exit()).as(allowed.out()).isZero();
    }
}
