package dev.r1.engine.api;

/**
 * A finished reply.
 *
 * @param reasoning        the text inside {@code <think>...</think>}, tags excluded
 * @param answer           the text after it
 * @param finish           why it ended
 * @param promptTokens     tokens of the rendered conversation
 * @param cachedTokens     of those, how many the session already held (not computed again)
 * @param completionTokens tokens generated
 */
public record ChatReply(String reasoning, String answer, Finish finish, int promptTokens, int cachedTokens,
                        int completionTokens) {
    /** Why a reply ended. */
    public enum Finish {
        /** The model ended its turn, or a stop string appeared. */
        STOP,
        /** The token limit or the context was reached. */
        LENGTH,
        /** The caller cancelled it. */
        CANCELLED
    }
}
