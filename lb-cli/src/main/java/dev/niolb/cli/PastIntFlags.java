package dev.niolb.cli;

import dev.niolb.config.Sizes;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole-number and size flags of one command line given past an int, which {@link Converters.WholeNumber} and
 * {@link Converters.ByteSize} took as the nearest int: the model's refusal of that int is said with the number as
 * written, and a number past an int is never taken, even by a key that takes any int.
 */
final class PastIntFlags {
    /** One flag: its name, the number as written, and the int it was taken as. */
    record Given(String option, String text, int nearest) {
        /** The model's message about {@code nearest} ("…, got 2147483647"), with the number as written instead. */
        String inPlaceOf(final String message) {
            final String got = ", got " + nearest;
            return message.endsWith(got) ? message.substring(0, message.length() - got.length()) + ", got " + text
                : message;
        }

        /** For a key whose model took the nearest int: an int is all niolb takes. */
        String refusal() {
            return option + (nearest > 0 ? ": must be at most " : ": must be at least ") + nearest + ", got " + text;
        }
    }

    private final List<Given> given;

    private PastIntFlags(final List<Given> given) {
        this.given = given;
    }

    static PastIntFlags of(final ParseResult parsed) {
        final List<Given> given = new ArrayList<>();
        if (parsed != null) {
            for (final OptionSpec option : parsed.matchedOptions()) {
                if (option.type() != int.class && option.type() != Integer.class) {
                    continue;
                }
                final boolean size = option.converters().length > 0
                    && option.converters()[0] instanceof Converters.ByteSize;
                for (final String text : option.stringValues()) {
                    if (size ? Sizes.pastInt(text) : Converters.WholeNumber.pastInt(text)) {
                        given.add(new Given(option.longestName(), text,
                            size ? Integer.MAX_VALUE : Converters.WholeNumber.nearest(text)));
                    }
                }
            }
        }
        return new PastIntFlags(List.copyOf(given));
    }

    /** The model's refusal, with any flag's nearest int it names said as written. */
    String said(final String message) {
        String said = message;
        for (final Given g : given) {
            said = g.inPlaceOf(said);
        }
        return said;
    }

    /** The refusal of the first flag past an int, when the model took them all; null when there is none. */
    String refusal() {
        return given.isEmpty() ? null : given.getFirst().refusal();
    }
}
