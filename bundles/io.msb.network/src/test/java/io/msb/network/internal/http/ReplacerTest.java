package io.msb.network.internal.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplacerTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String run(Replacer r, byte[] in, Random cuts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int p = 0;
        while (p < in.length) {
            int n = 1 + cuts.nextInt(Math.min(in.length - p, 7));
            r.feed(in, p, n, out);
            p += n;
        }
        r.finish(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void matchesWhatStringReplaceDoesForAnySplit() throws Exception {
        Random rnd = new Random(7);
        String[] needles = {"$MSB_A", "$MSB_BB", "aab"};
        for (int t = 0; t < 2000; t++) {
            StringBuilder in = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                String n = needles[rnd.nextInt(needles.length)];
                in.append(rnd.nextInt(4) == 0 ? n : n.substring(0, 1 + rnd.nextInt(n.length())));
            }
            String text = in.toString();
            String expected = text.replace("$MSB_A", "<1>").replace("$MSB_BB", "<2>");
            Replacer r = new Replacer(new byte[][] {b("$MSB_A"), b("$MSB_BB")}, new byte[][] {b("<1>"), b("<2>")});
            assertEquals(expected, run(r, b(text), rnd), text);
        }
    }

    @Test
    void aReportedNeedleStopsBeforeItIsWritten() throws Exception {
        Replacer r = new Replacer(new byte[][] {b("SECRET")}, new byte[][] {null});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.feed(b("abcSEC"), 0, 6, out);
        Replacer.Found f = assertThrows(Replacer.Found.class, () -> r.feed(b("RETdef"), 0, 6, out));
        assertEquals(0, f.needle);
        assertTrue(out.size() <= 3);
    }

    @Test
    void nearMissesCostOneStepPerByte() throws Exception {
        byte[] needle = b("$" + "x".repeat(1023));
        byte[] almost = new byte[8 * 1024 * 1024];
        for (int i = 0; i < almost.length; i++) {
            almost[i] = i % 1000 == 0 ? (byte) '$' : (byte) 'x'; // every 1000 bytes a near miss of 999
        }
        Replacer r = new Replacer(new byte[][] {needle}, new byte[][] {b("v")});
        ByteArrayOutputStream out = new ByteArrayOutputStream(almost.length);
        r.feed(almost, 0, almost.length, out);
        r.finish(out);
        assertArrayEquals(almost, out.toByteArray()); // and it returns in linear time (a rescan would be 8 G steps)
    }
}
