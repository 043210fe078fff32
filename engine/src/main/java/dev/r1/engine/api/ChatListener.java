package dev.r1.engine.api;

/** Receives a reply as it is generated: the reasoning (inside {@code <think>}) and the answer apart. */
public interface ChatListener {
    /** A piece of the model's reasoning. */
    default void onReasoning(String text) {}

    /** A piece of the answer. */
    default void onAnswer(String text) {}

    /** Ignores everything (for a caller that only wants the finished {@link ChatReply}). */
    ChatListener NONE = new ChatListener() {};
}
