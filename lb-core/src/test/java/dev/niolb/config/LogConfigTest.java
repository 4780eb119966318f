package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The log outputs' model: what it refuses, and the syslog address forms it reads. */
class LogConfigTest {
    @Test
    void aSyslogAddressIsUdpWithOrWithoutItsScheme() {
        assertThat(SyslogAddress.parse("udp://127.0.0.1:514").udp()).isEqualTo(new InetSocketAddress("127.0.0.1", 514));
        assertThat(SyslogAddress.parse("127.0.0.1:5514")).hasToString("udp://127.0.0.1:5514");
    }

    @Test
    void aSyslogAddressIsAUnixSocketByItsAbsolutePath() {
        assertThat(SyslogAddress.parse("unix:/dev/log").unix()).isEqualTo(Path.of("/dev/log"));
        assertThatThrownBy(() -> SyslogAddress.parse("unix:dev/log"))
            .hasMessage("bad syslog address 'unix:dev/log': expected unix:/ABSOLUTE/PATH (e.g. unix:/dev/log)");
    }

    @Test
    void tcpIsRefusedNamingTheTwoForms() {
        assertThatThrownBy(() -> SyslogAddress.parse("tcp://127.0.0.1:514"))
            .hasMessage("bad syslog address 'tcp://127.0.0.1:514': syslog is sent over UDP or a Unix socket, "
                + "expected udp://HOST:PORT or unix:/PATH");
    }

    @Test
    void aSyslogHostThatDoesNotResolveIsSaidSoNotTakenForABadForm() {
        assertThatThrownBy(() -> SyslogAddress.parse("udp://nohost.invalid:514"))
            .hasMessage("bad syslog address 'udp://nohost.invalid:514': unknown host 'nohost.invalid'");
        assertThatThrownBy(() -> SyslogAddress.parse("udp://127.0.0.1"))
            .hasMessage("bad syslog address 'udp://127.0.0.1': expected udp://HOST:PORT or unix:/PATH");
    }

    @Test
    void anUnknownFacilityIsRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> LogConfig.DEFAULTS.withSyslogFacility("local9"))
            .hasMessageStartingWith("bad syslog facility 'local9': expected one of kern, user, mail, daemon");
        assertThat(LogConfig.DEFAULTS.withSyslogFacility("LOCAL3").facilityCode()).isEqualTo(19);
    }

    @Test
    void aRotationSizeUnderOneKibibyteOrAHistoryOutOfRangeIsRefused() {
        assertThatThrownBy(() -> LogConfig.DEFAULTS.withAccessLogMaxSize(1000))
            .hasMessage("access-log-max-size must be at least 1k, got 1000");
        assertThatThrownBy(() -> LogConfig.DEFAULTS.withAccessLogMaxHistory(0))
            .hasMessage("access-log-max-history must be 1..3650 days, got 0");
    }

    @Test
    void anAccessLogFileWithTheAccessLogOffIsRefused() {
        final Config config = new Config(1, Duration.ZERO,
            List.of(new ListenerConfig(new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig(new InetSocketAddress("127.0.0.1", 9), 1)))));

        assertThatThrownBy(() -> config.withLogs(LogConfig.DEFAULTS.withAccessLogFile(Path.of("/tmp/a.log"))))
            .hasMessage("access-log-file needs access-log plain or json");
        assertThat(config.withAccessLog(AccessLogFormat.JSON)
            .withLogs(LogConfig.DEFAULTS.withAccessLogFile(Path.of("/tmp/a.log"))).logs().accessLogFile())
            .isEqualTo(Path.of("/tmp/a.log"));
    }
}
