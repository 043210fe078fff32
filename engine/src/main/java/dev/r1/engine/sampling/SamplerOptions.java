package dev.r1.engine.sampling;

/**
 * How the next token is chosen from logits.
 *
 * @param temperature   0 = greedy (argmax); otherwise logits are divided by it before the final draw
 * @param topK          keep the k most likely tokens; 0 = off
 * @param topP          keep the smallest set whose probability reaches p; 1 = off
 * @param minP          drop tokens below {@code minP * p(most likely)}; 0 = off
 * @param repeatPenalty divide positive (multiply negative) logits of recent tokens; 1 = off
 * @param repeatLastN   how many recent tokens the penalty looks at (prompt included)
 * @param seed          the random stream; the same seed, options and logits give the same tokens
 * @param presencePenalty  subtracted once from the logit of every token seen in the last {@code repeatLastN}; 0 = off
 * @param frequencyPenalty subtracted per occurrence in the last {@code repeatLastN}; 0 = off
 * @param logitBias     added to a token's logit before anything else (-infinity bans it); empty = off
 */
public record SamplerOptions(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             int repeatLastN, long seed, float presencePenalty, float frequencyPenalty,
                             java.util.Map<Integer, Float> logitBias) {

    /** No presence/frequency penalty, no logit bias. */
    public SamplerOptions(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN, long seed) {
        this(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, 0f, 0f, java.util.Map.of());
    }

    /** DeepSeek's recommendation for the R1 distills (greedy makes them loop): temperature 0.6, top-p 0.95. */
    public static SamplerOptions r1Defaults(long seed) {
        return new SamplerOptions(0.6f, 0, 0.95f, 0f, 1f, 64, seed);
    }

    public static SamplerOptions greedy() {
        return new SamplerOptions(0f, 0, 1f, 0f, 1f, 64, 0);
    }

    /** @throws IllegalArgumentException naming the option and its allowed range */
    public SamplerOptions {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) bad("temperature", temperature, "a finite number >= 0 (0 = greedy)");
        if (topK < 0) bad("top-k", topK, ">= 0 (0 = off)");
        if (!(topP > 0 && topP <= 1)) bad("top-p", topP, "in (0, 1] (1 = off)");
        if (!(minP >= 0 && minP < 1)) bad("min-p", minP, "in [0, 1) (0 = off)");
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) bad("repeat penalty", repeatPenalty, "a finite number > 0 (1 = off)");
        if (repeatLastN < 0) bad("repeat-last-n", repeatLastN, ">= 0");
        if (!Float.isFinite(presencePenalty)) bad("presence penalty", presencePenalty, "a finite number (0 = off)");
        if (!Float.isFinite(frequencyPenalty)) bad("frequency penalty", frequencyPenalty, "a finite number (0 = off)");
        logitBias = java.util.Map.copyOf(logitBias);
        for (var e : logitBias.entrySet()) {
            if (e.getKey() < 0) bad("logit bias token", e.getKey(), "a token id >= 0");
            if (Float.isNaN(e.getValue()) || e.getValue() == Float.POSITIVE_INFINITY)
                bad("logit bias", e.getValue(), "a finite number or -inf");
        }
    }

    private static void bad(String what, Object v, String allowed) {
        throw new IllegalArgumentException(what + " " + v + " is out of range: must be " + allowed);
    }

    public boolean isGreedy() { return temperature == 0; }

    public SamplerOptions withSeed(long s) {
        return new SamplerOptions(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s, presencePenalty,
                frequencyPenalty, logitBias);
    }

    public SamplerOptions withTemperature(float t) {
        return new SamplerOptions(t, topK, topP, minP, repeatPenalty, repeatLastN, seed, presencePenalty, frequencyPenalty, logitBias);
    }

    public SamplerOptions withTopP(float p) {
        return new SamplerOptions(temperature, topK, p, minP, repeatPenalty, repeatLastN, seed, presencePenalty, frequencyPenalty, logitBias);
    }

    public SamplerOptions withPenalties(float presence, float frequency) {
        return new SamplerOptions(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, presence, frequency, logitBias);
    }

    public SamplerOptions withLogitBias(java.util.Map<Integer, Float> bias) {
        return new SamplerOptions(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, presencePenalty, frequencyPenalty, bias);
    }
}
