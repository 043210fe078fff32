package dev.r1.engine.generate;

/** Why generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token. */
    EOG,
    /** The max-tokens limit was reached. */
    MAX_TOKENS,
    /** A stop string appeared in the text. */
    STOP_STRING,
    /** The caller cancelled (e.g. Ctrl-C). */
    CANCELLED,
    /** The context is full; the conversation must be reset or shortened to continue. */
    CONTEXT_FULL
}
