package dev.r1.engine.generate;

import dev.r1.engine.Session;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SessionAdaptersTest {
    /** A session whose tokens are single bytes of "a€b" (the euro sign is 3 bytes). */
    static Session byteSession() {
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class}, (p, m, args) -> {
            if (m.getName().equals("detokenize")) {
                int[] ids = (int[]) args[0];
                byte[] b = new byte[ids.length];
                for (int i = 0; i < ids.length; i++) b[i] = (byte) ids[i];
                return new String(b, StandardCharsets.UTF_8);
            }
            throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void detokenizingDecoderHoldsBackUnfinishedCharacters() {
        TextDecoder d = SessionAdapters.textDecoder(byteSession());
        byte[] text = "a€b".getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        String[] pieces = new String[text.length];
        for (int i = 0; i < text.length; i++) out.append(pieces[i] = d.feed(text[i] & 0xFF));
        assertEquals("a€b", out.toString());
        assertEquals("[a, , , €, b]", Arrays.toString(pieces));
        assertEquals("", d.flush());
        assertEquals("\uFFFD", d.feed(0xE2) + d.flush()); // an unfinished character at the end
    }
}
