package dev.r1.engine.generate;

/**
 * Token ids, one at a time, to text that never splits a UTF-8 character (a token may end mid-character;
 * the rest comes with the next tokens). The tokenizer's {@code StreamingDecoder} has exactly this shape.
 */
public interface TextDecoder {
    /** The text completed by {@code token} (possibly empty). */
    String feed(int token);

    /** Whatever is pending (an unfinished character becomes U+FFFD); clears the state. */
    String flush();

    /** Adapts the tokenizer's streaming decoder (models knows nothing of the engine's interfaces). */
    static TextDecoder of(dev.r1.models.tokenizer.StreamingDecoder d) {
        return new TextDecoder() {
            @Override public String feed(int token) { return d.feed(token); }
            @Override public String flush() { return d.flush(); }
        };
    }
}
