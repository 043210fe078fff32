package dev.r1.engine.generate;

/**
 * @param tokens        the sampled tokens, in order (an EOG token included)
 * @param reasoning     text inside {@code <think>...</think>}, tags excluded
 * @param answer        text outside it
 * @param decodeNanos   time spent in sampling and decoding (for tok/s)
 * @param endedInThink  whether generation stopped inside the reasoning (e.g. out of tokens)
 */
public record GenerationResult(StopReason reason, int[] tokens, String reasoning, String answer, long decodeNanos,
                               boolean endedInThink) {
    /** Generated tokens per second, or 0 when nothing was timed. */
    public double tokensPerSecond() {
        return decodeNanos <= 0 ? 0 : tokens.length * 1e9 / decodeNanos;
    }
}
