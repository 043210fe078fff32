package dev.r1.engine.generate;

/**
 * What generation needs from a session: feed a token and get the next logits, know which tokens end a
 * turn, and how much context is left. Both engines' sessions provide these (method names match
 * {@code dev.r1.engine.Session}, so an adapter is one line per method).
 */
public interface TokenModel {
    /** Feeds {@code token} at the current position and returns the logits for the next one. */
    float[] decode(int token);

    /** Whether {@code token} ends generation (EOS, EOT, ...). */
    boolean isEog(int token);

    /** Tokens currently in the context. */
    int position();

    /** Tokens the context can hold. */
    int contextSize();
}
