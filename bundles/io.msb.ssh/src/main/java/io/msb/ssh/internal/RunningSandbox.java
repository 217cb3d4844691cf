package io.msb.ssh.internal;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import java.util.Optional;

/** The sandbox an SSH user name selects, refused with a message for the client when it cannot serve a channel. */
final class RunningSandbox {
    private RunningSandbox() {
    }

    /** Why a channel cannot open; the message is written to the client's stderr. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    static SandboxHandle of(SandboxService sandboxes, String name) throws Refused {
        if (!AuthorizedKeys.isSandboxName(name)) {
            throw new Refused("msb: '" + printable(name) + "' is not a sandbox name; log in as the sandbox: ssh -p PORT"
                    + " NAME@HOST");
        }
        Optional<SandboxInfo> info = sandboxes.get(name);
        if (info.isEmpty()) {
            throw new Refused("msb: no sandbox named '" + name + "'");
        }
        SandboxStatus status = info.get().status();
        if (status != SandboxStatus.RUNNING) {
            throw new Refused("msb: sandbox '" + name + "' is " + status.name().toLowerCase()
                    + (status == SandboxStatus.STOPPED || status == SandboxStatus.CRASHED
                            ? "; start it first (msb start " + name + ")" : "; it must be running"));
        }
        return sandboxes.handle(name);
    }

    /** At most 128 characters of {@code text} with control characters replaced: it is echoed to a terminal. */
    static String printable(String text) {
        String shown = text == null ? "" : text.length() > 128 ? text.substring(0, 128) + "…" : text;
        return shown.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
