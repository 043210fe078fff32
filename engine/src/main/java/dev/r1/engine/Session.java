package dev.r1.engine;

/**
 * One conversation with a loaded model: a token sequence in a KV cache, fed forward a token (or a prompt)
 * at a time, giving the logits of the last position. Implemented by our engine and by llama.cpp
 * ({@code dev.r1.engine.llamacpp.LlamaCppSession}), so run/bench/eval/serve take either.
 *
 * <p>Not thread-safe: one caller at a time. Logits arrays are fresh copies the caller may keep.
 */
public interface Session extends AutoCloseable {

    /** Text to token ids with the model's own tokenizer; {@code parseSpecial} lets "<|im_start|>" be one token. */
    int[] tokenize(String text, boolean addBos, boolean parseSpecial);

    /** Token ids back to text (special tokens rendered as their text). */
    String detokenize(int[] tokens);

    /** The text of one token. */
    String piece(int token);

    /**
     * Appends {@code tokens} at the current position (in chunks of the session's batch size) and keeps the
     * logits of the last one for {@link #lastLogits()}.
     *
     * @throws IllegalArgumentException when the tokens would not fit in the context or an id is out of range
     */
    void prefill(int[] tokens);

    /** Appends one token and returns the logits (vocabSize floats) of the next position. */
    float[] decode(int token);

    /** The logits after the last {@link #prefill} or {@link #decode}. */
    float[] lastLogits();

    /** Tokens in the cache, i.e. the position the next token will take. */
    int position();

    /** Forgets every token: the next prefill starts at position 0. */
    void reset();

    /** The most tokens this session holds. */
    int contextSize();

    int vocabSize();

    /** Whether {@code token} ends generation (EOS, EOT, <|im_end|>, ...). */
    boolean isEog(int token);

    /** The beginning-of-sequence token id, or -1 when the model has none. */
    int bos();

    @Override
    void close();
}
