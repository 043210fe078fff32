package dev.r1.engine.generate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/** A {@link TextDecoder} over a function from token id to its raw bytes (e.g. llama.cpp's token pieces). */
public final class Utf8TextDecoder implements TextDecoder {
    private final IntFunction<byte[]> pieces;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public Utf8TextDecoder(IntFunction<byte[]> pieces) {
        this.pieces = pieces;
    }

    @Override
    public String feed(int token) {
        pending.writeBytes(pieces.apply(token));
        byte[] b = pending.toByteArray();
        int n = completePrefix(b);
        pending.reset();
        pending.write(b, n, b.length - n);
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Bytes up to (not into) a trailing character that still misses continuation bytes. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(4, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation: look further back for the lead byte
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n; // only continuation bytes: malformed, let the charset replace them
    }
}
