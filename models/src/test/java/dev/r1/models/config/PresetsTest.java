package dev.r1.models.config;

import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PresetsTest {

    /** Independent count from the architecture's weight list (PyTorch names), in the test's own words. */
    private static long countByHand(ModelConfig c) {
        long h = c.hidden(), v = c.vocab(), kv = (long) c.kvHeads() * c.headDim(), q = (long) c.heads() * c.headDim();
        long perLayer = h * q + h * kv * 2 + q * h      // q_proj, k_proj, v_proj, o_proj
                + 3 * h * c.ffn()                         // gate_proj, up_proj, down_proj
                + 2 * h                                   // input_layernorm, post_attention_layernorm
                + (c.qkvBias() ? q + 2 * kv : 0);
        return v * h * (c.tiedEmbeddings() ? 1 : 2) + c.layers() * perLayer + h;
    }

    @Test
    void publishedValues() {
        ModelConfig q15 = Presets.get("r1-distill-qwen-1.5b");
        assertEquals(new ModelConfig(Architecture.QWEN2, 1536, 28, 12, 2, 128, 8960, 151936, 131072, 10000f, 1e-6f,
                true, false, java.util.Optional.empty()), q15);
        ModelConfig l8 = Presets.get("R1-Distill-Llama-8B");
        assertEquals(4096, l8.hidden());
        assertEquals(32, l8.layers());
        assertEquals(8, l8.kvHeads());
        assertEquals(14336, l8.ffn());
        assertEquals(500000f, l8.ropeTheta());
        assertEquals(new Llama3RopeScaling(8, 1, 4, 8192), l8.ropeScaling().orElseThrow());
        assertFalse(l8.qkvBias());
        ModelConfig q14 = Presets.get("r1-distill-qwen-14b");
        assertEquals(1e6f, q14.ropeTheta());
        assertEquals(1e-5f, q14.rmsEps());
        assertEquals(27648, Presets.get("r1-distill-qwen-32b").ffn());
        assertEquals(28672, Presets.get("r1-distill-llama-70b").ffn());
        for (ModelConfig c : Presets.all().values()) assertEquals(c.hidden(), c.heads() * c.headDim());
    }

    /** Parameter counts as published on the model cards (HF safetensors totals). */
    @Test
    void parameterCounts() {
        Map<String, Long> published = Map.of(
                "r1-distill-qwen-1.5b", 1_777_088_000L,
                "r1-distill-qwen-7b", 7_615_616_512L,
                "r1-distill-qwen-14b", 14_770_033_664L,
                "r1-distill-qwen-32b", 32_763_876_352L,
                "r1-distill-llama-8b", 8_030_261_248L,
                "r1-distill-llama-70b", 70_553_706_496L);
        published.forEach((name, n) -> assertEquals(n, Presets.get(name).parameterCount(), name));
        for (ModelConfig c : Presets.all().values()) assertEquals(countByHand(c), c.parameterCount());
        assertTrue(Presets.get("tiny-llama").parameterCount() * 4 < 4_000_000, "tiny presets stay a few MB in F32");
    }

    @Test
    void tensorLayoutMatchesLlamaCppConvertedFiles() {
        // Tensor counts of llama.cpp-converted GGUFs: 339 for Qwen2.5-1.5B-shaped, 292 for Llama-3.1-8B-shaped.
        assertEquals(339, TensorLayout.expected(Presets.get("r1-distill-qwen-1.5b")).size());
        assertEquals(292, TensorLayout.expected(Presets.get("r1-distill-llama-8b")).size());
        List<TensorLayout.TensorSpec> q = TensorLayout.expected(Presets.get("r1-distill-qwen-7b"));
        assertEquals(new TensorLayout.TensorSpec("token_embd.weight", new long[] {3584, 152064}), q.get(0));
        assertTrue(q.contains(new TensorLayout.TensorSpec("blk.27.attn_k.weight", new long[] {3584, 512})));
        assertTrue(q.contains(new TensorLayout.TensorSpec("blk.0.attn_k.bias", new long[] {512})));
        assertTrue(q.contains(new TensorLayout.TensorSpec("blk.3.attn_output.weight", new long[] {3584, 3584})));
        assertTrue(q.contains(new TensorLayout.TensorSpec("blk.3.ffn_down.weight", new long[] {18944, 3584})));
        assertTrue(q.contains(new TensorLayout.TensorSpec("output.weight", new long[] {3584, 152064})));
        List<TensorLayout.TensorSpec> l = TensorLayout.expected(Presets.get("tiny-llama"));
        assertTrue(l.contains(new TensorLayout.TensorSpec("rope_freqs.weight", new long[] {16})));
        assertTrue(l.stream().noneMatch(s -> s.name().equals("output.weight") || s.name().endsWith(".bias")));
    }

    @Test
    void matchIsExact() {
        for (Map.Entry<String, ModelConfig> e : Presets.all().entrySet()) {
            assertEquals(e.getKey(), Presets.match(e.getValue()).orElseThrow());
        }
        ModelConfig c = Presets.get("r1-distill-qwen-7b");
        assertTrue(Presets.match(c.withVocab(151936)).isEmpty());
        assertTrue(Presets.match(c.withContextLength(32768)).isEmpty());
        ModelException e = assertThrows(ModelException.class, () -> Presets.get("r1-distill-qwen-3b"));
        assertTrue(e.getMessage().contains("r1-distill-qwen-1.5b"), e.getMessage());
    }

    @Test
    void invalidConfigsAreRejected() {
        assertThrows(ModelException.class, () -> new ModelConfig(Architecture.QWEN2, 128, 2, 4, 3, 32, 256, 512, 2048,
                1e4f, 1e-6f, true, false, java.util.Optional.empty()));
        assertThrows(ModelException.class, () -> new ModelConfig(Architecture.QWEN2, 128, 0, 4, 2, 32, 256, 512, 2048,
                1e4f, 1e-6f, true, false, java.util.Optional.empty()));
        assertThrows(ModelException.class, () -> new ModelConfig(Architecture.QWEN2, 128, 2, 4, 2, 32, 256, 512, 2048,
                Float.NaN, 1e-6f, true, false, java.util.Optional.empty()));
    }
}
