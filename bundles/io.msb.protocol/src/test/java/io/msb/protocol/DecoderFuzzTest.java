package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.protocol.internal.Codec;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomised hostile input for the Java decoder: mutated vectors and random bytes must only
 * ever produce FrameException or ProtocolException (or a valid message), never anything else.
 * Bounded by an iteration count, with a fixed seed so that failures reproduce.
 */
class DecoderFuzzTest {
    private static final int ITERATIONS = 200_000;

    @Test
    void mutatedAndRandomInputIsRejectedCleanly() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(Path.of(System.getProperty("msb.vectors",
                "../../conformance/agent-protocol/vectors.json"))));
        List<byte[]> seeds = new ArrayList<>();
        for (JsonNode v : root.get("vectors")) {
            seeds.add(HexFormat.of().parseHex(v.get("hex").asText()));
        }
        long seed = Long.getLong("msb.fuzz.seed", 20261125L);
        Random rnd = new Random(seed);
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            try {
                if (decodeFully(input)) {
                    accepted++;
                }
            } catch (FrameException | ProtocolException expected) {
                // the only acceptable failures
            } catch (Throwable t) {
                fail("seed " + seed + " iteration " + i + ": " + t + " for " + HexFormat.of().formatHex(input), t);
            }
        }
        assertTrue(accepted > 0 && accepted < ITERATIONS, "mutations both pass and fail: " + accepted);
    }

    private static boolean decodeFully(byte[] input) throws Exception {
        Frame f = Frame.read(new ByteArrayInputStream(input));
        if (f == null) {
            return false;
        }
        Message m = Codec.decode(f);
        MessageType t = Codec.validate(m);
        Object p = m.payload(Codec.payloadClass(t));
        Codec.encodePayload(p); // whatever was accepted must encode again
        return true;
    }

    private static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(7)) {
        case 0 -> { // bit flips
            for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                int pos = rnd.nextInt(b.length);
                b[pos] ^= (byte) (1 << rnd.nextInt(8));
            }
        }
        case 1 -> { // random byte overwrites in the body
            for (int k = 0; k < 1 + rnd.nextInt(8); k++) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
        }
        case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncation
        case 3 -> { // a CBOR head claiming a huge length, somewhere in the body
            if (b.length > 12) {
                int pos = 9 + rnd.nextInt(b.length - 12);
                b[pos] = (byte) (0x5a + 0x20 * rnd.nextInt(3)); // bytes/text/array with a 4-byte length
                b[pos + 1] = (byte) 0x7f;
            }
        }
        case 4 -> { // length prefix rewritten to stay consistent with a grown body
            byte[] g = java.util.Arrays.copyOf(b, b.length + rnd.nextInt(64));
            for (int k = b.length; k < g.length; k++) {
                g[k] = (byte) rnd.nextInt(256);
            }
            Frame.putInt(g, 0, g.length - 4);
            b = g;
        }
        case 5 -> { // deep nesting
            byte[] g = new byte[9 + 2000];
            Frame.putInt(g, 0, g.length - 4);
            java.util.Arrays.fill(g, 9, g.length, (byte) (rnd.nextBoolean() ? 0x81 : 0xa1));
            b = g;
        }
        default -> { // pure noise with a plausible length
            byte[] g = new byte[9 + rnd.nextInt(256)];
            rnd.nextBytes(g);
            Frame.putInt(g, 0, g.length - 4);
            b = g;
        }
        }
        return b;
    }
}
