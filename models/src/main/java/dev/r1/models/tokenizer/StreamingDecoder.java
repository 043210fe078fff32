package dev.r1.models.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * Turns token ids fed one at a time into text, emitting only whole UTF-8 characters: a token may end in
 * the middle of a character (CJK, emoji), whose remaining bytes come with the next tokens. Not thread-safe.
 */
public final class StreamingDecoder {
    private final IntFunction<byte[]> pieces;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** A decoder over any token-id-to-bytes function (a tokenizer's pieces, llama.cpp's, a test's). */
    public StreamingDecoder(IntFunction<byte[]> pieces) {
        this.pieces = pieces;
    }

    /** Adds one token; returns the text now complete (possibly empty). */
    public String feed(int id) {
        pending.writeBytes(pieces.apply(id));
        byte[] b = pending.toByteArray();
        int complete = completePrefix(b);
        if (complete == 0) return "";
        pending.reset();
        pending.write(b, complete, b.length - complete);
        return new String(b, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is left (an unfinished character becomes U+FFFD) and clears the state. */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Length of the longest prefix that does not end inside a character still missing bytes. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // Only the last 3 bytes can belong to an unfinished sequence (UTF-8 is at most 4 bytes).
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue;            // continuation byte: keep looking for the lead
            int need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return need > back ? n - back : n;           // lead byte still waiting for continuation bytes
        }
        return n;                                        // only continuation bytes: malformed, emit as is
    }
}
