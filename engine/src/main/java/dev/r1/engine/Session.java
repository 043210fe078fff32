package dev.r1.engine;

/**
 * A running model that takes tokens and returns next-token logits: implemented by our engine and by the
 * llama.cpp binding, so run, bench and tests take either.
 */
public interface Session extends AutoCloseable {
    int[] tokenize(String text, boolean addBos, boolean parseSpecial);

    String detokenize(int[] tokens);

    String piece(int token);

    /** Appends {@code tokens} to the context (in batches); {@link #lastLogits()} then holds the last one's logits. */
    void prefill(int[] tokens);

    /** Appends one token and returns the logits for the next position. */
    float[] decode(int token);

    float[] lastLogits();

    /** Tokens in the context so far. */
    int position();

    /** Empties the context (KV cache) so a new prompt starts at position 0. */
    void reset();

    int contextSize();

    int vocabSize();

    boolean isEog(int token);

    int bos();

    @Override
    void close();
}
