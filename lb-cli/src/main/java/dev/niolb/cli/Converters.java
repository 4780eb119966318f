package dev.niolb.cli;

import dev.niolb.config.BusyPoll;
import dev.niolb.config.Numbers;
import dev.niolb.config.Quoted;

import dev.niolb.admission.Cidr;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Splice;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Durations;
import dev.niolb.config.Endpoint;
import dev.niolb.config.Sizes;
import dev.niolb.config.SourceRate;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.function.Function;

/**
 * picocli converters for niolb's flag values. Each hands the text to the lb-core parser, so that flags and
 * (later) the config file read values the same way and fail with the same one-line messages.
 */
final class Converters {
    private Converters() {
    }

    /** A value a parser refused; its message names the value and what was expected, so it is shown as it is. */
    static final class BadValue extends TypeConversionException {
        private static final long serialVersionUID = 1L;

        BadValue(final String message) {
            super(message);
        }
    }

    /** {@code HOST:PORT} to listen on, optionally {@code tcp://} (the default) or {@code udp://}. */
    static final class ListenAddress implements ITypeConverter<Endpoint> {
        @Override
        public Endpoint convert(final String text) {
            return parse(Endpoint::parse, text);
        }
    }

    /**
     * {@code HOST:PORT[,weight=N][,name=NAME][,backup][,check-port=N][,send-proxy|send-proxy-v2][,proxy-udp=…]};
     * HOST an address or a DNS name.
     */
    static final class ServerSpec implements ITypeConverter<ServerArgument> {
        @Override
        public ServerArgument convert(final String text) {
            return parse(ServerArgument::parse, text);
        }
    }

    /** {@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h}. */
    static final class DurationValue implements ITypeConverter<Duration> {
        @Override
        public Duration convert(final String text) {
            return parse(Durations::parse, text);
        }
    }

    /** How long to wait for something: longer than 0, which would give up at once. */
    static final class Timeout implements ITypeConverter<Duration> {
        @Override
        public Duration convert(final String text) {
            final Duration d = parse(Durations::parse, text);
            if (d.isZero()) {
                throw new BadValue("a timeout of '" + text + "' would give up at once: give one longer than 0, e.g. 10s");
            }
            return d;
        }
    }

    /** {@code off}, {@code 50us}, {@code 1ms}. */
    static final class BusyPollValue implements ITypeConverter<BusyPoll> {
        @Override
        public BusyPoll convert(final String text) {
            return parse(BusyPoll::parse, text);
        }
    }

    /** {@code roundrobin}, {@code weighted}, {@code leastconn}, {@code source}, {@code random}, {@code leasttime}. */
    static final class AlgorithmName implements ITypeConverter<Algorithm> {
        @Override
        public Algorithm convert(final String text) {
            return parse(Algorithm::parse, text);
        }
    }

    /** {@code nio}. */
    static final class TransportName implements ITypeConverter<TransportChoice> {
        @Override
        public TransportChoice convert(final String text) {
            return parse(TransportChoice::parse, text);
        }
    }

    /** {@code tcp}, {@code http:/PATH}, {@code send:TEXT,expect:TEXT}, {@code agent:PORT}. */
    static final class SpliceMode implements ITypeConverter<Splice> {
        @Override
        public Splice convert(final String text) {
            return parse(Splice::parse, text);
        }
    }

    static final class Check implements ITypeConverter<CheckSpec> {
        @Override
        public CheckSpec convert(final String text) {
            return parse(CheckSpec::parse, text);
        }
    }

    /** {@code 10.0.0.0/8}, {@code 2001:db8::/32}, {@code 192.0.2.7} (one host). */
    static final class CidrBlock implements ITypeConverter<Cidr> {
        @Override
        public Cidr convert(final String text) {
            return parse(Cidr::parse, text);
        }
    }

    /** {@code 20/s}, {@code 600/m}, {@code 10/s,burst=50}. */
    static final class Rate implements ITypeConverter<SourceRate> {
        @Override
        public SourceRate convert(final String text) {
            return parse(SourceRate::parse, text);
        }
    }

    /**
     * {@code 65536}, {@code 16k}, {@code 64k}, {@code 1m}. A size past an int is taken as the largest int, for the
     * model to refuse in its key's words, as {@link WholeNumber} does: "bad size '3000000000': too large" named
     * neither the flag nor its range (black-box testing, session 34).
     */
    static final class ByteSize implements ITypeConverter<Integer> {
        @Override
        public Integer convert(final String text) {
            return Sizes.pastInt(text) ? Integer.MAX_VALUE : parse(Sizes::parse, text);
        }
    }

    /**
     * picocli's own int converter takes any Unicode digit ({@code --threads ２}); this one takes 0-9 only. A whole
     * number past an int is taken as the nearest int, for the model to refuse in its key's own words, and
     * {@link PastIntFlags} then says the number as written ({@code maxconn must be 0..10000000, got 3000000000}):
     * picocli said only "'3000000000' is not an int" (black-box testing, session 33).
     */
    static final class WholeNumber implements ITypeConverter<Integer> {
        @Override
        public Integer convert(final String text) {
            try {
                return Numbers.parseInt(text);
            } catch (final NumberFormatException e) {
                if (pastInt(text)) {
                    return nearest(text);
                }
                throw new TypeConversionException(Quoted.of(text) + " is not a whole number");
            }
        }

        /** The int nearest a whole number {@link #pastInt past an int}. */
        static int nearest(final String text) {
            return text.startsWith("-") ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        }

        /** Whether {@code text} is a whole number (ASCII digits, a leading minus) that no int holds. */
        static boolean pastInt(final String text) {
            if (text == null || !text.matches("-?[0-9]+")) {
                return false;
            }
            try {
                Numbers.parseInt(text);
                return false;
            } catch (final NumberFormatException e) {
                return true;
            }
        }
    }

    /**
     * A whole number, or {@code auto} (null: the default, as if the flag were not given), as the file's
     * {@code udp-max-flows} and {@code threads} take them (black-box testing, sessions 28 and 29: the file took
     * auto and the flag did not).
     */
    static final class WholeOrAuto implements ITypeConverter<Integer> {
        @Override
        public Integer convert(final String text) {
            if (text.strip().equalsIgnoreCase("auto")) {
                return null;
            }
            try {
                return Numbers.parseInt(text);
            } catch (final NumberFormatException e) {
                if (WholeNumber.pastInt(text)) { // for the model to refuse in its words, as WholeNumber
                    return WholeNumber.nearest(text);
                }
                // ' 3' and '+3' too: "out of range" said of them misled (black-box testing, session 34)
                throw new TypeConversionException(Quoted.of(text) + " is neither auto nor a whole number");
            }
        }
    }

    /** {@code udp://HOST:PORT}, {@code HOST:PORT} or {@code unix:/PATH}. */
    static final class Syslog implements ITypeConverter<dev.niolb.config.SyslogAddress> {
        @Override
        public dev.niolb.config.SyslogAddress convert(final String text) {
            return parse(dev.niolb.config.SyslogAddress::parse, text);
        }
    }

    private static <T> T parse(final Function<String, T> parser, final String text) {
        try {
            return parser.apply(text);
        } catch (final IllegalArgumentException e) {
            throw new BadValue(e.getMessage());
        }
    }
}
