package dev.r1.engine.generate;

import dev.r1.engine.Session;

/** Generation over any {@link Session}: its decode loop view (its text decoder is {@link Session#textDecoder()}). */
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
}
