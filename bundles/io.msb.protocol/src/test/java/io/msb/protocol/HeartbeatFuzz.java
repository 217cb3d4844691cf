package io.msb.protocol;

import io.msb.protocol.internal.HeartbeatReader;

/**
 * Jazzer target: the bytes of the guest's {@code /.msb/heartbeat.json}. Parsing returns a heartbeat or null, never
 * throws; a heartbeat it returns has no negative counter.
 */
public final class HeartbeatFuzz {
    private HeartbeatFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length > HeartbeatReader.MAX_FILE_BYTES) {
            return; // read() never parses more
        }
        HeartbeatReader.Heartbeat hb = HeartbeatReader.parse(data);
        if (hb != null && (hb.heartbeatSeq() < 0 || hb.activitySeq() < 0 || hb.activeExecSessions() < 0
                || hb.activeFsStreams() < 0 || hb.activeTcpStreams() < 0)) {
            throw new IllegalStateException("negative counter accepted: " + hb);
        }
    }
}
