package dev.r1.models.config;

import dev.r1.models.ModelException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The six DeepSeek-R1 distills with their published config.json values, and two tiny models of the
 * same architectures (a few MB) for tests and benchmarks of the machinery.
 */
public final class Presets {
    private Presets() {}

    private static final Map<String, ModelConfig> ALL = new LinkedHashMap<>();

    static {
        Optional<Llama3RopeScaling> none = Optional.empty();
        Optional<Llama3RopeScaling> llama31 = Optional.of(Llama3RopeScaling.LLAMA_3_1);
        ALL.put("r1-distill-qwen-1.5b", qwen2(1536, 28, 12, 2, 8960, 151936, 1e4f, 1e-6f));
        ALL.put("r1-distill-qwen-7b", qwen2(3584, 28, 28, 4, 18944, 152064, 1e4f, 1e-6f));
        ALL.put("r1-distill-qwen-14b", qwen2(5120, 48, 40, 8, 13824, 152064, 1e6f, 1e-5f));
        ALL.put("r1-distill-qwen-32b", qwen2(5120, 64, 40, 8, 27648, 152064, 1e6f, 1e-5f));
        ALL.put("r1-distill-llama-8b", new ModelConfig(Architecture.LLAMA, 4096, 32, 32, 8, 128, 14336, 128256,
                131072, 5e5f, 1e-5f, false, false, llama31));
        ALL.put("r1-distill-llama-70b", new ModelConfig(Architecture.LLAMA, 8192, 80, 64, 8, 128, 28672, 128256,
                131072, 5e5f, 1e-5f, false, false, llama31));
        // Tiny models: same code paths (GQA 2:1, qkv bias for qwen2, llama3 rope scaling with all three
        // branches of the ramp, tied embeddings for llama), small enough for unit tests.
        ALL.put("tiny-qwen2", new ModelConfig(Architecture.QWEN2, 128, 2, 4, 2, 32, 256, 512, 2048, 1e4f, 1e-6f,
                true, false, none));
        ALL.put("tiny-llama", new ModelConfig(Architecture.LLAMA, 128, 2, 4, 2, 32, 256, 512, 2048, 5e5f, 1e-5f,
                false, true, llama31));
    }

    private static ModelConfig qwen2(int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, float theta, float eps) {
        return new ModelConfig(Architecture.QWEN2, hidden, layers, heads, kvHeads, 128, ffn, vocab, 131072, theta, eps,
                true, false, Optional.empty());
    }

    /** All presets by name, in a stable order (the six distills first). */
    public static Map<String, ModelConfig> all() { return Collections.unmodifiableMap(ALL); }

    /** @throws ModelException listing the known names if {@code name} is not one */
    public static ModelConfig get(String name) {
        ModelConfig c = ALL.get(name.toLowerCase(java.util.Locale.ROOT));
        if (c == null) throw new ModelException("unknown preset '" + name + "'; known presets: " + String.join(", ", ALL.keySet()));
        return c;
    }

    /** True for the tiny test presets. */
    public static boolean isTiny(String name) { return name.startsWith("tiny-"); }

    /** The name of the preset equal to {@code c} in every field, if any. */
    public static Optional<String> match(ModelConfig c) {
        return ALL.entrySet().stream().filter(e -> e.getValue().equals(c)).map(Map.Entry::getKey).findFirst();
    }
}
