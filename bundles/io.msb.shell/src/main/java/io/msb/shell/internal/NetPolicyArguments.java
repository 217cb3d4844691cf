package io.msb.shell.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.NetworkOptions;
import io.msb.api.network.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;

/** The words of {@code msb:netpolicy NAME}: msb:run's policy options, mapped by the API's {@link NetworkOptions}. */
final class NetPolicyArguments {
    static final String USAGE = "[--net-profile public|private|host|none|all] [--net-allow DEST[:PORTS]]… "
            + "[--net-deny DEST[:PORTS]]… (DEST: a group, any, an address or CIDR, *.domain or a domain)";

    private NetPolicyArguments() {
    }

    static NetworkPolicy parse(List<String> words) {
        String profile = null;
        List<String> allow = new ArrayList<>();
        List<String> deny = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String option = words.get(i);
            if (i + 1 >= words.size()) {
                throw new IllegalArgumentException("msb:netpolicy: " + option + " needs a value; usage: " + USAGE);
            }
            String value = words.get(++i);
            switch (option) {
                case "--net-profile" -> profile = value;
                case "--net-allow" -> allow.add(value);
                case "--net-deny" -> deny.add(value);
                default -> throw new IllegalArgumentException("msb:netpolicy: unknown option " + option + "; usage: " + USAGE);
            }
        }
        try {
            return new NetworkOptions(false, profile, allow, deny, List.of(), List.of()).toConfig().policy();
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("msb:netpolicy: " + e.getMessage().replaceFirst("^invalid config: ", ""));
        }
    }
}
