package dev.niolb.bench.harness.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerConfigTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    @Test
    void theHaproxyConfigNamesTheThreadsTheListenerAndTheServer() {
        final String config = new HaproxyConfig(2, new InetSocketAddress(LOOPBACK, 8080),
            new InetSocketAddress(LOOPBACK, 9090), 5000).render();
        assertThat(config).contains("nbthread 2", "maxconn 5000", "mode tcp", "bind 127.0.0.1:8080",
            "server b1 127.0.0.1:9090", "backlog 4096").doesNotContainPattern("(?m)^\\s*log\\s");
    }

    @Test
    void haproxyAcceptsTheGeneratedConfig() throws Exception {
        final Path haproxy = Executables.find("haproxy").orElse(null);
        assumeTrue(haproxy != null, "haproxy is not installed (apt-get install haproxy)");
        final Path config = Files.writeString(dir.resolve("haproxy.cfg"), new HaproxyConfig(1,
            Ports.freeTcp(LOOPBACK), new InetSocketAddress(LOOPBACK, 9), 1000).render());
        assertThat(run(List.of(haproxy.toString(), "-c", "-f", config.toString()))).isZero();
    }

    @Test
    void theSpliceConfigSplicesBothDirectionsInTheFrontendAndTheBackendAndBoundsThePipes() {
        final String config = new HaproxyConfig(1, new InetSocketAddress(LOOPBACK, 8080),
            new InetSocketAddress(LOOPBACK, 9090), 5000, 64).render();
        assertThat(section(config, "frontend bench"))
            .contains("option splice-request", "option splice-response", "bind 127.0.0.1:8080");
        assertThat(section(config, "backend backends"))
            .contains("option splice-request", "option splice-response", "server b1 127.0.0.1:9090");
        assertThat(section(config, "global")).contains("maxpipes 64").noneMatch(line -> line.contains("splice"));
        assertThat(section(config, "defaults")).contains("mode tcp").noneMatch(line -> line.contains("splice"));
    }

    @Test
    void thePlainHaproxyConfigNeitherSplicesNorBoundsPipes() {
        final String config = new HaproxyConfig(1, new InetSocketAddress(LOOPBACK, 8080),
            new InetSocketAddress(LOOPBACK, 9090), 5000).render();
        assertThat(config).doesNotContain("splice", "maxpipes");
        assertThat(section(config, "frontend bench")).contains("bind 127.0.0.1:8080", "default_backend backends");
    }

    @Test
    void haproxyAcceptsTheGeneratedSpliceConfig() throws Exception {
        final Path haproxy = Executables.find("haproxy").orElse(null);
        assumeTrue(haproxy != null, "haproxy is not installed (apt-get install haproxy)");
        final Path config = Files.writeString(dir.resolve("haproxy-splice.cfg"), new HaproxyConfig(1,
            Ports.freeTcp(LOOPBACK), new InetSocketAddress(LOOPBACK, 9), 1000, HaproxyConfig.MIN_SPLICE_PIPES).render());
        assertThat(run(List.of(haproxy.toString(), "-c", "-f", config.toString()))).isZero();
    }

    @Test
    void theNginxConfigLoadsTheStreamModuleAndProxiesTcpAndUdp() {
        final String config = new NginxConfig(2, new InetSocketAddress(LOOPBACK, 8080), new InetSocketAddress(LOOPBACK, 9090),
            new InetSocketAddress(LOOPBACK, 8081), new InetSocketAddress(LOOPBACK, 9091), 4096, dir,
            NginxConfig.DEBIAN_STREAM_MODULE).render();
        assertThat(config).contains("load_module /usr/lib/nginx/modules/ngx_stream_module.so;", "daemon off;",
            "worker_processes 2;", "worker_connections 4096;", "listen 127.0.0.1:8080 backlog=4096;",
            "proxy_pass 127.0.0.1:9090;", "listen 127.0.0.1:8081 udp reuseport;", "proxy_pass 127.0.0.1:9091;");
    }

    @Test
    void nginxAcceptsTheGeneratedConfig() throws Exception {
        final Path nginx = Executables.find("nginx").orElse(null);
        assumeTrue(nginx != null, "nginx is not installed (apt-get install nginx libnginx-mod-stream)");
        final NginxConfig config = Launchers.nginxConfig(dir, 1, Ports.freeTcp(LOOPBACK), new InetSocketAddress(LOOPBACK, 9),
            Ports.freeUdp(LOOPBACK), new InetSocketAddress(LOOPBACK, 9), 1024);
        assumeTrue(config.module() != null || builtInStream(nginx),
            "nginx has no stream module (apt-get install libnginx-mod-stream)");
        final Path file = Files.writeString(dir.resolve("nginx.conf"), config.render());
        assertThat(run(Launchers.nginxCommand(nginx, dir, file, true))).isZero();
    }

    @Test
    void aNiolbCommandTemplateIsFilledInWordByWord() {
        final List<String> command = Launchers.expand("{java} -cp {project}/a.jar Main run --listen {listen} --threads {threads}",
            java.util.Map.of("{java}", "/jdk/bin/java", "{project}", "/my work", "{listen}", "127.0.0.1:1",
                "{threads}", "2"));
        assertThat(command).containsExactly("/jdk/bin/java", "-cp", "/my work/a.jar", "Main", "run", "--listen",
            "127.0.0.1:1", "--threads", "2");
    }

    @Test
    void theUdpListenWordBecomesNiolbsUdpListenerFlagOrNothing() {
        final String template = "java Main run --listen {listen} {udp-listen} --server {server}";
        assertThat(Launchers.withUdpListen(template, new InetSocketAddress(LOOPBACK, 5353)))
            .isEqualTo("java Main run --listen {listen} --listen udp://127.0.0.1:5353 --udp-max-flows 256 --server "
                + "{server}");
        assertThat(Launchers.withUdpListen(template, null)).isEqualTo("java Main run --listen {listen} --server {server}");
        assertThat(Launchers.NIOLB_COMMAND).contains("--listen {listen} {udp-listen} --server {server}");
    }

    @Test
    void anExternalTargetIsParsedWithItsOptionalUdpAddressAndPid() {
        final Target target = Target.parseExternal("envoy=127.0.0.1:10000,udp=127.0.0.1:10001,pid=42");
        assertThat(target.name()).isEqualTo("envoy");
        assertThat(target.role()).isEqualTo(Target.Role.PEER);
        assertThat(target.tcp().getPort()).isEqualTo(10000);
        assertThat(target.udp().getPort()).isEqualTo(10001);
        assertThat(target.pid()).isEqualTo(42);
        assertThat(Target.parseExternal("pen=[::1]:80").udp()).isNull();
        assertThat(Target.format(Target.address("[::1]:80"))).isEqualTo("[0:0:0:0:0:0:0:1]:80");
    }

    /** The lines of one HAProxy section: from its header to the next unindented line, both excluded. */
    private static List<String> section(final String config, final String header) {
        final List<String> lines = config.lines().toList();
        final int start = lines.indexOf(header);
        assertThat(start).as("section '%s' in%n%s", header, config).isNotNegative();
        int end = start + 1;
        while (end < lines.size() && (lines.get(end).isBlank() || Character.isWhitespace(lines.get(end).charAt(0)))) {
            end++;
        }
        return lines.subList(start + 1, end).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static boolean builtInStream(final Path nginx) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(nginx.toString(), "-V").redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out.contains("--with-stream ") || out.endsWith("--with-stream");
    }

    private int run(final List<String> command) throws IOException, InterruptedException {
        final Path log = dir.resolve("check.log");
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        if (process.exitValue() != 0) {
            System.err.println(Files.readString(log));
        }
        return process.exitValue();
    }
}
