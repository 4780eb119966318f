package dev.niolb.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.niolb.config.AdminConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up warning for an admin API open to the network without a token, as the line Logback receives.
 * Addresses are given, not bound: tests listen on loopback only.
 */
class AdminExposureTest {
    private final Logger log = new LoggerContext().getLogger("dev.niolb.run");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        log.addAppender(lines);
    }

    private static InetSocketAddress at(final String host) {
        return new InetSocketAddress(host, 9900);
    }

    @Test
    void aWildcardAddressWithoutATokenLogsOneWarningNamingTheFix() {
        AdminExposure.warnIfOpen(AdminConfig.of(at("0.0.0.0"), null), at("0.0.0.0"), log);

        assertThat(lines.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).isEqualTo("the admin API on 0.0.0.0:9900 listens beyond loopback "
                + "with no token: anyone who reaches it can drain, add or remove servers; set admin.token-file "
                + "(--admin-token-file) or listen on 127.0.0.1");
        });
    }

    @Test
    void anInterfaceAddressWithoutATokenIsWarnedOfToo() {
        AdminExposure.warnIfOpen(AdminConfig.of(at("192.0.2.10"), null), at("192.0.2.10"), log);

        assertThat(lines.list).singleElement().extracting(ILoggingEvent::getFormattedMessage).asString()
            .startsWith("the admin API on 192.0.2.10:9900 listens beyond loopback");
    }

    @Test
    void aTokenSilencesTheWarning() {
        AdminExposure.warnIfOpen(AdminConfig.of(at("0.0.0.0"), Path.of("/etc/niolb/admin-token")), at("0.0.0.0"), log);

        assertThat(lines.list).isEmpty();
    }

    @Test
    void loopbackOfEitherFamilyIsNotWarnedOf() {
        AdminExposure.warnIfOpen(AdminConfig.of(at("127.0.0.1"), null), at("127.0.0.1"), log);
        AdminExposure.warnIfOpen(AdminConfig.of(at("::1"), null), at("::1"), log);

        assertThat(lines.list).isEmpty();
    }

    @Test
    void noAdminApiIsNotWarnedOf() {
        AdminExposure.warnIfOpen(AdminConfig.NONE, null, log);

        assertThat(lines.list).isEmpty();
    }
}
