package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 17, item 7: values made to fool a reader of logs or to fill a terminal. */
class HostileValuesTest {
    @Test
    void fullwidthAndArabicIndicDigitsAreNotNumbers() {
        assertThatThrownBy(() -> Numbers.parseInt("\uff12")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> Numbers.parseLong("\u0663")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> Durations.parse("\u0663s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sizes.parse("\uff16\uff14k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Endpoint.parse("127.0.0.1:\uff18\uff10")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void asciiDigitsAndANegativeSignStillParse() {
        assertThat(Numbers.parseInt("-42")).isEqualTo(-42);
        assertThat(Numbers.parseLong("9000000000")).isEqualTo(9_000_000_000L);
        assertThatThrownBy(() -> Numbers.parseInt("-")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> Numbers.parseInt("+1")).isInstanceOf(NumberFormatException.class);
    }

    @Test
    void aNameWithASpaceIsRefusedSoThatThePlainAccessLogStaysParseable() {
        final InetSocketAddress address = new InetSocketAddress("10.0.0.1", 80);
        assertThatThrownBy(() -> new ServerConfig("web 1", address, 1)).hasMessage("server name 'web 1': must not"
            + " hold spaces (the plain access log and niolb stats separate their fields by them)");
        assertThatThrownBy(() -> Names.check("group", "a\u00a0b")).hasMessageStartingWith("group name ")
            .hasMessageEndingWith(": must not hold spaces (the plain access log and niolb stats separate their fields"
                + " by them)");
    }

    @Test
    void aGroupNameWithASlashIsRefusedSoThatGroupSlashServerSplitsAtItsFirstSlash() {
        assertThatThrownBy(() -> Names.check("group", "a/b"))
            .hasMessage("group name 'a/b': must not hold '/' (the plain access log writes group/server)");
        assertThat(Names.check("server", "c/d")).as("a server's may: the field splits at the first").isEqualTo("c/d");
    }

    @Test
    void aServerNameAnOperatorGivesMayNotHoldAHashWhichNamesTheServersDnsFinds() {
        assertThatThrownBy(() -> ServerConfig.parse("127.0.0.1:80,name=svc.test:80#127.0.0.2")).hasMessage(
            "server name 'svc.test:80#127.0.0.2': must not hold '#', which names the servers DNS discovery finds "
                + "(NAME:PORT#ADDRESS)");
        for (final String server : new String[] {"{address: 127.0.0.1:80, name: \"a#b\"}",
            "{address: \"be.test:80\", name: \"x#y\"}"}) { // a static server's name, a DNS name's prefix
            assertThatThrownBy(() -> dev.niolb.config.file.ConfigFile.parse(
                "listeners:\n  - bind: 127.0.0.1:8080\n    group: g\ngroups:\n  - name: g\n    servers:\n      - "
                    + server + "\n", "t.yaml")).as(server).hasMessageContaining("must not hold '#'");
        }
    }

    @Test
    void aNameWithAByteThatIsNotUtf8IsRefused() {
        // the JVM decodes such an argument's byte as U+FFFD: a name shown as a box, that nobody can type back
        assertThatThrownBy(() -> Names.check("server", "x\uFFFDy")).hasMessageEndingWith(
            ": must not hold U+FFFD, the replacement character (what a byte that is not UTF-8 becomes)");
        // half a surrogate pair, as JSON's "a\udcffb" gives it: added through the API, then no name to drain it by
        assertThatThrownBy(() -> Names.check("server", "a\uDCFFb")).hasMessageEndingWith(
            ": must be UTF-8 text (it holds half a UTF-16 surrogate pair)");
        assertThatThrownBy(() -> Names.check("server", "a\uD83D")).hasMessageEndingWith("surrogate pair)");
        assertThat(Names.check("server", "web-\uD83D\uDE00")).as("a whole pair, U+1F600").isEqualTo("web-\uD83D\uDE00");
    }

    @Test
    void aNameWithABidiOverrideOrAZeroWidthSpaceIsRefusedAndOneInAnotherScriptIsNot() {
        final InetSocketAddress address = new InetSocketAddress("10.0.0.1", 80);
        assertThatThrownBy(() -> new ServerConfig("rlo\u202Eevil", address, 1)).hasMessage("server name "
            + "'rlo\\u202eevil': must not hold invisible formatting characters (U+202E)");
        assertThatThrownBy(() -> Names.check("group", "web\u200B")).hasMessageEndingWith("(U+200B)");
        assertThatThrownBy(() -> Names.check("group", "web" + Character.toString(0xE0041)))
            .hasMessage("group name 'web\\u{e0041}': must not hold invisible formatting characters (U+E0041)");
        assertThat(Names.check("group", "wéb-组")).isEqualTo("wéb-组");
    }

    @Test
    void aServerNameWithALineBreakIsRefusedWhereverItComesFrom() {
        final InetSocketAddress address = new InetSocketAddress("10.0.0.1", 80);
        assertThatThrownBy(() -> new ServerConfig("a\nINFO forged line", address, 1))
            .hasMessage("server name 'a\\nINFO forged line': must not hold line breaks or other control characters");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,name=a\u2028b"))
            .hasMessageContaining("must not hold line breaks");
    }

    @Test
    void groupAndListenerNamesAreCheckedTheSameWay() {
        final List<ServerConfig> servers = List.of(new ServerConfig(new InetSocketAddress("10.0.0.1", 80), 1));
        assertThatThrownBy(() -> new TargetGroupConfig("web\r", Algorithm.ROUNDROBIN, servers))
            .hasMessageStartingWith("group name 'web\\r'");
        assertThatThrownBy(() -> new ListenerConfig("front\u001b[2J", Protocol.TCP,
            new InetSocketAddress("127.0.0.1", 0), "web", TcpOptions.DEFAULTS))
            .hasMessageStartingWith("listener name 'front\\x1b[2J'");
        assertThatThrownBy(() -> new TargetGroupConfig("g".repeat(256), Algorithm.ROUNDROBIN, servers))
            .hasMessageEndingWith("longer than 255 characters");
    }

    @Test
    void anEmptyNameIsRefusedForServersGroupsAndListenersAlike() {
        final InetSocketAddress address = new InetSocketAddress("10.0.0.1", 80);
        assertThatThrownBy(() -> new ServerConfig("", address, 1)).hasMessage("server name '': must not be empty");
        assertThatThrownBy(() -> new TargetGroupConfig("", Algorithm.ROUNDROBIN,
            List.of(new ServerConfig(address, 1)))).hasMessage("group name '': must not be empty");
        assertThatThrownBy(() -> new ListenerConfig("", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "web",
            TcpOptions.DEFAULTS)).hasMessage("listener name '': must not be empty");
        assertThat(new ListenerConfig(null, Protocol.TCP, new InetSocketAddress("127.0.0.1", 8080), "web",
            TcpOptions.DEFAULTS).name()).as("no name: one made of the address").isEqualTo("tcp://127.0.0.1:8080");
    }

    @Test
    void aLongValueIsCutInItsQuote() {
        final String message = Quoted.of("x".repeat(200_000));
        assertThat(message).isEqualTo("'" + "x".repeat(120) + "\u2026' (200000 characters)");
        assertThat(Quoted.of("short")).isEqualTo("'short'");
    }

    @Test
    void aLongMessageIsCutToOneReadableLine() {
        final String line = Quoted.line("bad: " + "y".repeat(250_000) + "\nsecond line");
        assertThat(line).hasSizeLessThan(1100).doesNotContain("\n")
            .endsWith("\u2026 (message of 250018 characters cut)");
    }

    @Test
    void aCutNeverSplitsASurrogatePair() {
        final String emoji = "\ud83d\ude00";
        final String text = "x".repeat(119) + emoji + "tail";
        assertThat(Quoted.of(text)).startsWith("'" + "x".repeat(119) + "\u2026'");
    }
}
