package dev.niolb.bench.harness;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/** Parses the harness's durations ({@code 500ms}, {@code 2s}, {@code 1m}) and sizes ({@code 64}, {@code 128k}, {@code 1m}). */
final class Units {

    private Units() {
    }

    static Duration duration(final String text) {
        final String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        if (s.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
        }
        if (s.endsWith("m")) {
            return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)) * 60);
        }
        return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
    }

    static int size(final String text) {
        final String s = text.strip().toLowerCase(Locale.ROOT);
        final long factor = s.endsWith("k") ? 1024 : s.endsWith("m") ? 1024 * 1024 : 1;
        final String digits = factor == 1 ? s : s.substring(0, s.length() - 1);
        return Math.toIntExact(Long.parseLong(digits) * factor);
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(final String value) {
            return duration(value);
        }
    }

    static final class SizeConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(final String value) {
            return size(value);
        }
    }
}
