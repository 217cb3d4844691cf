package io.msb.api;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An init system that becomes PID 1 of the guest, e.g. systemd, while the agent keeps serving (microsandbox's
 * {@code HandoffInit}): the agent prepares the guest as usual, then hands PID 1 over to {@code cmd} and goes on as
 * an ordinary process. Stopping the sandbox asks that init to power off.
 *
 * @param cmd an absolute path in the guest, or {@value #AUTO} for the first of {@code /sbin/init},
 *            {@code /lib/systemd/systemd}, {@code /usr/lib/systemd/systemd} that the image has
 * @param args arguments after {@code argv[0]} (which is {@code cmd})
 * @param env environment the init gets on top of the sandbox's
 * @throws InvalidConfigException naming the field ({@code init.cmd}, {@code init.args}, {@code init.env}) and the rule
 */
public record HandoffInit(String cmd, List<String> args, Map<String, String> env) {
    /** {@code cmd} that picks the image's own init. */
    public static final String AUTO = "auto";
    public static final int MAX_ARGS = 1024;
    public static final int MAX_ARGS_BYTES = 128 * 1024;
    public static final int MAX_ENV = 1024;
    public static final int MAX_ENV_BYTES = 128 * 1024;

    public HandoffInit {
        Check.path("init.cmd", cmd);
        if (!cmd.equals(AUTO) && !cmd.startsWith("/")) {
            throw Check.invalid("init.cmd", "must be an absolute path or \"" + AUTO + "\", got \"" + cmd + "\"");
        }
        args = Check.strings("init.args", args, MAX_ARGS, MAX_ARGS_BYTES);
        args.forEach(a -> noNul("init.args", a));
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env == null ? Map.of() : env));
        Check.maxSize("init.env", env.keySet(), MAX_ENV);
        long bytes = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            String key = Check.required("init.env", e.getKey());
            if (key.isEmpty() || key.indexOf('=') >= 0) {
                throw Check.invalid("init.env", "a name must be non-empty without '=', got \"" + key + "\"");
            }
            noNul("init.env." + key, key + Check.required("init.env." + key, e.getValue()));
            bytes += (key + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8).length + 1;
        }
        if (bytes > MAX_ENV_BYTES) {
            throw Check.invalid("init.env", "more than " + MAX_ENV_BYTES + " bytes as KEY=VALUE strings");
        }
    }

    /** The image's own init, without arguments. */
    public static HandoffInit auto() {
        return of(AUTO);
    }

    /** {@code cmd} without arguments or extra environment. */
    public static HandoffInit of(String cmd) {
        return new HandoffInit(cmd, List.of(), Map.of());
    }

    private static void noNul(String field, String value) {
        if (value.indexOf('\0') >= 0) {
            throw Check.invalid(field, "must not contain NUL");
        }
    }
}
