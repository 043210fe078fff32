package dev.r1.engine.generate;

import java.util.List;

/**
 * @param maxTokens    most tokens to generate (>= 1)
 * @param stop         strings that end generation (not emitted); empty strings are ignored
 * @param startInThink whether the prompt already opened {@code <think>} (the R1 chat template does)
 */
public record GenerateOptions(int maxTokens, List<String> stop, boolean startInThink) {
    public GenerateOptions {
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        stop = List.copyOf(stop);
    }
}
