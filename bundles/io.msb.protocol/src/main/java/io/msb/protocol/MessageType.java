package io.msb.protocol;

import java.util.HashMap;
import java.util.Map;

/** The generation-7 message set: wire name, fixed frame flags and the generation that introduced it. */
public enum MessageType {
    READY("core.ready", 0, 1),
    INIT_RESOLVED("core.init.resolved", 0, 1),
    INIT_ACK("core.init.ack", 0, 1),
    SHUTDOWN("core.shutdown", Frame.SHUTDOWN, 1),
    RELAY_CLIENT_DISCONNECTED("core.relay.client.disconnected", 0, 1),
    CLOCK_SYNC("core.clock.sync", 0, 1),
    PING("core.ping", 0, 6),
    PONG("core.pong", Frame.TERMINAL, 6),
    TOUCH("core.touch", 0, 6),
    TOUCHED("core.touched", Frame.TERMINAL, 6),
    CORE_ERROR("core.error", Frame.TERMINAL, 5),
    EXEC_REQUEST("core.exec.request", Frame.SESSION_START, 1),
    EXEC_STARTED("core.exec.started", 0, 1),
    EXEC_STDIN("core.exec.stdin", 0, 1),
    EXEC_STDIN_ERROR("core.exec.stdin.error", 0, 1),
    EXEC_STDOUT("core.exec.stdout", 0, 1),
    EXEC_STDERR("core.exec.stderr", 0, 1),
    EXEC_EXITED("core.exec.exited", Frame.TERMINAL, 1),
    EXEC_FAILED("core.exec.failed", Frame.TERMINAL, 1),
    EXEC_RESIZE("core.exec.resize", 0, 1),
    EXEC_SIGNAL("core.exec.signal", 0, 1),
    FS_REQUEST("core.fs.request", Frame.SESSION_START, 2),
    FS_RESPONSE("core.fs.response", Frame.TERMINAL, 2),
    FS_DATA("core.fs.data", 0, 2),
    TCP_CONNECT("core.tcp.connect", Frame.SESSION_START, 4),
    TCP_CONNECTED("core.tcp.connected", 0, 4),
    TCP_DATA("core.tcp.data", 0, 4),
    TCP_EOF("core.tcp.eof", 0, 4),
    TCP_CLOSE("core.tcp.close", 0, 4),
    TCP_CLOSED("core.tcp.closed", Frame.TERMINAL, 4),
    TCP_FAILED("core.tcp.failed", Frame.TERMINAL, 4),
    BOOTSTRAP("core.bootstrap", 0, 7),
    /** msb extension (decision 0310): stop reading this session's source; only to an agent announcing flow_control. */
    FLOW_PAUSE("msb.flow.pause", 0, 7),
    /** msb extension (decision 0310): read this session's source again. */
    FLOW_RESUME("msb.flow.resume", 0, 7),
    /**
     * msb extension (decision 1240): a running guest (a restored memory snapshot) takes a new identity; sent on an id
     * of the client's range, answered with {@link #IDENTITY_APPLIED} or {@code core.error}.
     */
    IDENTITY_APPLY("msb.identity.apply", 0, 7),
    /** msb extension (decision 1240): the identity of {@link #IDENTITY_APPLY} is applied in full. */
    IDENTITY_APPLIED("msb.identity.applied", Frame.TERMINAL, 7);

    /** The protocol generation this implementation speaks. */
    public static final int PROTOCOL_VERSION = 7;

    private static final Map<String, MessageType> BY_WIRE = new HashMap<>();

    static {
        for (MessageType t : values()) {
            BY_WIRE.put(t.wire, t);
        }
    }

    private final String wire;
    private final int flags;
    private final int introducedIn;

    MessageType(String wire, int flags, int introducedIn) {
        this.wire = wire;
        this.flags = flags;
        this.introducedIn = introducedIn;
    }

    public String wire() {
        return wire;
    }

    /** The frame flags every message of this type carries. */
    public int flags() {
        return flags;
    }

    public int introducedIn() {
        return introducedIn;
    }

    /** The type for a wire name, or null when this generation does not know it. */
    public static MessageType fromWire(String wire) {
        return BY_WIRE.get(wire);
    }
}
