package dev.r1.models.config;

import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

class ModelConfigTest {
    @TempDir Path dir;

    static final String QWEN_1_5B_CONFIG = """
            {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
             "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 1536, "initializer_range": 0.02,
             "intermediate_size": 8960, "max_position_embeddings": 131072, "max_window_layers": 21,
             "model_type": "qwen2", "num_attention_heads": 12, "num_hidden_layers": 28, "num_key_value_heads": 2,
             "rms_norm_eps": 1e-06, "rope_theta": 10000, "sliding_window": 4096, "tie_word_embeddings": false,
             "torch_dtype": "bfloat16", "transformers_version": "4.44.0", "use_cache": true, "use_mrope": false,
             "use_sliding_window": false, "vocab_size": 151936}
            """;

    static final String LLAMA_8B_CONFIG = """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
             "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072,
             "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
             "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "use_cache": true,
             "vocab_size": 128256}
            """;

    private Path json(String name, String text) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        return Files.writeString(d.resolve("config.json"), text);
    }

    @Test
    void hfConfigsOfTheDistillsMatchPresets() throws IOException {
        assertEquals("r1-distill-qwen-1.5b", Presets.match(ModelConfig.fromHfConfig(json("q", QWEN_1_5B_CONFIG))).orElseThrow());
        ModelConfig l = ModelConfig.fromHfConfig(json("l", LLAMA_8B_CONFIG).getParent()); // a directory works too
        assertEquals("r1-distill-llama-8b", Presets.match(l).orElseThrow());
    }

    @Test
    void hfConfigErrorsNameFileAndField() throws IOException {
        assertHfRejects(QWEN_1_5B_CONFIG.replace("\"hidden_size\": 1536,", ""), "hidden_size", "missing");
        assertHfRejects(QWEN_1_5B_CONFIG.replace("\"hidden_size\": 1536", "\"hidden_size\": \"1536\""), "hidden_size", "expected an integer");
        assertHfRejects(QWEN_1_5B_CONFIG.replace("Qwen2ForCausalLM", "MistralForCausalLM"), "architectures", "MistralForCausalLM");
        assertHfRejects(LLAMA_8B_CONFIG.replace("\"llama3\"", "\"yarn\""), "rope_scaling", "yarn");
        assertHfRejects(LLAMA_8B_CONFIG.replace("\"high_freq_factor\": 4.0", "\"high_freq_factor\": 0.5"), "rope_scaling", "invalid");
        assertHfRejects(QWEN_1_5B_CONFIG.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 5"), "kv head count");
        assertHfRejects("{\"architectures\": [", "json", "not valid JSON");
        assertHfRejects("{\"a\": 1, \"a\": 2}", "json", "Duplicate");
        assertHfRejects("[1]", "json", "expected a JSON object");
        ModelException e = assertThrows(ModelException.class, () -> ModelConfig.fromHfConfig(dir.resolve("none/config.json")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    private int n;

    private void assertHfRejects(String text, String... fragments) throws IOException {
        Path p = json("bad" + (n++), text);
        ModelException e = assertThrows(ModelException.class, () -> ModelConfig.fromHfConfig(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in " + e.getMessage());
    }

    /** Writes a GGUF with llama.cpp's keys for {@code c} and zero F32 weights (rope_freqs computed). */
    static Path writeGguf(Path out, ModelConfig c, Consumer<GgufWriter> extraMeta, boolean withTokens) {
        String p = c.arch().ggufName() + ".";
        try (GgufWriter w = GgufWriter.create(out, true); Arena arena = Arena.ofConfined()) {
            w.putString("general.architecture", c.arch().ggufName());
            w.putUInt32(p + "context_length", c.contextLength());
            w.putUInt32(p + "embedding_length", c.hidden());
            w.putUInt32(p + "block_count", c.layers());
            w.putUInt32(p + "feed_forward_length", c.ffn());
            w.putUInt32(p + "attention.head_count", c.heads());
            w.putUInt32(p + "attention.head_count_kv", c.kvHeads());
            w.putFloat32(p + "rope.freq_base", c.ropeTheta());
            w.putFloat32(p + "attention.layer_norm_rms_epsilon", c.rmsEps());
            w.putUInt32(p + "rope.dimension_count", c.headDim());
            if (withTokens) {
                String[] tokens = new String[c.vocab()];
                for (int i = 0; i < tokens.length; i++) tokens[i] = "t" + i;
                w.putStringArray("tokenizer.ggml.tokens", tokens);
            }
            extraMeta.accept(w);
            var specs = TensorLayout.expected(c);
            for (var s : specs) w.addTensor(s.name(), GgmlType.F32, s.dims());
            for (var s : specs) {
                if (s.name().equals(TensorLayout.ROPE_FREQS)) {
                    float[] f = c.ropeScaling().orElseThrow().ropeFactors(c.headDim(), c.ropeTheta());
                    ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : f) b.putFloat(v);
                    w.writeTensorData(s.name(), b.flip());
                } else {
                    w.writeTensorData(s.name(), arena.allocate(4 * s.nElements()));
                }
            }
            w.commit();
        }
        return out;
    }

    @Test
    void ggufOfTinyPresetsReadsBack() {
        for (String name : new String[] {"tiny-qwen2", "tiny-llama"}) {
            ModelConfig c = Presets.get(name);
            Path p = writeGguf(dir.resolve(name + ".gguf"), c, w -> {}, true);
            try (GgufFile f = GgufFile.open(p)) {
                ModelConfig read = ModelConfig.fromGguf(f);
                assertEquals(c, read);
                assertEquals(name, Presets.match(read).orElseThrow());
                TensorLayout.verify(f, read);
            }
        }
    }

    @Test
    void ggufVocabSourcesAndChecks() {
        ModelConfig c = Presets.get("tiny-qwen2");
        // No token list and no vocab_size: rows of token_embd.
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("a.gguf"), c, w -> {}, false))) {
            assertEquals(512, ModelConfig.fromGguf(f).vocab());
        }
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("b.gguf"), c, w -> w.putUInt32("qwen2.vocab_size", 500), false))) {
            ModelException e = assertThrows(ModelException.class, () -> ModelConfig.fromGguf(f));
            assertTrue(e.getMessage().contains("qwen2.vocab_size") && e.getMessage().contains("512"), e.getMessage());
        }
    }

    @Test
    void ggufErrorsNameFileAndKey() {
        ModelConfig c = Presets.get("tiny-llama");
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("c.gguf"), c, w -> w.putString("general.architecture", "gemma2"), true))) {
            ModelException e = assertThrows(ModelException.class, () -> ModelConfig.fromGguf(f));
            assertTrue(e.getMessage().contains("general.architecture") && e.getMessage().contains("gemma2"), e.getMessage());
        }
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("d.gguf"), c, w -> w.putUInt32("llama.rope.dimension_count", 16), true))) {
            ModelException e = assertThrows(ModelException.class, () -> ModelConfig.fromGguf(f));
            assertTrue(e.getMessage().startsWith(f.path().toString()) && e.getMessage().contains("rope.dimension_count"), e.getMessage());
        }
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("e.gguf"), c, w -> w.putUInt32("llama.attention.head_count_kv", 3), true))) {
            ModelException e = assertThrows(ModelException.class, () -> ModelConfig.fromGguf(f));
            assertTrue(e.getMessage().startsWith(f.path().toString()) && e.getMessage().contains("kv head count 3"), e.getMessage());
        }
    }

    @Test
    void verifyReportsMissingAndMisshapenTensors() {
        ModelConfig c = Presets.get("tiny-qwen2");
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("v.gguf"), c, w -> {}, true))) {
            ModelConfig wider = new ModelConfig(c.arch(), c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                    512, c.vocab(), c.contextLength(), c.ropeTheta(), c.rmsEps(), true, false, c.ropeScaling());
            ModelException e = assertThrows(ModelException.class, () -> TensorLayout.verify(f, wider));
            assertTrue(e.getMessage().contains("blk.0.ffn_gate.weight") && e.getMessage().contains("[128, 512]"), e.getMessage());
            ModelConfig deeper = new ModelConfig(c.arch(), c.hidden(), 3, c.heads(), c.kvHeads(), c.headDim(),
                    c.ffn(), c.vocab(), c.contextLength(), c.ropeTheta(), c.rmsEps(), true, false, c.ropeScaling());
            e = assertThrows(ModelException.class, () -> TensorLayout.verify(f, deeper));
            assertTrue(e.getMessage().contains("blk.2.attn_norm.weight") && e.getMessage().contains("missing"), e.getMessage());
        }
    }

    @Test
    void unknownRopeFactorsLeaveScalingUnnamed() throws IOException {
        ModelConfig c = Presets.get("tiny-llama");
        ModelConfig other = new ModelConfig(c.arch(), c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.ffn(),
                c.vocab(), c.contextLength(), c.ropeTheta(), c.rmsEps(), false, true,
                java.util.Optional.of(new Llama3RopeScaling(16, 1, 4, 8192)));
        try (GgufFile f = GgufFile.open(writeGguf(dir.resolve("r.gguf"), other, w -> {}, true))) {
            assertTrue(ModelConfig.fromGguf(f).ropeScaling().isEmpty());
            assertTrue(f.hasTensor(TensorLayout.ROPE_FREQS));
        }
    }
}
