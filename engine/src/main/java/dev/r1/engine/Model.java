package dev.r1.engine;

import dev.r1.engine.generate.TextDecoder;
import java.nio.file.Path;

/**
 * A model file loaded on one backend: weights (uploaded or repacked once), tokenizer and thread pool,
 * immutable and shared by every {@link Session} it opens. Closing a session never closes the model;
 * close the model after its sessions. Safe to use from several threads (each session from one at a time).
 * {@link Engines#load} picks the backend.
 */
public interface Model extends AutoCloseable {

    Path path();

    /**
     * Runs the engine's code once on small inputs so that the first prompt does not pay for compiling it (the Java
     * engine's kernels go through the JVM's JIT: a fresh process's first 5-token prompt took 6-10 s on a 1.5B file,
     * two cores, and 0.3-0.6 s after this, which itself takes 10-15 s there). For servers, which load before their
     * first request, or a chat while its user types the first prompt (on a thread of its own, interrupted when the
     * prompt comes: it then stops within one call); engines compiled ahead of time do nothing.
     */
    default void warmUp() {}

    /** The backend's name as users type it: {@code java}, {@code llama.cpp}, {@code cuda}. */
    String backend();

    /** The backend as people read it, e.g. "java (2 threads)". */
    String description();

    int vocabSize();

    /** The context the model was trained for (0 when the file does not say). */
    int trainContext();

    /** The beginning-of-sequence token id, or -1 when the model has none. */
    int bos();

    /** Whether {@code token} ends generation (EOS, EOT, <|im_end|>, ...). */
    boolean isEog(int token);

    /** Text to token ids; {@code parseSpecial} lets "<|im_start|>" be one token. */
    int[] tokenize(String text, boolean addBos, boolean parseSpecial);

    /** Token ids back to text (special tokens rendered as their text). */
    String detokenize(int[] tokens);

    /** The text of one token. */
    String piece(int token);

    /** A fresh streaming decoder: ids one at a time to text that never splits a UTF-8 character. */
    TextDecoder textDecoder();

    /**
     * Opens a session with its own KV cache of {@code o.ctx()} positions (0: the model's training context,
     * capped at {@link SessionOptions#DEFAULT_CTX}) fed in chunks of {@code o.batch()}. The thread count is
     * the model's, set when it was loaded.
     */
    Session newSession(SessionOptions o);

    /**
     * One decoding step for several sessions of this model: {@code tokens[i]} is appended to
     * {@code sessions[i]} (each at its own position) and its next-token logits returned. A backend that can
     * runs all of them through the weights together (decoding is memory-bound, so N streams cost little more
     * than one); the default decodes them one after the other.
     */
    default float[][] decodeBatch(Session[] sessions, int[] tokens) {
        if (sessions.length != tokens.length) throw new IllegalArgumentException(sessions.length + " sessions, " + tokens.length + " tokens");
        float[][] out = new float[sessions.length][];
        for (int i = 0; i < sessions.length; i++) {
            if (sessions[i].model() != this) throw new IllegalArgumentException("session " + i + " belongs to another model");
            out[i] = sessions[i].decode(tokens[i]);
        }
        return out;
    }

    @Override
    void close();
}
