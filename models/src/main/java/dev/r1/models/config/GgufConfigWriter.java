package dev.r1.models.config;

import dev.r1.models.gguf.GgufValue;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GGUF metadata that describes a {@link ModelConfig}, with the key names and value types
 * (u32 counts, f32 floats) that llama.cpp's converter writes, so files we write load in llama.cpp and
 * read back through {@link ModelConfig#fromGguf} unchanged. Llama 3 rope scaling is not metadata: it
 * travels as the {@code rope_freqs.weight} tensor ({@link Llama3RopeScaling#ropeFactors}).
 */
public final class GgufConfigWriter {
    private GgufConfigWriter() {}

    public static Map<String, GgufValue> metadata(ModelConfig c) {
        String p = c.arch().ggufName() + ".";
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.string(c.arch().ggufName()));
        m.put(p + "vocab_size", GgufValue.uint32(c.vocab()));
        m.put(p + "context_length", GgufValue.uint32(c.contextLength()));
        m.put(p + "embedding_length", GgufValue.uint32(c.hidden()));
        m.put(p + "block_count", GgufValue.uint32(c.layers()));
        m.put(p + "feed_forward_length", GgufValue.uint32(c.ffn()));
        m.put(p + "rope.dimension_count", GgufValue.uint32(c.headDim()));
        m.put(p + "attention.head_count", GgufValue.uint32(c.heads()));
        m.put(p + "attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        if (c.headDim() * c.heads() != c.hidden()) {
            m.put(p + "attention.key_length", GgufValue.uint32(c.headDim()));
            m.put(p + "attention.value_length", GgufValue.uint32(c.headDim()));
        }
        m.put(p + "rope.freq_base", GgufValue.float32(c.ropeTheta()));
        m.put(p + "attention.layer_norm_rms_epsilon", GgufValue.float32(c.rmsEps()));
        return m;
    }
}
