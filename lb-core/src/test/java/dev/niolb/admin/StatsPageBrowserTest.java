package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AdminConfig;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The stats page in a real browser: headless Chromium (Debian's {@code chromium}, installed by
 * {@code .ci/install-test-deps}) loads it from a running engine, runs its script, and the DOM and a screenshot show
 * the servers. Skipped with a reason where Chromium is missing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatsPageBrowserTest {
    @RegisterExtension
    final EngineRig rig = new EngineRig();
    private LoadBalancer lb;
    private String url;

    static String chromium() {
        for (final String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    @BeforeEach
    void start() throws Exception {
        assumeTrue(chromium() != null, "needs headless Chromium (apt chromium)");
        final List<ServerConfig> servers = new ArrayList<>();
        for (final String name : List.of("web-1", "web-2", "web-3", "web-4")) {
            final EchoServer echo = new EchoServer(name);
            rig.track(echo);
            servers.add(new ServerConfig(name, echo.address(), 1));
        }
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS),
                new TargetGroupConfig("web", Algorithm.ROUNDROBIN, servers))
            .withAdmin(AdminConfig.on(new InetSocketAddress("127.0.0.1", 0))));
        for (int i = 0; i < 9; i++) {
            try (Socket s = new Socket()) {
                s.connect(lb.localAddress("front"));
                AdminRig.greeting(s);
            }
        }
        Socket onWeb4 = rig.track(new Socket());
        onWeb4.connect(lb.localAddress("front"));
        while (!AdminRig.greeting(onWeb4).equals("web-4")) {
            onWeb4 = rig.track(new Socket());
            onWeb4.connect(lb.localAddress("front"));
        }
        lb.removeServer("web", "web-4"); // retiring while its session lasts
        lb.group("web").snapshot().server("web-2").operatorMode(ServerState.DRAIN, "test");
        lb.group("web").snapshot().server("web-3").operatorMode(ServerState.MAINT, "test");
        // front retires with web-4's session open: a reload put back in its place
        lb.reload(rig.withTransport(lb.config().withListeners(List.of(new ListenerConfig("back", Protocol.TCP,
            new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS)))));
        url = "http://127.0.0.1:" + lb.adminAddress().getPort() + "/";
    }

    private static String run(final Path profile, final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
            "--virtual-time-budget=5000"));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 90 s");
        }
        return out;
    }

    @Test
    void theRenderedPageListsTheServersWithTheirStates(@TempDir final Path profile) throws Exception {
        final String dom = run(profile, "--dump-dom", url);
        assertThat(dom).contains("Group web", "web-1", "web-2", "web-3", "web-4 (removed)", "back", "front (removed)")
            .contains("<span class=\"state up\">up</span>", "<span class=\"state drain\">drain</span>",
                "<span class=\"state maint\">maint</span>")
            .contains("1 of 3 up")
            .containsPattern("<span id=\"status\" class=\"\">updated [^<]+</span>"); // not the error line
    }

    @Test
    void aDrainSetOnADownServerShowsBesideItsState(@TempDir final Path profile) throws Exception {
        lb.group("web").snapshot().server("web-1").health(false, "test: checks fail");
        lb.setState("web", "web-1", ServerState.DRAIN);

        // it showed "down" alone, and came back DRAIN when its checks passed (black-box testing, session 34)
        assertThat(run(profile, "--dump-dom", url)).contains("<span class=\"state down\">down (drain)</span>");
    }

    @Test
    void theHeaderShowsTheConnectionsCountedAgainstTheProcessMaxconn(@TempDir final Path profile) throws Exception {
        final String dom = run(profile, "--dump-dom", url);
        // none set here: the one the open-file limit gives, thousands at least
        assertThat(dom).containsPattern("<b id=\"maxconn\">[0-9,]+ / [0-9]{1,3}(,[0-9]{3})+</b>");
    }

    @Test
    void aScreenshotOfThePageShowsMoreThanABlankWindow(@TempDir final Path profile) throws Exception {
        final Path png = Path.of("target", "stats-page.png").toAbsolutePath();
        Files.deleteIfExists(png);
        run(profile, "--screenshot=" + png, "--window-size=1280,520", url);
        assertThat(png).exists();
        final BufferedImage image = ImageIO.read(new File(png.toString()));
        assertThat(image.getWidth()).isEqualTo(1280);
        final Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        // text, the dark header, the state badges: a blank or an error page has a handful of colours
        assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(50);
        final int green = 0xff1e8e3e; // the UP badge
        boolean badge = false;
        for (int y = 0; y < image.getHeight() && !badge; y++) {
            for (int x = 0; x < image.getWidth() && !badge; x++) {
                badge = image.getRGB(x, y) == green;
            }
        }
        assertThat(badge).as("an UP badge is drawn").isTrue();
    }
}
