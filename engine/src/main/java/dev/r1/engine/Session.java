package dev.r1.engine;

import dev.r1.engine.generate.TextDecoder;

/**
 * One conversation with a loaded {@link Model}: a token sequence in its own KV cache, fed forward a token
 * (or a prompt) at a time, giving the logits of the last position (or of every position, for scoring).
 * Implemented by our engine and by llama.cpp ({@code dev.r1.engine.llamacpp.LlamaCppSession}), so
 * run/bench/eval/serve take either. Many sessions of one model share its weights.
 *
 * <p>Not thread-safe: one caller at a time (different sessions of one model may run on different threads).
 * Logits arrays are fresh copies the caller may keep.
 */
public interface Session extends AutoCloseable {

    /** Receives the logits of each position of a prefilled chunk, in order; the array is reused between calls. */
    @FunctionalInterface
    interface LogitsSink {
        /** @param index which of the prefilled tokens (0-based) these logits follow */
        void accept(int index, float[] logits);
    }

    /** The model this session runs on (tokenizer, vocabulary, backend). */
    Model model();

    /** Text to token ids with the model's own tokenizer; {@code parseSpecial} lets "<|im_start|>" be one token. */
    default int[] tokenize(String text, boolean addBos, boolean parseSpecial) { return model().tokenize(text, addBos, parseSpecial); }

    /** Token ids back to text (special tokens rendered as their text). */
    default String detokenize(int[] tokens) { return model().detokenize(tokens); }

    /** The text of one token. */
    default String piece(int token) { return model().piece(token); }

    /** A streaming decoder for text generated in this session (a fresh one per call). */
    default TextDecoder textDecoder() { return model().textDecoder(); }

    /**
     * Appends {@code tokens} at the current position (in chunks of the session's batch size) and keeps the
     * logits of the last one for {@link #lastLogits()}.
     *
     * @throws IllegalArgumentException when the tokens would not fit in the context or an id is out of range
     */
    default void prefill(int[] tokens) { prefill(tokens, null); }

    /**
     * As {@link #prefill(int[])}, and hands {@code all} (when not null) the logits after every one of the
     * tokens, in order: one batched forward pass scores a whole window (perplexity, KL).
     */
    void prefill(int[] tokens, LogitsSink all);

    /** Appends one token and returns the logits (vocabSize floats) of the next position. */
    float[] decode(int token);

    /** The logits after the last {@link #prefill} or {@link #decode}. */
    float[] lastLogits();

    /** Tokens in the cache, i.e. the position the next token will take. */
    int position();

    /** Forgets every token: the next prefill starts at position 0. */
    void reset();

    /**
     * Keeps the first {@code n} positions and forgets the rest, so a conversation that shares a prefix with
     * what the cache holds feeds only what follows it. {@link #lastLogits()} is unavailable until the next
     * prefill or decode.
     *
     * @throws IllegalArgumentException when {@code n} is negative or beyond {@link #position()}
     */
    void truncate(int n);

    /**
     * Makes this session hold the first {@code n} positions of {@code source}'s cache (a session of the same
     * model), as if it had prefilled them itself, forgetting what it held: one prompt prefilled once serves
     * several continuations (the server's {@code n} choices). With {@code n == source.position()} the last
     * logits come along; otherwise they are unavailable until the next prefill or decode.
     *
     * @return false, changing nothing, when the backend cannot copy a cache (the caller prefills instead)
     * @throws IllegalArgumentException when {@code source} belongs to another model, or {@code n} is negative,
     *         beyond {@code source.position()} or beyond this session's context
     */
    default boolean copyFrom(Session source, int n) { return false; }

    /** The most tokens this session holds. */
    int contextSize();

    default int vocabSize() { return model().vocabSize(); }

    /** Whether {@code token} ends generation (EOS, EOT, <|im_end|>, ...). */
    default boolean isEog(int token) { return model().isEog(token); }

    /** The beginning-of-sequence token id, or -1 when the model has none. */
    default int bos() { return model().bos(); }

    /** Frees the KV cache; the model stays loaded (unless the session was opened as its only user). */
    @Override
    void close();
}
