package dev.r1.engine.generate;

import dev.r1.engine.Session;
import dev.r1.engine.model.JavaSession;

import java.util.Arrays;

/** Generation over any {@link Session}: its decode loop view and a streaming text decoder. */
public final class SessionAdapters {
    private SessionAdapters() {}

    public static TokenModel tokenModel(Session s) {
        return new TokenModel() {
            @Override public float[] decode(int token) { return s.decode(token); }
            @Override public boolean isEog(int token) { return s.isEog(token); }
            @Override public int position() { return s.position(); }
            @Override public int contextSize() { return s.contextSize(); }
        };
    }

    /**
     * A streaming decoder: our engine's byte-exact one when the session is ours, otherwise one that
     * re-detokenizes the generated tokens and emits the new suffix once it no longer ends in a
     * replacement character (a character still waiting for bytes).
     */
    public static TextDecoder textDecoder(Session s) {
        if (s instanceof JavaSession js) return TextDecoder.of(js.tokenizer().streamingDecoder());
        return new Detokenizing(s);
    }

    static final class Detokenizing implements TextDecoder {
        private final Session s;
        private int[] ids = new int[64];
        private int n;
        private int emitted; // chars of the full text already returned

        Detokenizing(Session s) { this.s = s; }

        @Override
        public String feed(int token) {
            if (n == ids.length) ids = Arrays.copyOf(ids, 2 * n);
            ids[n++] = token;
            String text = s.detokenize(Arrays.copyOf(ids, n));
            if (text.endsWith("\uFFFD") || text.length() < emitted) return "";
            String out = text.substring(emitted);
            emitted = text.length();
            return out;
        }

        @Override
        public String flush() {
            String text = n == 0 ? "" : s.detokenize(Arrays.copyOf(ids, n));
            String out = text.length() > emitted ? text.substring(emitted) : "";
            n = 0;
            emitted = 0;
            return out;
        }
    }
}
