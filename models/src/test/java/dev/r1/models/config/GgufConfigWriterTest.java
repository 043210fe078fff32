package dev.r1.models.config;

import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class GgufConfigWriterTest {
    @TempDir Path dir;

    @Test
    void everyPresetRoundTripsThroughGgufMetadata() {
        for (Map.Entry<String, ModelConfig> e : Presets.all().entrySet()) {
            if (!Presets.isTiny(e.getKey())) continue; // big presets: metadata only, below
            ModelConfig c = e.getValue();
            Path p = ModelConfigTest.writeGguf(dir.resolve(e.getKey() + ".gguf"), c,
                    w -> w.putAll(GgufConfigWriter.metadata(c)), false);
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(c, ModelConfig.fromGguf(f));
            }
        }
        Map<String, GgufValue> m = GgufConfigWriter.metadata(Presets.get("r1-distill-qwen-14b"));
        assertEquals(GgufValue.uint32(48), m.get("qwen2.block_count"));
        assertEquals(GgufValue.float32(1e6f), m.get("qwen2.rope.freq_base"));
        assertEquals(GgufValue.float32(1e-5f), m.get("qwen2.attention.layer_norm_rms_epsilon"));
        assertFalse(m.containsKey("qwen2.attention.key_length"), "implied by hidden / heads");
    }

    @Test
    void explicitHeadDimIsWritten() {
        ModelConfig odd = new ModelConfig(Architecture.LLAMA, 128, 1, 2, 1, 32, 64, 16, 64, 1e4f, 1e-5f, false, true, Optional.empty());
        Path p = ModelConfigTest.writeGguf(dir.resolve("odd.gguf"), odd, w -> w.putAll(GgufConfigWriter.metadata(odd)), false);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(odd, ModelConfig.fromGguf(f));
            assertEquals(32, f.getInt("llama.attention.key_length"));
        }
    }

    @Test
    void hfNamesMapToGgufLayout() {
        ModelConfig c = Presets.get("tiny-qwen2");
        java.util.Set<String> expected = new java.util.HashSet<>();
        TensorLayout.expected(c).forEach(s -> expected.add(s.name()));
        String[] hf = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"};
        for (String n : hf) assertTrue(expected.remove(HfTensorNames.toGguf(n).orElseThrow()), n);
        String[] perLayer = {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.q_proj.bias",
                "self_attn.k_proj.weight", "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias",
                "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                "mlp.down_proj.weight"};
        for (int l = 0; l < c.layers(); l++) {
            for (String s : perLayer) {
                String n = "model.layers." + l + "." + s;
                assertTrue(expected.remove(HfTensorNames.toGguf(n).orElseThrow()), n);
            }
        }
        assertTrue(expected.isEmpty(), "unmapped: " + expected);
        assertTrue(HfTensorNames.toGguf("model.layers.0.self_attn.rotary_emb.inv_freq").isEmpty());
    }

    @Test
    void ropePermutationMatchesReshapeSwapaxes() {
        ModelConfig l = Presets.get("tiny-llama");
        assertEquals(4, HfTensorNames.ropePermuteHeads("model.layers.1.self_attn.q_proj.weight", l));
        assertEquals(2, HfTensorNames.ropePermuteHeads("model.layers.1.self_attn.k_proj.weight", l));
        assertEquals(0, HfTensorNames.ropePermuteHeads("model.layers.1.self_attn.v_proj.weight", l));
        assertEquals(0, HfTensorNames.ropePermuteHeads("model.layers.1.self_attn.q_proj.weight", Presets.get("tiny-qwen2")));
        // reshape(nHead, 2, hd/2).swapaxes(1, 2).reshape(-1) on row indices, done literally.
        int nHead = 3, hd = 8;
        int[] rows = new int[nHead * hd];
        int k = 0;
        for (int h = 0; h < nHead; h++)
            for (int i = 0; i < hd / 2; i++)
                for (int j = 0; j < 2; j++) rows[k++] = h * hd + j * (hd / 2) + i;
        for (int r = 0; r < rows.length; r++) assertEquals(rows[r], HfTensorNames.ropePermuteSourceRow(r, hd));
    }
}
