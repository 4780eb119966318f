package dev.niolb.admission;

import dev.niolb.config.ConfigValue;

import java.net.InetAddress;
import java.util.List;

/**
 * A list of address blocks checked in order; an empty set matches nothing.
 *
 * <p>Linear: access lists are short (tens of entries) and a scan of a few masked compares is faster than a trie
 * at that size. Immutable, so every loop may share one. A {@link ConfigValue}: a reload summary shows the list as
 * written ({@code allow [10.0.0.0/8]→[]}), not its inner field.
 */
public record CidrSet(List<Cidr> blocks) implements ConfigValue {
    public static final CidrSet EMPTY = new CidrSet(List.of());

    public CidrSet {
        blocks = List.copyOf(blocks);
    }

    /** Parses each entry with {@link Cidr#parse}. */
    public static CidrSet parse(final List<String> entries) {
        return new CidrSet(entries.stream().map(Cidr::parse).toList());
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    public boolean contains(final InetAddress address) {
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.get(i).contains(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return blocks.toString();
    }
}
