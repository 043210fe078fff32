package dev.r1.engine.api;

import dev.r1.engine.sampling.SamplerOptions;
import java.util.List;

/**
 * How a reply is generated. {@link #defaults()} follows the R1 model card (temperature 0.6, top-p 0.95).
 *
 * @param temperature 0 = greedy
 * @param topP        1 = off
 * @param topK        0 = off
 * @param minP        0 = off
 * @param maxTokens   most tokens in a reply (reasoning included)
 * @param stop        strings that end the reply (not included in it)
 * @param seed        the random stream; null: a fresh one per reply
 */
public record ChatOptions(float temperature, float topP, int topK, float minP, int maxTokens, List<String> stop, Long seed) {
    public ChatOptions {
        stop = List.copyOf(stop);
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        new SamplerOptions(temperature, topK, topP, minP, 1f, 64, 0); // checks the ranges, naming the option
    }

    public static ChatOptions defaults() { return new ChatOptions(0.6f, 0.95f, 0, 0f, 2048, List.of(), null); }

    public ChatOptions withTemperature(float t) { return new ChatOptions(t, topP, topK, minP, maxTokens, stop, seed); }
    public ChatOptions withTopP(float p) { return new ChatOptions(temperature, p, topK, minP, maxTokens, stop, seed); }
    public ChatOptions withTopK(int k) { return new ChatOptions(temperature, topP, k, minP, maxTokens, stop, seed); }
    public ChatOptions withMinP(float p) { return new ChatOptions(temperature, topP, topK, p, maxTokens, stop, seed); }
    public ChatOptions withMaxTokens(int n) { return new ChatOptions(temperature, topP, topK, minP, n, stop, seed); }
    public ChatOptions withStop(List<String> s) { return new ChatOptions(temperature, topP, topK, minP, maxTokens, s, seed); }
    public ChatOptions withSeed(Long s) { return new ChatOptions(temperature, topP, topK, minP, maxTokens, stop, s); }

    SamplerOptions sampler() {
        return new SamplerOptions(temperature, topK, topP, minP, 1f, 64, seed != null ? seed : System.nanoTime());
    }
}
